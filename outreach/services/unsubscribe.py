"""Turning a channel off (or back on) for a client or an address: by unsubscribe link, by STOP/START keyword,
or because a provider reported a complaint or an opt-out. Consent changes go through facts.record_consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from outreach.models import Channel, Client, ConsentEvent, Suppression
from outreach.services.facts import audit, record_consent, suppress

# Suppressions a client's own "START" lifts: ours from their STOP, and the provider's opt-out report.
# One a staff member added stays.
LIFTED_BY_OPT_IN = ("sms-keyword", "sms-words", "provider")
# Revocations made through a signed link, which the client may undo on the preference page.
UNDONE_BY_LINK = ("unsubscribe-link", "preferences-page")


def clients_at(session: Session, channel: str, address: str) -> list[Client]:
    """Every client reached at an address (a family may share a phone or an inbox)."""
    if Channel(channel) == Channel.email:
        condition = func.lower(Client.email) == normal_address(channel, address)
    else:
        condition = col(Client.phone) == normal_address(channel, address)
    return list(session.exec(select(Client).where(condition).order_by(col(Client.id))))


def opt_out_address(
    session: Session, channel: str, address: str, *, reason: str, source: str, actor: str, now: datetime
) -> bool:
    """Revoke consent on `channel` for every client at `address` and suppress the address, known or not.
    Returns True if anything changed."""
    changed = suppress(session, channel, address, reason[:200], source, at=now)
    for client in clients_at(session, channel, address):
        changed |= record_consent(session, client, channel, False, source, actor, at=now, note=reason[:500])
    return changed


def opt_in_address(session: Session, channel: str, address: str, *, source: str, actor: str, now: datetime) -> bool:
    """The person at `address` asked to hear from us again: lift the suppressions their opt-out (or the
    provider's report of it) put on the address, and restore consent for the clients there who had revoked it.
    A client who never consented gains none here. Returns True if anything changed."""
    lifted = session.exec(
        delete(Suppression).where(
            col(Suppression.channel) == Channel(channel),
            col(Suppression.address) == normal_address(channel, address),
            col(Suppression.source).in_(LIFTED_BY_OPT_IN),
        )
    ).rowcount
    clients = clients_at(session, channel, address)
    if lifted:
        audit(
            session,
            actor,
            "suppression.lift",
            clients[0].id if clients else None,
            f"{channel} opt-in via {source}",
            at=now,
        )
    restored = [
        client
        for client in clients
        if revoked(session, client, channel) and record_consent(session, client, channel, True, source, actor, at=now)
    ]
    return bool(lifted or restored)


def unsubscribe_client(
    session: Session, client: Client, channels: list[str], *, source: str, actor: str, now: datetime
) -> list[str]:
    """Revoke consent on each channel; returns the channels that were on before."""
    return [channel for channel in channels if record_consent(session, client, channel, False, source, actor, at=now)]


def revoked(session: Session, client: Client, channel: str) -> bool:
    """Consent this client gave and later took back (as opposed to never given)."""
    latest = _latest_consent(session, client, channel)
    return latest is not None and not latest.granted


def revoked_by_link(session: Session, client: Client, channel: str) -> bool:
    """Consent this client took back themselves through a signed link: the only revocation the preference page
    may undo. A STOP (only START undoes it), a complaint, or the front desk's record it leaves alone."""
    latest = _latest_consent(session, client, channel)
    return latest is not None and not latest.granted and latest.source in UNDONE_BY_LINK


def _latest_consent(session: Session, client: Client, channel: str) -> ConsentEvent | None:
    return session.exec(
        select(ConsentEvent)
        .where(
            ConsentEvent.client_id == client.id,
            ConsentEvent.channel == Channel(channel),
        )
        .order_by(col(ConsentEvent.at).desc(), col(ConsentEvent.id).desc())
    ).first()


def normal_address(channel: str, address: str) -> str:
    # As facts.suppress stores it.
    return address.strip().lower() if Channel(channel) == Channel.email else address.strip()
