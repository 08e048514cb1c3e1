"""Delivery reports from the providers, recorded once each and applied to the outbox.

Reports are best-effort: they come late, out of order and twice. Each is stored as a DeliveryEvent unique on the
provider's own id, and a message's status only moves forward (a late "sent" never undoes "delivered"). A report
for a message we marked `unknown` settles it: the provider saw it, so it did go out. A report that came before
its message knew the provider's id is kept unattached, with the status it implies, until the id is recorded.
The channel modules (outreach.channels) turn each provider's payloads into DeliveryReports.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import Session, col, select

from outreach.channels.base import DeliveryReport
from outreach.models import DeliveryEvent, Message, MessageStatus
from outreach.services.facts import suppress
from outreach.services.unsubscribe import opt_out_address

S = MessageStatus
# How far along a message is. A report moves it only to a higher rank; the end states share the top ranks.
RANK = {S.planned: 0, S.sending: 1, S.unknown: 1, S.sent: 2, S.delivered: 3, S.failed: 3, S.skipped: 3, S.bounced: 4}
FAILED = (S.failed, S.bounced)
# Column sizes: a signed report past them is not one of ours (and must not fail the whole batch).
MAX_EVENT_ID, MAX_KIND, MAX_ADDRESS, MAX_PROVIDER_ID = 200, 32, 254, 100


def record_reports(session: Session, reports: list[DeliveryReport], now: datetime) -> Counter:
    """Apply a batch of reports. Counts them by what became of each: recorded, unmatched, duplicate, ignored."""
    counts: Counter = Counter()
    for report in reports:
        counts[_record(session, report, now)] += 1
    return counts


def _record(session: Session, report: DeliveryReport, now: datetime) -> str:
    if not report.event_id or not report.event or len(report.event_id) > MAX_EVENT_ID or len(report.event) > MAX_KIND:
        return "ignored"
    if _seen(session, report.provider, report.event_id):
        return "duplicate"
    message = _message_for(session, report)
    at = report.at or now
    provider_message_id = report.provider_message_id
    session.add(
        DeliveryEvent(
            message_id=message.id if message else None,
            provider=report.provider,
            provider_event_id=report.event_id,
            event=report.event,
            at=at,
            detail=report.detail[:500],
            payload=report.payload,
            status=report.status,
            provider_message_id=provider_message_id if 0 < len(provider_message_id) <= MAX_PROVIDER_ID else None,
        )
    )
    session.flush()  # a batch may repeat an event id: the next look-up must see this one
    if message is not None and report.status is not None:
        reason = report.reason if report.status in FAILED else ""
        advance(message, report.status, at, reason=reason, code=report.error_code)
        session.add(message)
    _apply_to_address(session, report, at)
    return "recorded" if message else "unmatched"


def _apply_to_address(session: Session, report: DeliveryReport, at: datetime) -> None:
    # Longer than any deliverable address: nothing to opt out or suppress.
    if not report.recipient or len(report.recipient) > MAX_ADDRESS:
        return
    if report.opted_out:
        opt_out_address(
            session,
            report.channel,
            report.recipient,
            reason=report.address_reason,
            source="provider",
            actor=report.provider,
            now=at,
        )
    elif report.suppress:
        suppress(session, report.channel, report.recipient, report.address_reason[:200], "provider")


def attach_early_reports(session: Session, provider_message_ids: list[str]) -> None:
    """Reports that came before their message knew the provider's id were stored unattached: now that the rows
    carry these ids, attach the reports and apply the statuses they imply."""
    if not provider_message_ids:
        return
    events = session.exec(
        select(DeliveryEvent)
        .where(
            col(DeliveryEvent.message_id).is_(None), col(DeliveryEvent.provider_message_id).in_(provider_message_ids)
        )
        .order_by(col(DeliveryEvent.id))
    ).all()
    for event in events:
        message = session.exec(select(Message).where(Message.provider_id == event.provider_message_id)).first()
        if message is None:
            continue
        event.message_id = message.id
        if event.status is not None:
            status = S(event.status)
            reason = f"{event.provider.capitalize()} {event.event}: {event.detail}" if status in FAILED else ""
            advance(message, status, event.at, reason=reason)
            session.add(message)
        session.add(event)


def advance(message: Message, status: MessageStatus, at: datetime, reason: str = "", code: str = "") -> bool:
    """Move a message forward to `status`; never backwards, never out of an end state."""
    if RANK[status] <= RANK[S(message.status)]:
        return False
    message.status = status
    if status in (S.sent, S.delivered) and message.sent_at is None:
        message.sent_at = at
    if reason:
        message.reason = reason[:500]
    if code:
        message.error_code = code[:32]
    message.updated_at = at
    return True


def _seen(session: Session, provider: str, event_id: str) -> bool:
    return (
        session.exec(
            select(DeliveryEvent.id).where(
                DeliveryEvent.provider == provider, DeliveryEvent.provider_event_id == event_id
            )
        ).first()
        is not None
    )


def _message_for(session: Session, report: DeliveryReport) -> Message | None:
    """Our id if the provider echoed it back; else the provider's id for the message."""
    if report.message_id is not None:
        message = session.get(Message, report.message_id)
        if message is not None and message.channel == report.channel:
            return message
    if not report.provider_message_ids:
        return None
    return session.exec(
        select(Message).where(
            col(Message.provider_id).in_(report.provider_message_ids), Message.channel == report.channel
        )
    ).first()
