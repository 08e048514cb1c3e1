"""Events from booking systems (outreach.bookings adapters), recorded once each through services.records, and
the rule for visits nobody reports on: booked, started `[bookings] attended_after_hours` ago, still booked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from outreach.bookings import Event
from outreach.models import Client, Visit, VisitStatus, WebhookEvent
from outreach.services import facts, records
from outreach.settings import Settings

# Visits whose outcome no one reports: they come from booking systems, which say "booked" and then nothing.
BOOKING_SOURCES = ("square",)
GENERIC_SOURCE_PREFIX = "booking:"  # outreach.bookings.signed


class ClientNotYetKnown(Exception):
    """A booking for a customer we have not heard of: the provider should deliver it again later."""


def record_event(session: Session, event: Event, settings: Settings, now: datetime) -> str:
    """What became of the event (also kept with it); "duplicate" if it was recorded before."""
    seen = session.exec(
        select(WebhookEvent.id).where(WebhookEvent.source == event.source, WebhookEvent.event_id == event.event_id)
    ).first()
    if seen is not None:
        return "duplicate"
    outcome = event.ignored or _apply(session, event, settings, now)
    session.add(
        WebhookEvent(
            source=event.source,
            event_id=event.event_id,
            event_type=event.event_type,
            outcome=outcome[:200],
            received_at=now,
        )
    )
    return outcome


def _apply(session: Session, event: Event, settings: Settings, now: datetime) -> str:
    try:
        if event.client is not None:
            result = records.save_clients(session, [event.client], settings, event.source, now)
        else:
            _check_client_known(session, event.visit["client_external_id"])
            result = records.save_visits(session, [event.visit], settings, event.source, now, source=event.source)
    except records.BatchRejected as exc:
        return "refused: " + "; ".join(f"{p.column}: {p.reason}" if p.column else p.reason for p in exc.problems)
    return ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items()))


def _check_client_known(session: Session, external_id: str) -> None:
    if external_id and session.exec(select(Client.id).where(Client.external_id == external_id)).first() is None:
        raise ClientNotYetKnown(external_id)


def settle_past_bookings(session: Session, settings: Settings, now: datetime) -> int:
    """Mark attended the booking-system visits still booked `attended_after_hours` after their start. A later
    event (a no-show, with a higher version) still overrides it. Returns how many were marked."""
    cutoff = now - timedelta(hours=settings.bookings.attended_after_hours)
    from_booking_system = or_(
        col(Visit.source).in_(BOOKING_SOURCES), col(Visit.source).startswith(GENERIC_SOURCE_PREFIX)
    )
    stale = session.exec(
        select(Visit).where(Visit.status == VisitStatus.booked, Visit.starts_at <= cutoff, from_booking_system)
    ).all()
    for visit in stale:
        client = session.get(Client, visit.client_id)
        facts.record_visit(
            session,
            client,
            visit.starts_at,
            VisitStatus.attended,
            "worker",
            source=visit.source,
            external_id=visit.external_id,
        )
    return len(stale)
