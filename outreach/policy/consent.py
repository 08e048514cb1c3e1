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


def past_its_moment(stream: str, cycle: str, due_at: datetime, now: datetime) -> bool:
    """Whether a text held for a decision is no longer worth sending once released: a reminder of a visit that
    has started, or anything more than HELD_GRACE past when it was due."""
    if stream == REMINDER and cycle.startswith("visit-"):
        starts_at = datetime.strptime(cycle.removeprefix("visit-"), "%Y%m%dT%H%M").replace(tzinfo=due_at.tzinfo)
        if starts_at <= now:
            return True
    return now - due_at > HELD_GRACE
