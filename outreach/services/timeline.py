"""One client's history for the front desk: messages, visits, progress and replies merged newest first,
consent history per channel, and the points the pain chart draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import func
from sqlmodel import Session, col, select

from outreach.charts.pain import ChartData, Mark, Point
from outreach.models import Channel, ConsentEvent, InboundMessage, Message, ProgressEntry, Visit
from outreach.services.delivery_log import message_time

TIMELINE_LIMIT = 300
Kind = Literal["message", "visit", "progress", "inbound"]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: Kind
    record: Any  # the Message, Visit, ProgressEntry or InboundMessage itself


def client_timeline(session: Session, client_id: int, limit: int = TIMELINE_LIMIT) -> list[TimelineItem]:
    """The newest `limit` things that happened to or for this client."""
    sources = (
        ("message", Message, func.coalesce(Message.sent_at, Message.due_at), col(Message.client_id)),
        ("visit", Visit, col(Visit.starts_at), col(Visit.client_id)),
        ("progress", ProgressEntry, col(ProgressEntry.recorded_at), col(ProgressEntry.client_id)),
        ("inbound", InboundMessage, col(InboundMessage.received_at), col(InboundMessage.client_id)),
    )
    items: list[TimelineItem] = []
    for kind, model, when, owner in sources:
        query = select(model).where(owner == client_id).order_by(when.desc()).limit(limit)
        items.extend(TimelineItem(moment(record), cast(Kind, kind), record) for record in session.exec(query))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def moment(record: Any) -> datetime:
    """When a timeline record happened (for a message, see delivery_log.message_time)."""
    if isinstance(record, Message):
        return message_time(record)
    if isinstance(record, Visit):
        return record.starts_at
    if isinstance(record, ProgressEntry):
        return record.recorded_at
    return record.received_at


def consent_history(session: Session, client_id: int) -> dict[str, list[ConsentEvent]]:
    """Each channel's consent events, newest first."""
    history: dict[str, list[ConsentEvent]] = {channel.value: [] for channel in Channel}
    query = (
        select(ConsentEvent)
        .where(ConsentEvent.client_id == client_id)
        .order_by(col(ConsentEvent.at).desc(), col(ConsentEvent.id).desc())
    )
    for event in session.exec(query):
        history.setdefault(event.channel, []).append(event)
    return history


def chart_data(session: Session, client_id: int) -> ChartData:
    scores = session.exec(
        select(ProgressEntry.recorded_at, ProgressEntry.pain)
        .where(ProgressEntry.client_id == client_id)
        .order_by(col(ProgressEntry.recorded_at))
    )
    visits = session.exec(
        select(Visit.starts_at, Visit.status).where(Visit.client_id == client_id).order_by(col(Visit.starts_at))
    )
    messages = session.exec(
        select(Message.sent_at, Message.channel)
        .where(Message.client_id == client_id, col(Message.sent_at).is_not(None), col(Message.is_test).is_(False))
        .order_by(col(Message.sent_at))
    )
    return ChartData(
        scores=tuple(Point(at, pain) for at, pain in scores),
        visits=tuple(Mark(at, status) for at, status in visits),
        messages=tuple(Mark(at, channel) for at, channel in messages),
    )
