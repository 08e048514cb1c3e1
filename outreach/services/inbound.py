"""Texts clients send us: opt-outs and opt-ins (keywords or the client's own words), HELP, pain score replies to a
check-in, appointment messages and anything else for the front desk. Every text is stored once (unique on
Twilio's MessageSid); the answer is a Reply to render.

A possible opt-out (policy.intent: "why do you keep texting me", "end" inside a longer text) gets no automated
reply at all: it waits, as handled_as "possible-opt-out", for a person to decide.

When Twilio reports OptOutType, its Advanced Opt-Out has already answered STOP, START or HELP with the
confirmation configured there, so we record the change and stay quiet instead of texting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from outreach.channels.base import InboundText
from outreach.context import Context
from outreach.models import Client, InboundMessage, Message, MessageStatus
from outreach.policy.intent import Intent, Reading, read
from outreach.services.clients import cadence_for
from outreach.services.checkins import record_checkin_answer
from outreach.services.conversations import note_inbound
from outreach.services.facts import audit, is_suppressed
from outreach.services.unsubscribe import clients_at, opt_in_address, opt_out_address

RECEIVED_REPLY_EVERY = timedelta(days=1)
ACKNOWLEDGED = ("other", "appointment")  # answered with the "received" reply
MAX_BODY = 2000


@dataclass(frozen=True)
class Reply:
    """Which reply template to send back, and what it may say about the client (nothing, for an unknown number)."""

    template: str
    first_name: str = ""
    phase: str = "establishing"
    interval_days: int | None = None


def handle_inbound_sms(session: Session, ctx: Context, sms: InboundText, now: datetime) -> Reply | None:
    """Act on one inbound text and say what to answer (None: say nothing)."""
    if session.exec(select(InboundMessage.id).where(InboundMessage.provider_id == sms.sid)).first():
        return None  # Twilio retried a webhook we already handled
    clients = clients_at(session, "sms", sms.from_number)
    reading = read(sms.body, sms.opt_out_type or None)
    handled_as, client, template = _handle(session, ctx, sms, reading, clients, now)
    if sms.opt_out_type and reading.keyword:
        template = None
    reply = _reply(session, ctx, template, client, now) if template else None
    session.add(
        InboundMessage(
            provider_id=sms.sid,
            client_id=client.id if client else None,
            from_address=sms.from_number,
            body=sms.body[:MAX_BODY],
            handled_as=handled_as,
            received_at=now,
            replied=reply is not None,
        )
    )
    note_inbound(session, sms.from_number, client.id if client else None, handled_as, sms.body, now)
    return reply


def _handle(
    session: Session, ctx: Context, sms: InboundText, reading: Reading, clients: list[Client], now: datetime
) -> tuple[str, Client | None, str | None]:
    first = clients[0] if clients else None
    source = "sms-keyword" if reading.keyword else "sms-words"
    if reading.intent is Intent.opt_out:
        reason = "Replied STOP" if reading.keyword else "Asked in their own words to stop texts"
        changed = opt_out_address(
            session, "sms", sms.from_number, reason=reason, source=source, actor="client", now=now
        )
        if not clients:
            audit(session, "client", "inbound.stop", None, "STOP from a number that is not a client's", at=now)
        # One confirmation; a second STOP gets silence.
        return "stop", first, "stop" if changed else None
    if reading.intent is Intent.opt_in and opt_in_address(
        session, "sms", sms.from_number, source=source, actor="client", now=now
    ):
        return "start", first, "start"
    # START (or a "yes") from someone who never opted out is not consent to texts: the front desk reads it.
    if reading.intent is Intent.help:
        return "help", first, "help"
    if is_suppressed(session, "sms", sms.from_number):
        return "other", first, None  # opted out: nothing more goes to this number until START
    if reading.intent is Intent.possible_opt_out:
        return "possible-opt-out", first, None  # a person decides; nothing automated meanwhile
    checked_in = _awaiting_score(session, ctx, clients, now) if reading.score is not None else None
    if checked_in is not None:
        client, asked_at = checked_in
        _record_score(session, client, reading.score, asked_at, now)
        return "progress", client, "checkin-thanks"
    handled_as = "appointment" if reading.intent is Intent.appointment else "other"
    return handled_as, first, "received" if _may_acknowledge(session, sms.from_number, now) else None


def _reply(session: Session, ctx: Context, template: str, client: Client | None, now: datetime) -> Reply:
    if client is None:
        return Reply(template)
    state = cadence_for(session, client, ctx.settings, now)
    return Reply(template, client.first_name, state.phase, state.interval_days)


def _awaiting_score(
    session: Session, ctx: Context, clients: list[Client], now: datetime
) -> tuple[Client, datetime] | None:
    """The client at this number whose check-in went out most recently within the reply window, and when."""
    if not clients:
        return None
    window_start = now - timedelta(hours=ctx.settings.streams.checkin_reply_hours)
    by_id = {client.id: client for client in clients}
    row = session.exec(
        select(Message.client_id, Message.sent_at)
        .where(
            col(Message.client_id).in_(list(by_id)),
            Message.stream == "checkin",
            Message.channel == "sms",
            col(Message.status).in_([MessageStatus.sent, MessageStatus.delivered]),
            col(Message.sent_at) >= window_start,
            col(Message.sent_at) <= now,
        )
        .order_by(col(Message.sent_at).desc())
    ).first()
    return (by_id[row[0]], row[1]) if row else None


def _record_score(session: Session, client: Client, score: int, asked_at: datetime, now: datetime) -> None:
    record_checkin_answer(session, client, score, asked_at, now, source="sms-reply")


def _may_acknowledge(session: Session, from_number: str, now: datetime) -> bool:
    """At most one "we got your message" a day per number."""
    return (
        session.exec(
            select(InboundMessage.id).where(
                InboundMessage.from_address == from_number,
                col(InboundMessage.handled_as).in_(ACKNOWLEDGED),
                col(InboundMessage.replied).is_(True),
                InboundMessage.received_at > now - RECEIVED_REPLY_EVERY,
            )
        ).first()
        is None
    )
