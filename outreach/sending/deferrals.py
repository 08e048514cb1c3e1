"""Deferrals kept as events of their message: the row's reason is overwritten by what comes next, and the front
desk still wants to see why a message waited ("Quiet hours until 08:00", "Capped: 3 in 7 days")."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import insert
from sqlmodel import Session

from outreach.models import DeliveryEvent


def keep_deferrals(session: Session, deferred: Iterable[tuple[int, str]], now: datetime) -> None:
    """Each deferral (message id, why), kept as an event of the message: the row's reason is overwritten by what
    comes next."""
    rows = [
        {
            "message_id": message_id,
            "provider": "outreach",
            "event": "deferred",
            "at": now,
            "provider_event_id": f"deferred:{message_id}:{now.isoformat()}",
            "detail": reason[:500],
            "payload": {},
        }
        for message_id, reason in deferred
    ]
    if rows:
        session.execute(insert(DeliveryEvent), rows)
