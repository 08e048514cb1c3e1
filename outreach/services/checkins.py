"""Answers to pain check-ins. A text reply (services.inbound) and a tap on an emailed answer link both end here;
the first answer to a check-in adds a progress entry and a second one corrects it.

An email link names the client and the check-in message (signed, see outreach.signed_links); it works until the
check-in's reply window (`[streams] checkin_reply_hours` after it was sent) closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from outreach.context import Context
from outreach.models import Client, Message, ProgressEntry
from outreach.services.facts import record_progress
from outreach.signed_links import CHECKIN_ANSWERS, InvalidToken, read_checkin_token

EMAIL_SOURCE = "email-link"


class CheckinLinkInvalid(Exception):
    """The link was altered, cut short, or names a check-in that is not this client's."""


class CheckinLinkExpired(Exception):
    """The check-in's reply window has closed."""

    def __init__(self, link: CheckinLink) -> None:
        super().__init__("this check-in's reply window has closed")
        self.link = link


@dataclass(frozen=True)
class CheckinLink:
    client: Client
    asked_at: datetime
    expires_at: datetime
    answer: int
    answered: bool  # an earlier answer to this check-in exists, and this one would replace it
    # Copied from the client, so a page can still greet them (in their language) once the session is gone.
    first_name: str  # "" when we have none
    timezone: str
    language: str


def open_checkin_link(session: Session, ctx: Context, token: str, answer: str, now: datetime) -> CheckinLink:
    """What a check-in answer link stands for. Changes nothing: mail scanners open every link."""
    number = _answer(answer)
    try:
        signed = read_checkin_token(ctx.secret_key, token)
    except InvalidToken as exc:
        raise CheckinLinkInvalid(str(exc)) from None
    message = session.get(Message, signed.message_id)
    client = session.get(Client, signed.client_id)
    if (
        client is None
        or message is None
        or message.client_id != client.id
        or message.stream != "checkin"
        or message.channel != "email"
        or message.sent_at is None
    ):
        raise CheckinLinkInvalid("no such check-in for this client")
    asked_at = message.sent_at
    expires_at = asked_at + timedelta(hours=ctx.settings.streams.checkin_reply_hours)
    answered = _earlier_answer(session, client, EMAIL_SOURCE, asked_at) is not None
    link = CheckinLink(
        client, asked_at, expires_at, number, answered, client.first_name.strip(), client.timezone, client.language
    )
    if now > expires_at:
        raise CheckinLinkExpired(link)
    return link


def answer_checkin_link(session: Session, ctx: Context, token: str, answer: str, now: datetime) -> CheckinLink:
    """Record the answer a link carries, correcting an earlier answer to the same check-in."""
    link = open_checkin_link(session, ctx, token, answer, now)
    record_checkin_answer(session, link.client, link.answer, link.asked_at, now, source=EMAIL_SOURCE)
    return link


def record_checkin_answer(
    session: Session, client: Client, pain: int, asked_at: datetime, now: datetime, *, source: str
) -> ProgressEntry:
    # A second answer to the same check-in corrects the first ("sorry, I meant 5") instead of adding a score.
    earlier = _earlier_answer(session, client, source, asked_at)
    recorded_at = earlier.recorded_at if earlier else now
    return record_progress(session, client, recorded_at, pain, actor="client", source=source)


def _earlier_answer(session: Session, client: Client, source: str, asked_at: datetime) -> ProgressEntry | None:
    return session.exec(
        select(ProgressEntry)
        .where(
            ProgressEntry.client_id == client.id, ProgressEntry.source == source, ProgressEntry.recorded_at >= asked_at
        )
        .order_by(col(ProgressEntry.recorded_at).desc())
    ).first()


def _answer(raw: str) -> int:
    # Only the links we sent ("0" to "10"): "05" or "+5" would be a second address for the same answer.
    if raw not in {str(number) for number in CHECKIN_ANSWERS}:
        raise CheckinLinkInvalid(f"{raw!r} is not an answer from 0 to 10")
    return int(raw)
