"""Who may receive a test send, and how many a staff member may make: a test goes through the real channel, so
it honours the same opt-outs as any message, and a limit keeps a slip (or a stolen session) from spamming."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlmodel import Session, select

from outreach.models import AuditEntry, Suppression
from outreach.services.facts import audit
from outreach.services.unsubscribe import clients_at, normal_address, revoked

ACTION = "campaign.test_send"
PER_HOUR = 20
WINDOW = timedelta(hours=1)
CHANNEL_WORDS = {"email": "email", "sms": "texts"}


class SendTestRefused(ValueError):
    """A test send that must not go out; the message says why."""


def check(session: Session, actor: str, channel: str, address: str, now: datetime) -> None:
    """Raise SendTestRefused if `address` opted out or is suppressed, or `actor` used up the hour's tests."""
    suppression = session.exec(
        select(Suppression).where(
            Suppression.channel == channel, Suppression.address == normal_address(channel, address)
        )
    ).first()
    if suppression is not None:
        raise SendTestRefused(f"{address} is on the suppression list ({suppression.reason}); tests honour it too")
    if any(revoked(session, client, channel) for client in clients_at(session, channel, address)):
        raise SendTestRefused(f"a client at {address} opted out of {CHANNEL_WORDS[channel]}; tests honour it too")
    recent = session.exec(
        select(AuditEntry.at)
        .where(
            AuditEntry.actor == actor,
            AuditEntry.action == ACTION,
            AuditEntry.at > now - WINDOW,
        )
        .order_by(AuditEntry.at)
    ).all()
    if len(recent) >= PER_HOUR:
        wait = math.ceil((recent[0] + WINDOW - now).total_seconds() / 60)
        raise SendTestRefused(
            f"{actor} has sent {PER_HOUR} tests in the last hour, the most allowed; "
            f"try again in {wait} minute{'s' if wait != 1 else ''}"
        )


def record(session: Session, actor: str, what: str, address: str, status: str, now: datetime) -> None:
    audit(session, actor, ACTION, detail=f"{what} to {address} ({status})", at=now)
