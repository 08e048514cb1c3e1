"""The language a client's messages go out in. Every door (dashboard forms, the inbox suggestion, the API, imports,
the preference page) changes it here: one check, one audit entry, and the planner looks again.

The inbox only ever suggests a switch, from the language the client's own texts read as; a person decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from outreach.models import AuditEntry, Client, InboundMessage
from outreach.policy.languages import language_name, language_tag
from outreach.services.facts import audit, wake
from outreach.settings import Settings

CHANGED = "client.language"


@dataclass(frozen=True)
class Suggestion:
    """Switch the client to `tag`: their texts read as `language`, their messages go out in `current`."""

    tag: str
    language: str  # "Spanish": named in English, for staff
    current: str


def set_language(session: Session, client: Client, value: str, settings: Settings, actor: str, now: datetime) -> str:
    """Set the client's language to the served language `value` names ("es", "es-MX", "Spanish", "Español") and
    return its tag. Raises policy.languages.UnknownLanguage for one not served; no change, no audit entry."""
    tag = language_tag(value, settings.served_languages)
    if client.language == tag:
        return tag
    previous = client.language
    client.language = tag
    session.add(client)
    session.flush()
    audit(session, actor, CHANGED, client.id, f"{previous} -> {tag}", at=now)
    # Planned texts render in the client's language: let the next pass look again.
    wake(client, now)
    return tag


def suggested_language(session: Session, client: Client, settings: Settings) -> str:
    """The served language the client's latest clear text reads as, when it is not the one their messages go out
    in; else "". Texts from before the last change of language were seen by whoever made it, so they suggest
    nothing again."""
    if client.id is None:
        return ""
    query = select(InboundMessage.language).where(
        _from_client(client), col(InboundMessage.language).in_(settings.served_languages)
    )
    changed_at = session.exec(
        select(func.max(AuditEntry.at)).where(AuditEntry.client_id == client.id, AuditEntry.action == CHANGED)
    ).first()
    if changed_at is not None:
        query = query.where(InboundMessage.received_at > changed_at)
    latest = session.exec(
        query.order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc()).limit(1)
    ).first()
    return latest if latest and latest != client.language else ""


def suggestion(session: Session, client: Client, settings: Settings) -> Suggestion | None:
    """What the inbox thread and the client's page offer, if anything."""
    tag = suggested_language(session, client, settings)
    return Suggestion(tag, language_name(tag), language_name(client.language)) if tag else None


def _from_client(client: Client) -> ColumnElement[bool]:
    """Texts the client sent: linked to them, or from their number (a shared number links to one client only)."""
    return (
        or_(col(InboundMessage.client_id) == client.id, col(InboundMessage.from_address) == client.phone)
        if client.phone
        else col(InboundMessage.client_id) == client.id
    )
