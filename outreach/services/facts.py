"""Record facts about clients: consent, visits, progress, status, suppressions. Each change is audited
and wakes the planner for that client (its next_plan_at becomes now)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from outreach.importing import store
from outreach.models import (
    AuditEntry,
    Channel,
    Client,
    ClientStatus,
    ConsentEvent,
    Conversation,
    ProgressEntry,
    Suppression,
    Visit,
    VisitStatus,
    utcnow,
)
from outreach.policy.consent import CLIENT_OPT_IN_SOURCES


def audit(
    session: Session,
    actor: str,
    action: str,
    client_id: int | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> None:
    session.add(AuditEntry(actor=actor, action=action, client_id=client_id, detail=detail, at=at or utcnow()))


# "Plan this client at the very next pass", whatever clock that pass runs on (simulations run ahead of it).
ASAP = datetime(2000, 1, 1, tzinfo=timezone.utc)


# session.info key: the clients this transaction woke, by id(client): (client, when). services.clients refreshes
# their summary columns before the transaction commits, so lists show a change at once, not a pass later.
WOKEN = "outreach.woken"


def wake(client: Client, at: datetime | None = None) -> None:
    """Facts changed: let the next planning pass look at this client again, and refresh its summary now."""
    at = at or utcnow()
    client.next_plan_at = ASAP
    client.updated_at = at
    session = object_session(client)
    if session is not None:
        session.info.setdefault(WOKEN, {})[id(client)] = (client, at)


def record_consent(
    session: Session,
    client: Client,
    channel: str,
    granted: bool,
    source: str,
    actor: str,
    at: datetime | None = None,
    note: str = "",
) -> bool:
    """Record a consent change with its time and source. Returns False when nothing changed. A grant that would
    override the client's own opt-out raises ConsentRefused, unless it is the client's own opt-in."""
    channel = Channel(channel)
    field = f"{channel.value}_consent"
    if getattr(client, field) == granted:
        return False
    if granted and source not in CLIENT_OPT_IN_SOURCES:
        refuse_overriding_grant(session, client, channel)
    at = at or utcnow()
    setattr(client, field, granted)
    session.add(ConsentEvent(client_id=client.id, channel=channel, granted=granted, at=at, source=source, note=note))
    audit(
        session,
        actor,
        "consent.grant" if granted else "consent.revoke",
        client.id,
        f"{channel.value} via {source}",
        at=at,
    )
    wake(client, at)
    session.add(client)
    return True


class ConsentRefused(ValueError):
    """A grant the consent rule refuses (policy.consent.grant_refusal); the message says why, with the date."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(reason)
        self.channel = channel


def refuse_overriding_grant(session: Session, client: Client, channel: str) -> None:
    """ConsentRefused if the client's own opt-out on this channel stands (one rule for every door)."""
    address = client.email if channel == Channel.email else client.phone
    if not address:
        return
    session.flush()  # the rule reads with the session's connection, which does not flush by itself
    refusal = store.grant_refusals(session.connection(), [store.Grant(channel, address, client.id)])[0]
    if refusal is not None:
        raise ConsentRefused(channel, refusal)


CLIENT_DETAILS = ("first_name", "last_name", "email", "phone", "timezone")


def save_client(
    session: Session, external_id: str, details: dict[str, Any], actor: str, at: datetime | None = None
) -> tuple[Client, str]:
    """Create the client with this external_id, or change the details given (CLIENT_DETAILS; consent is not
    one: it changes only through record_consent). Returns the client and "created", "updated" or "unchanged"."""
    at = at or utcnow()
    unknown = set(details) - set(CLIENT_DETAILS)
    if unknown:
        raise ValueError(f"not client details: {', '.join(sorted(unknown))}")
    client = session.exec(select(Client).where(Client.external_id == external_id)).first()
    created = client is None
    if client is None:
        client = Client(external_id=external_id, first_name=details["first_name"], created_at=at)
    changed = [name for name in CLIENT_DETAILS if name in details and getattr(client, name) != details[name]]
    if not changed and not created:
        return client, "unchanged"
    if "phone" in changed:
        client.phone_invalid = False
    for name in changed:
        setattr(client, name, details[name])
    session.add(client)
    session.flush()
    # Names of the fields only: the audit log is shown more widely than the record.
    audit(session, actor, "client.create" if created else "client.update", client.id, ", ".join(changed), at=at)
    wake(client, at)
    if "phone" in changed:
        follow_client(session, client)
    return client, "created" if created else "updated"


