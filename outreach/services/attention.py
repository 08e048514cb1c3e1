"""The front desk's start page: everything that waits for a person, each with where it is resolved.

An item leaves the list when it is resolved there: a conversation answered or marked done, a possible opt-out
decided, a worsening or lapsed flag seen on the client's page, a delivery of unknown outcome settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from outreach.models import Client, ClientStatus, Conversation, Message, MessageStatus
from outreach.services import holds
from outreach.services.conversations import client_names

LIMIT = 50
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Attention:
    possible_opt_outs: list[Conversation]
    needs_reply: list[Conversation]
    worsening: list[Client]
    lapsed: list[Client]
    unknown: list[Message]
    names: dict[int, str]  # client id -> name, for the conversations and messages above
    held: dict[str, int]  # phone -> automated texts held there until a person decides (possible opt-outs)

    @property
    def total(self) -> int:
        return sum(map(len, (self.possible_opt_outs, self.needs_reply, self.worsening, self.lapsed, self.unknown)))


def attention(session: Session) -> Attention:
    conversations = select(Conversation).order_by(col(Conversation.last_activity_at).desc()).limit(LIMIT)
    opt_outs = list(session.exec(conversations.where(col(Conversation.possible_opt_out).is_(True))))
    replies = list(
        session.exec(
            conversations.where(col(Conversation.needs_reply).is_(True), col(Conversation.possible_opt_out).is_(False))
        )
    )
    unknown = list(
        session.exec(
            select(Message)
            .where(Message.status == MessageStatus.unknown)
            .order_by(col(Message.updated_at).desc())
            .limit(LIMIT)
        )
    )
    ids = {c.client_id for c in opt_outs + replies if c.client_id} | {m.client_id for m in unknown if m.client_id}
    names = client_names(session, ids)
    return Attention(
        opt_outs,
        replies,
        _newly_flagged(session, Client.worsening_since),
        _newly_flagged(session, Client.lapsed_since),
        unknown,
        names,
        holds.waiting(session, [c.phone for c in opt_outs]),
    )


def _newly_flagged(session: Session, since) -> list[Client]:  # noqa: ANN001
    """Active clients whose flag went up after the front desk last acknowledged this client's flags."""
    seen = func.coalesce(Client.flags_seen_at, NEVER)
    return list(
        session.exec(
            select(Client)
            .where(since.is_not(None), since > seen, Client.status != ClientStatus.archived)
            .order_by(since.desc())
            .limit(LIMIT)
        )
    )


def flag_unseen(client: Client) -> bool:
    """Whether this client is on the attention list for a worsening or lapsed flag."""
    seen = client.flags_seen_at or NEVER
    return any(since is not None and since > seen for since in (client.worsening_since, client.lapsed_since))


def mark_flags_seen(session: Session, client: Client, actor: str, now: datetime) -> None:
    from outreach.services.facts import audit

    client.flags_seen_at = now
    session.add(client)
    audit(session, actor, "client.flags-seen", client.id, f"phase {client.phase}", at=now)


SETTLED_AS = {"sent": "It arrived", "failed": "It did not arrive"}


def settle_unknown(session: Session, message: Message, outcome: str, actor: str, now: datetime) -> bool:
    """A person checked with the client what became of a send of unknown outcome. False if it was settled
    meanwhile (by a status callback, or by someone else)."""
    if message.status != MessageStatus.unknown or outcome not in SETTLED_AS:
        return False
    message.status = MessageStatus(outcome)
    message.reason = f"{SETTLED_AS[outcome]}: checked by {actor}"
    message.updated_at = now
    session.add(message)
    from outreach.services.facts import audit

    audit(session, actor, "message.settle", message.client_id, f"message {message.id} marked {outcome}", at=now)
    return True


def open_conversations(session: Session) -> int:
    """For the navigation: conversations a person still has to answer or decide."""
    return session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(or_(col(Conversation.needs_reply).is_(True), col(Conversation.possible_opt_out).is_(True)))
    ).one()
