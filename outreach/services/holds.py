"""Automated texts held while a person decides whether an unclear text asked to stop.

The hold is on the number (Conversation.held_since): every client at it. Planning and sending keep its due texts
`planned` with a reason starting policy.consent.HELD_PREFIX, and the claim passes them by. The decision releases
them: kept, what is still worth sending goes at the next pass; opted out, all are skipped. Staff replies and
emails are never held.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from outreach.models import Client, Conversation, Message, MessageStatus
from outreach.policy.consent import HELD_PREFIX, PAST_ITS_MOMENT, past_its_moment


def hold(conversation: Conversation, at: datetime) -> None:
    """Hold automated texts to the conversation's number from `at`, unless already held."""
    conversation.held_since = conversation.held_since or at


def release(session: Session, conversation: Conversation, opted_out: bool, now: datetime) -> int:
    """End the hold. Returns how many held texts will still go."""
    conversation.held_since = None
    session.add(conversation)
    rows = session.exec(select(Message).where(*_held_texts([conversation.phone]))).all()
    going = 0
    for row in rows:
        if opted_out:
            row.status, row.reason = MessageStatus.skipped, "Number opted out of texts"
        elif past_its_moment(row.stream, row.cycle, row.due_at, now):
            row.status, row.reason = MessageStatus.skipped, PAST_ITS_MOMENT
        else:
            row.reason, going = "", going + 1
        row.updated_at = now
        session.add(row)
    clients = {row.client_id for row in rows if row.client_id}
    if clients:
        session.execute(update(Client).where(col(Client.id).in_(clients)).values(next_plan_at=now))
    return going


def held_numbers(session: Session, phones: list[str]) -> dict[str, datetime]:
    """Of these numbers, those held, and since when."""
    if not phones:
        return {}
    query = select(col(Conversation.phone), col(Conversation.held_since)).where(
        col(Conversation.phone).in_(phones), col(Conversation.held_since).is_not(None)
    )
    return {phone: since for phone, since in session.exec(query) if since is not None}


def waiting(session: Session, phones: list[str]) -> dict[str, int]:
    """Of these numbers, how many automated texts each has held for a decision."""
    if not phones:
        return {}
    query = select(col(Message.to_address), func.count()).where(*_held_texts(phones)).group_by(col(Message.to_address))
    return {phone: count for phone, count in session.exec(query)}


def _held_texts(phones: list[str]) -> tuple:
    return (
        col(Message.status) == MessageStatus.planned,
        col(Message.channel) == "sms",
        col(Message.to_address).in_(phones),
        col(Message.reason).startswith(HELD_PREFIX),
    )