def follow_client(session: Session, client: Client) -> None:
    """Conversations follow the client: those at their number link to them (a shared number keeps the client
    the front desk picked), and one at a number they left links to whoever is still there."""
    store.link_conversations(session.connection(), [client.id] if client.id else [])
    for conversation in [row for row in session.identity_map.values() if isinstance(row, Conversation)]:
        session.expire(conversation)


def record_visit(
    session: Session,
    client: Client,
    starts_at: datetime,
    status: str,
    actor: str,
    source: str = "dashboard",
    external_id: str | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> Visit | None:
    """Add a visit, or update the one with the same external id (else the same start time). With a version
    (the booking system's), an update older than the stored one changes nothing and returns None."""
    status = VisitStatus(status)
    match = (Visit.external_id == external_id) if external_id else (Visit.starts_at == starts_at)
    visit = session.exec(select(Visit).where(Visit.client_id == client.id, match)).first()
    if visit is None:
        visit = Visit(
            client_id=client.id,
            starts_at=starts_at,
            status=status,
            source=source,
            external_id=external_id,
            external_version=version,
        )
    elif version is not None and visit.external_version is not None and version <= visit.external_version:
        return None
    else:
        visit.starts_at, visit.status = starts_at, status
        visit.external_version = visit.external_version if version is None else version
        visit.updated_at = utcnow()
    session.add(visit)
    audit(session, actor, "visit.record", client.id, f"{starts_at.isoformat()} {status.value}", at=at)
    wake(client, at)
    session.add(client)
    return visit


def record_progress(
    session: Session,
    client: Client,
    recorded_at: datetime,
    pain: int,
    actor: str,
    source: str = "dashboard",
    peg_enjoyment: int | None = None,
    peg_activity: int | None = None,
    at: datetime | None = None,
) -> ProgressEntry:
    if not 0 <= pain <= 10:
        raise ValueError("pain must be a whole number from 0 to 10")
    entry = session.exec(
        select(ProgressEntry).where(ProgressEntry.client_id == client.id, ProgressEntry.recorded_at == recorded_at)
    ).first()
    if entry is None:
        entry = ProgressEntry(client_id=client.id, recorded_at=recorded_at, pain=pain, source=source)
    entry.pain, entry.peg_enjoyment, entry.peg_activity = pain, peg_enjoyment, peg_activity
    session.add(entry)
    # The score itself stays out of the audit detail: the log is shown more widely than the record.
    audit(session, actor, "progress.record", client.id, f"entry at {recorded_at.isoformat()} via {source}", at=at)
    wake(client, at)
    session.add(client)
    return entry


def set_status(session: Session, client: Client, status: str, actor: str, at: datetime | None = None) -> None:
    status = ClientStatus(status)
    if client.status == status:
        return
    client.status = status
    audit(session, actor, "client.status", client.id, status.value, at=at)
    wake(client, at)
    session.add(client)


def suppress(
    session: Session, channel: str, address: str, reason: str, source: str, at: datetime | None = None
) -> bool:
    """Stop all messages on a channel to an address. Returns False if it was already suppressed."""
    channel = Channel(channel)
    address = address.strip().lower() if channel == Channel.email else address.strip()
    exists = session.exec(
        select(Suppression).where(Suppression.channel == channel, Suppression.address == address)
    ).first()
    if exists:
        return False
    session.add(Suppression(channel=channel, address=address, reason=reason, source=source, created_at=at or utcnow()))
    return True


def is_suppressed(session: Session, channel: str, address: str) -> bool:
    address = address.strip().lower() if channel == Channel.email else address.strip()
    return (
        session.exec(
            select(Suppression.id).where(Suppression.channel == channel, Suppression.address == address)
        ).first()
        is not None
    )
