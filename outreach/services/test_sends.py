"""Test sends: who may receive one, how many a staff member may make, and queuing one for the worker. A test goes
through the real channel, so it may go only where a real message could (a client's address with consent on that
channel, no opt-out and no suppression) or to the sender's own email or phone (set on the staff page or with
`outreach users set-contact`); a limit keeps a slip (or a stolen session) from spamming. The row carries its words,
composed when it was queued: the worker sends what was previewed, even if the copy changes before it runs."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from outreach.campaigns import Campaign, Step
from outreach.channels.base import RenderedWords
from outreach.contacts import normalise_email, normalise_phone
from outreach.models import AuditEntry, Client, Message, MessageStatus, Suppression
from outreach.policy.consent import Reachability, blocker
from outreach.services.facts import audit
from outreach.services.holds import held_numbers
from outreach.services.streams import streams_off
from outreach.services.unsubscribe import clients_at, normal_address, revoked
from outreach.services.users import own_addresses

ACTION = "campaign.test_send"
PER_HOUR = 20
WINDOW = timedelta(hours=1)
CHANNEL_WORDS = {"email": "email", "sms": "texts"}


class SendTestRefused(ValueError):
    """A test send that must not go out; the message says why."""


def recipient(campaign: Campaign, step: Step, to: str, region: str) -> tuple[str, str]:
    """The channel a test to `to` goes by (an address with an @ is an email) and the address normalised.
    Raises ValueError for an address that is not one, or a channel the step does not send by."""
    channel = "email" if "@" in to else "sms"
    address = normalise_email(to) if channel == "email" else normalise_phone(to, region)
    if channel not in step.channels:
        raise ValueError(f"step {campaign.name}/{step.key} is not sent by {channel}")
    return channel, address


def queue(
    session: Session,
    actor: str,
    campaign: Campaign,
    step: Step,
    to: str,
    now: datetime,
    *,
    region: str,
    words: Callable[[str], RenderedWords],
    account: str = "",
) -> Message:
    """Queue a test of `step` to `to`, due now, and audit it as `actor`'s. `words(channel)` composes what it says
    (subject, text, html, headers: outreach.sending.compose.sample_words), kept on the row. The staff account whose
    own addresses count is `account` (the actor's by default). Raises ValueError for an address the step cannot be
    sent to, SendTestRefused for one no test may go to or past the hour's limit."""
    channel, address = recipient(campaign, step, to, region)
    check(session, actor, channel, address, now, stream=campaign.stream, account=account or actor)
    row = Message(
        key=f"test:{uuid.uuid4().hex}",
        campaign=campaign.name,
        step=step.key,
        cycle="test",
        stream=campaign.stream,
        channel=channel,
        to_address=address,
        status=MessageStatus.planned,
        due_at=now,
        is_test=True,
        rendered=words(channel),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit(session, actor, ACTION, detail=f"{campaign.name}/{step.key} to {address} (queued)", at=now)
    return row


def refusal(session: Session, channel: str, address: str) -> str | None:
    """Why no test may go to `address` (it is suppressed, or a client there opted out), or None. Asked when a test
    is queued and again when the worker sends it: an opt-out may come in between."""
    suppression = session.exec(
        select(Suppression).where(
            Suppression.channel == channel, Suppression.address == normal_address(channel, address)
        )
    ).first()
    if suppression is not None:
        return f"{address} is on the suppression list ({suppression.reason}); tests honour it too"
    if any(revoked(session, client, channel) for client in clients_at(session, channel, address)):
        return f"a client at {address} opted out of {CHANNEL_WORDS[channel]}; tests honour it too"
    return None


def not_allowed(session: Session, account: str, channel: str, address: str, stream: str = "") -> str | None:
    """Why a test from staff account `account` may not go to `address` at all, or None: it must be the member's
    own email or phone, or the address of a client a message on `channel` (and `stream`, if given) could reach."""
    refused = refusal(session, channel, address)
    if refused:
        return refused
    if own_addresses(session, account).get(channel, "").casefold() == address.casefold():
        return None
    clients = clients_at(session, channel, address)
    reasons = _closed(session, clients, channel, stream)
    if clients and not all(reasons):
        return None
    own = "email" if channel == "email" else "phone"
    why = (
        f"no client has it with consent to {CHANNEL_WORDS[channel]}"
        if not clients
        else f"its client may not be sent {CHANNEL_WORDS[channel]} ({reasons[0]})"
    )
    return (
        f"{address} is not your own {own}, and {why}. A test goes only to a client's address with consent, "
        f"or to your own email or phone (set under Your contact details on the staff page)"
    )


def _closed(session: Session, clients: list[Client], channel: str, stream: str) -> list[str | None]:
    """For each client, why `channel` is closed to them (consent, status, a stream turned off, a held number)."""
    off = streams_off(session, [c.id for c in clients if c.id is not None])
    held = held_numbers(session, [c.phone for c in clients if c.phone]) if channel == "sms" else {}
    reasons: list[str | None] = []
    for client in clients:
        if client.phone in held:
            reasons.append(f"a possible opt-out from {client.phone} waits on a person")
            continue
        reach = Reachability(
            client.status,
            client.email,
            client.phone,
            client.email_consent,
            client.sms_consent,
            client.phone_invalid,
            frozenset(),  # the suppression list was asked already
            off.get(client.id or 0, frozenset()),
        )
        reasons.append(blocker(reach, channel, stream))
    return reasons


def check(
    session: Session, actor: str, channel: str, address: str, now: datetime, *, stream: str = "", account: str = ""
) -> None:
    """Raise SendTestRefused if no test from `account` (the actor's, by default) may go to `address`, or `actor`
    used up the hour's tests."""
    refused = not_allowed(session, account or actor, channel, address, stream)
    if refused:
        raise SendTestRefused(refused)
    recent = session.exec(
        select(AuditEntry.at)
        .where(
            AuditEntry.actor == actor,
            AuditEntry.action == ACTION,
            AuditEntry.at > now - WINDOW,
        )
        .order_by(col(AuditEntry.at))
    ).all()
    if len(recent) >= PER_HOUR:
        wait = math.ceil((recent[0] + WINDOW - now).total_seconds() / 60)
        raise SendTestRefused(
            f"{actor} has sent {PER_HOUR} tests in the last hour, the most allowed; "
            f"try again in {wait} minute{'s' if wait != 1 else ''}"
        )
