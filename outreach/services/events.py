"""Delivery reports from the providers, recorded once each and applied to the outbox.

Reports are best-effort: they come late, out of order and twice. Each is stored as a DeliveryEvent unique on the
provider's own id, and a message's status only moves forward (a late "sent" never undoes "delivered"). A report
for a message we marked `unknown` settles it: the provider saw it, so it did go out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, select

from outreach.models import DeliveryEvent, Message, MessageStatus
from outreach.services.facts import suppress
from outreach.services.unsubscribe import opt_out_address

S = MessageStatus
# How far along a message is. A report moves it only to a higher rank; the end states share the top ranks.
RANK = {S.planned: 0, S.sending: 1, S.unknown: 1, S.sent: 2, S.delivered: 3, S.failed: 3, S.skipped: 3, S.bounced: 4}

TWILIO_STATUS = {
    "accepted": S.sending,
    "scheduled": S.sending,
    "queued": S.sending,
    "sending": S.sending,
    "sent": S.sent,
    "delivered": S.delivered,
    "read": S.delivered,
    "undelivered": S.failed,
    "failed": S.failed,
    "canceled": S.failed,
}
TWILIO_OPTED_OUT = "21610"
MESSAGE_ID_ARG = "outreach_message_id"
# Column sizes: a signed event past them is not one of ours (and must not fail the whole batch).
MAX_EVENT_ID, MAX_KIND, MAX_ADDRESS, MAX_ID_DIGITS = 200, 32, 254, 18


@dataclass(frozen=True)
class TwilioStatus:
    sid: str
    status: str
    to: str = ""
    error_code: str = ""
    error_message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


def record_twilio_status(session: Session, report: TwilioStatus, now: datetime) -> bool:
    """Apply one status callback. Returns False for a duplicate (nothing changes)."""
    event_id = f"{report.sid}:{report.status}"
    if _seen(session, "twilio", event_id):
        return False
    message = session.exec(select(Message).where(Message.provider_id == report.sid, Message.channel == "sms")).first()
    detail = f"{report.error_code} {report.error_message}".strip()
    session.add(
        DeliveryEvent(
            message_id=message.id if message else None,
            provider="twilio",
            provider_event_id=event_id,
            event=report.status,
            at=now,
            detail=detail[:500],
            payload=report.payload,
        )
    )
    target = TWILIO_STATUS.get(report.status)
    if message is not None and target is not None:
        failure = f"Twilio {report.status}: {detail}" if target == S.failed else ""
        advance(message, target, now, reason=failure, code=report.error_code)
        session.add(message)
    if report.error_code == TWILIO_OPTED_OUT and report.to and len(report.to) <= MAX_ADDRESS:
        opt_out_address(
            session,
            "sms",
            report.to,
            reason=f"Twilio says opted out ({TWILIO_OPTED_OUT})",
            source="provider",
            actor="twilio",
            now=now,
        )
    return True


def record_sendgrid_events(session: Session, events: list[dict[str, Any]], now: datetime) -> Counter:
    """Apply a batch from the event webhook. Counts events by what became of them."""
    counts: Counter = Counter()
    for event in events:
        counts[_record_sendgrid_event(session, event, now)] += 1
    return counts


def _record_sendgrid_event(session: Session, event: dict[str, Any], now: datetime) -> str:
    event_id, kind = _text(event.get("sg_event_id")), _text(event.get("event"))
    if not event_id or not kind or len(event_id) > MAX_EVENT_ID or len(kind) > MAX_KIND:
        return "ignored"
    if _seen(session, "sendgrid", event_id):
        return "duplicate"
    message = _sendgrid_message(session, event)
    at = _event_time(event, now)
    detail = " ".join(_text(event.get(key)) for key in ("type", "reason", "response") if event.get(key))
    session.add(
        DeliveryEvent(
            message_id=message.id if message else None,
            provider="sendgrid",
            provider_event_id=event_id,
            event=kind,
            at=at,
            detail=detail[:500],
            payload=_without_nul(event),
        )
    )
    session.flush()  # a batch may repeat an sg_event_id: the next look-up must see this one
    _apply_sendgrid_event(session, kind, event, message, detail, at)
    return "recorded" if message else "unmatched"


def _apply_sendgrid_event(
    session: Session, kind: str, event: dict[str, Any], message: Message | None, detail: str, at: datetime
) -> None:
    address = _text(event.get("email"))
    if len(address) > MAX_ADDRESS:
        address = ""  # longer than any deliverable address: nothing to suppress
    reason = f"{kind}: {detail}" if detail else kind
    bounced = kind == "bounce" and event.get("type", "bounce") == "bounce"
    target = {"processed": S.sent, "delivered": S.delivered, "dropped": S.failed}.get(kind)
    if kind == "bounce":
        target = S.bounced if bounced else S.failed
    if message is not None and target is not None:
        advance(message, target, at, reason=reason if target in (S.failed, S.bounced) else "")
        session.add(message)
    if not address:
        return
    if kind in ("spamreport", "unsubscribe", "group_unsubscribe"):
        opt_out_address(session, "email", address, reason=reason, source="provider", actor="sendgrid", now=at)
    elif bounced or kind == "dropped":
        suppress(session, "email", address, reason[:200], "provider")


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


def _sendgrid_message(session: Session, event: dict[str, Any]) -> Message | None:
    """Our id from custom_args first; else the X-Message-Id that sg_message_id starts with."""
    our_id = _text(event.get(MESSAGE_ID_ARG))
    if our_id.isdigit() and len(our_id) <= MAX_ID_DIGITS:
        message = session.get(Message, int(our_id))
        if message is not None and message.channel == "email":
            return message
    sg_message_id = _text(event.get("sg_message_id"))
    # "<X-Message-Id>.filter..."; X-Message-Ids have no dots today, but cut at ".filter" first in case.
    candidates = {sg_message_id.split(".filter", 1)[0], sg_message_id.split(".", 1)[0]} - {""}
    if not candidates:
        return None
    return session.exec(select(Message).where(Message.provider_id.in_(candidates), Message.channel == "email")).first()


def _event_time(event: dict[str, Any], now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), tz=timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return now


def _text(value: Any) -> str:
    """A field as text fit for a database column: PostgreSQL refuses NUL characters."""
    return "" if value is None else str(value).replace("\x00", "")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value
