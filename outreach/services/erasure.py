"""Erase a client on request: their personal data goes from every table. What stays, and why:

- suppressions (address and reason): a STOP must never be forgotten, or a re-import would text them again;
- delivery-log rows, with the address masked and any text written to them removed: the log's counts and
  the provider's records must still add up;
- the client row itself, emptied and archived, so the log and the audit trail keep their references.

The audit entry says who erased which client number, and nothing of what was erased."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from outreach.models import (
    Client,
    ClientStatus,
    ConsentEvent,
    Conversation,
    DeliveryEvent,
    Enrolment,
    InboundMessage,
    Message,
    ProgressEntry,
    Visit,
)
from outreach.services.facts import audit

ERASED_PREFIX = "erased-"


def mask(address: str) -> str:
    """ann.lee@example.com -> a***@example.com; +16125550100 -> +1***00."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:2]}***{address[-2:]}" if len(address) > 4 else "***"


def erase_client(session: Session, client: Client, actor: str, at: datetime) -> None:
    client_id, phone = client.id, client.phone
    _mask_messages(session, client_id)
    for model in (ConsentEvent, Visit, ProgressEntry, Enrolment):
        session.exec(delete(model).where(col(model.client_id) == client_id))
    texts_from = or_(col(InboundMessage.client_id) == client_id, col(InboundMessage.from_address) == phone)
    session.exec(delete(InboundMessage).where(texts_from if phone else col(InboundMessage.client_id) == client_id))
    threads = or_(col(Conversation.client_id) == client_id, col(Conversation.phone) == phone)
    session.exec(delete(Conversation).where(threads if phone else col(Conversation.client_id) == client_id))
    _empty(client, at)
    session.add(client)
    audit(session, actor, "client.erase", client_id, at=at)


def _mask_messages(session: Session, client_id: int) -> None:
    messages = session.exec(select(Message).where(Message.client_id == client_id)).all()
    for message in messages:
        message.to_address, message.body = mask(message.to_address), None
        session.add(message)
    ids = [message.id for message in messages]
    if ids:
        session.exec(update(DeliveryEvent).where(col(DeliveryEvent.message_id).in_(ids)).values(payload={}, detail=""))


def _empty(client: Client, at: datetime) -> None:
    client.external_id = f"{ERASED_PREFIX}{client.id}"
    client.first_name, client.last_name, client.email, client.phone = "", "", None, None
    client.status = ClientStatus.archived
    client.email_consent = client.sms_consent = False
    client.worsening_since = client.lapsed_since = client.last_visit_at = client.next_visit_at = None
    client.updated_at = at
