"""Which streams a client hears on which channel: choices recorded beside consent, with time and source, and the
client's own pause. Consent opens a channel; a stream choice can only narrow it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable

from sqlalchemy import select, update
from sqlmodel import Session, col

from outreach.models import Channel, Client, Message, MessageStatus, StreamChoice
from outreach.policy.consent import CHOOSABLE_STREAMS, PAUSED_PREFIX
from outreach.services.facts import audit, wake


def choose_stream(
    session: Session,
    client: Client,
    stream: str,
    channel: str,
    enabled: bool,
    source: str,
    actor: str,
    at: datetime,
    note: str = "",
) -> bool:
    """Turn one stream on or off on one channel. Returns False when it already was so."""
    if stream not in CHOOSABLE_STREAMS:
        raise ValueError(f"stream: {stream!r} is not one of {', '.join(CHOOSABLE_STREAMS)}")
    channel = Channel(channel).value
    assert client.id is not None, "a client is saved before its choices"
    if ((stream, channel) not in streams_off(session, [client.id]).get(client.id, frozenset())) == enabled:
        return False
    session.add(
        StreamChoice(
            client_id=client.id, stream=stream, channel=channel, enabled=enabled, at=at, source=source, note=note
        )
    )
    audit(
        session,
        actor,
        "stream.on" if enabled else "stream.off",
        client.id,
        f"{stream} by {channel} via {source}",
        at=at,
    )
    wake(client, at)
    session.add(client)
    return True


def streams_off(session: Session, client_ids: Iterable[int]) -> dict[int, frozenset[tuple[str, str]]]:
    """Each client's (stream, channel) pairs turned off now: the latest choice of each pair holds."""
    ids = list(client_ids)
    if not ids:
        return {}
    latest: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    query = (
        select(
            col(StreamChoice.client_id), col(StreamChoice.stream), col(StreamChoice.channel), col(StreamChoice.enabled)
        )
        .where(col(StreamChoice.client_id).in_(ids))
        .order_by(col(StreamChoice.id))
    )
    for client_id, stream, channel, enabled in session.connection().execute(query):
        latest[client_id][(stream, channel)] = enabled
    return {cid: frozenset(pair for pair, on in pairs.items() if not on) for cid, pairs in latest.items()}


def pause(session: Session, client: Client, until: datetime | None, source: str, actor: str, at: datetime) -> None:
    """Pause everything but reminders of booked visits until `until` (None: resume now)."""
    client.paused_until = until
    _bring_forward(session, client.id, until or at, at)
    what = f"paused until {until:%Y-%m-%d}" if until else "resumed"
    audit(session, actor, "client.pause" if until else "client.resume", client.id, f"{what} via {source}", at=at)
    wake(client, at)
    session.add(client)


def _bring_forward(session: Session, client_id: int | None, until: datetime, at: datetime) -> None:
    """A pause ended or shortened: what it pushed back waits only until its new end."""
    session.execute(
        update(Message)
        .where(
            col(Message.client_id) == client_id,
            col(Message.status) == MessageStatus.planned,
            col(Message.reason).startswith(PAUSED_PREFIX),
            col(Message.due_at) > until,
        )
        .values(due_at=max(until, at), reason="", updated_at=at)
    )
