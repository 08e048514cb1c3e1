"""Whether a client may be sent a message on a channel right now, and if not, why (in plain words).

Three layers, each narrower than the last: consent per channel (with the suppression list), the client's choice
of streams per channel, and the two holds in time: the client's own pause, and a possible opt-out waiting on a
person (texts only). A closed channel skips the message; a hold keeps it planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The streams a client can turn on or off, per channel (campaign files name one of these as their stream).
CHOOSABLE_STREAMS = ("education", "checkin", "rebook", "reminder")
REMINDER = "reminder"
# The reason a due text waits on a person's decision starts with this; the claim passes such rows by.
HELD_PREFIX = "Held: possible opt-out"
PAUSED_PREFIX = "Paused by the client"
PAST_ITS_MOMENT = "Held past its moment"
# A held text later than this, once released, is no longer worth sending.
HELD_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class Reachability:
    status: str
    email: str | None
    phone: str | None
    email_consent: bool
    sms_consent: bool
    phone_invalid: bool
    suppressed: frozenset[str]  # channels whose address is on the suppression list
    streams_off: frozenset[tuple[str, str]] = frozenset()  # (stream, channel) the client turned off
    paused_until: datetime | None = None  # the client's own pause from the preference page
    held_since: datetime | None = None  # a possible opt-out from this number waits on a person


def blocker(client: Reachability, channel: str, stream: str = "") -> str | None:
    """The reason this channel is closed for the client (for this stream, if given), or None when it is open."""
    if client.status != "active":
        return f"Client {client.status}"
    closed = _email_blocker(client) if channel == "email" else _sms_blocker(client)
    if closed is None and (stream, channel) in client.streams_off:
        return f"Stream turned off: {stream} by {channel}"
    return closed


def _email_blocker(client: Reachability) -> str | None:
    if not client.email:
        return "No email address"
    if not client.email_consent:
        return "No email consent"
    if "email" in client.suppressed:
        return "Email address suppressed (bounce, complaint or unsubscribe)"
    return None


def _sms_blocker(client: Reachability) -> str | None:
    if not client.phone:
        return "No phone number"
    if client.phone_invalid:
        return "Phone number marked invalid"
    if not client.sms_consent:
        return "No SMS consent"
    if "sms" in client.suppressed:
        return "Number opted out of texts"
    return None


def first_open(client: Reachability, channels: tuple[str, ...], stream: str = "") -> tuple[str | None, str]:
    """The first channel, in order of preference, that is open; else None and every channel's reason."""
    reasons = []
    for channel in channels:
        reason = blocker(client, channel, stream)
        if reason is None:
            return channel, ""
        reasons.append(reason if len(channels) == 1 else f"{channel}: {reason.lower()}")
    return None, "; ".join(reasons)


def held(client: Reachability, channel: str, stream: str, now: datetime) -> tuple[datetime | None, str] | None:
    """Why an automated message that is otherwise due waits: (until when, or None for "until a person decides",
    why); None when nothing holds it. A pause spares reminders of visits already booked; a possible opt-out holds
    every automated text to the number, and no email."""
    if channel == "sms" and client.held_since is not None:
        return None, held_reason(client.held_since)
    if client.paused_until is not None and client.paused_until > now and stream != REMINDER:
        return client.paused_until, f"{PAUSED_PREFIX} until {client.paused_until:%Y-%m-%d}"
    return None


def held_reason(since: datetime) -> str:
    return f"{HELD_PREFIX} since {since:%Y-%m-%d %H:%M} UTC"


def is_held(reason: str) -> bool:
    """Whether a planned message's reason says it waits on a person's decision (held() wrote it): due, not going."""
    return reason.startswith(HELD_PREFIX)


def past_its_moment(stream: str, cycle: str, due_at: datetime, now: datetime) -> bool:
    """Whether a text held for a decision is no longer worth sending once released: a reminder of a visit that
    has started, or anything more than HELD_GRACE past when it was due."""
    if stream == REMINDER and cycle.startswith("visit-"):
        starts_at = datetime.strptime(cycle.removeprefix("visit-"), "%Y%m%dT%H%M").replace(tzinfo=due_at.tzinfo)
        if starts_at <= now:
            return True
    return now - due_at > HELD_GRACE


# One consent rule for every door (dashboard, API, CSV import): nobody but the client overrides the client's own
# opt-out. Grants from these sources are the client's own opt-in (their START by keyword or in their own words,
# their answer to the opt-out confirmation, their preference page), so the rule never refuses them.
CLIENT_OPT_IN_SOURCES = frozenset({"sms-keyword", "sms-words", "sms-scope-reply", "preferences-page"})
# Email revocations that are the client's own word: the unsubscribe link, the preference page, a text asking to
# stop emails.
CLIENT_EMAIL_OPT_OUT_SOURCES = frozenset({"unsubscribe-link", "preferences-page", "sms-keyword", "sms-words"})
# An email suppression's reason starts with the provider's event (services.events, channels.sendgrid). A bounce,
# a drop for a bad address or an invalid address says the address fails, not that anyone said no: those do not
# refuse a grant (the suppression still stops every send).
EMAIL_OPT_OUT_REASONS = (
    ("spamreport", "complaint"),
    ("dropped: spam reporting address", "complaint"),
    ("unsubscribe", "unsubscribe"),
    ("group_unsubscribe", "unsubscribe"),
    ("dropped: unsubscribed address", "unsubscribe"),
)
EMAIL_OPT_OUT_WORDS = {"complaint": "reported our email as spam", "unsubscribe": "unsubscribed"}


def email_suppressed_for(reason: str) -> str:
    """What an email suppression records: "complaint", "unsubscribe", or "" (the address fails; nobody said no)."""
    lowered = reason.strip().lower()
    return next((kind for start, kind in EMAIL_OPT_OUT_REASONS if lowered.startswith(start)), "")


def grant_refusal(
    channel: str, last_stop_at: datetime | None, last_start_at: datetime | None, suppressed_for: str = ""
) -> str | None:
    """Why consent on `channel` may not be granted (by anyone but the client), or None when it may.

    last_stop_at: the latest opt-out that is the client's own word: for texts, a STOP from the number (keyword or
    own words); for email, an unsubscribe or a complaint, `suppressed_for` saying which. last_start_at: the
    latest opt-in the client made themself. A grant is refused while the opt-out is the newer of the two."""
    if last_stop_at is None or (last_start_at is not None and last_start_at > last_stop_at):
        return None
    day = f"{last_stop_at:%Y-%m-%d}"
    if channel == "sms":
        return f"this number replied STOP on {day}; only the client's START re-opts in"
    if suppressed_for not in EMAIL_OPT_OUT_WORDS:
        return None
    return f"this address {EMAIL_OPT_OUT_WORDS[suppressed_for]} on {day}; only the client's own opt-in re-opts in"
