"""Texts clients send us: opt-outs and opt-ins (keywords or the client's own words), HELP, pain score replies to a
check-in, appointment messages and anything else for the front desk. Every text is stored once (unique on
Twilio's MessageSid); the answer is a Reply to render.

An opt-out in the client's own words revokes what it names: texts (the default), emails only ("no more emails,
texting is fine"), everything, or one stream with the rest kept ("stop the tips, keep the reminders"). Its one
confirmation may ask which stream to keep (FCC 24-24 allows that); an answer within [inbox] scope_reply_hours
restores only that stream. After an exact keyword Twilio blocks the number itself, so nothing is asked.

A possible opt-out (policy.intent: "why do you keep texting me", "end" inside a longer text) gets no automated
reply at all: it waits, as handled_as "possible-opt-out", for a person to decide, and automated texts to the
number are held meanwhile (services.holds). A text about someone else's messages, or about the time of day
messages come, goes to a person too: it is never an opt-out of this number.

When Twilio reports OptOutType, its Advanced Opt-Out has already answered STOP, START or HELP with the
confirmation configured there, so we record the change and stay quiet instead of texting twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from sqlmodel import Session, col, select

from outreach.channels.base import InboundText
from outreach.context import Context
from outreach.models import STOP_HANDLINGS, Client, InboundMessage, Message, MessageStatus
from outreach.policy.consent import CHOOSABLE_STREAMS, REMINDER
from outreach.policy.intent import Intent, Reading, read, scope_answer
from outreach.policy.keywords import keyword_language
from outreach.services.clients import cadence_for
from outreach.services.checkins import record_checkin_answer
from outreach.services.conversations import ACKNOWLEDGED, note_inbound
from outreach.services.facts import audit, is_suppressed
from outreach.services.languages import detected_language
from outreach.services.streams import choose_stream, streams_off
from outreach.services.unsubscribe import clients_at, opt_in_address, opt_out_address, unsubscribe_client

RECEIVED_REPLY_EVERY = timedelta(days=1)
SCOPE_ASKED, SCOPE_KEPT = STOP_HANDLINGS[1], "scope-kept"
MAX_BODY = 2000


@dataclass(frozen=True)
class Reply:
    """Which reply template to send back, and what it may say about the client (nothing, for an unknown number)."""

    template: str
    first_name: str = ""
    phase: str = "establishing"
    interval_days: int | None = None
    language: str = ""  # to answer in: the keyword's ("ALTO"), else the client's; "" for the clinic's default
    scope: str = ""  # for "stop": what stopped (sms, email, all, or a stream)
    offer: str = ""  # for "stop": the stream the client may keep by answering

    def context(self) -> dict:
        """What the reply template may print beside the usual context."""
        return {"scope": self.scope, "offer": self.offer}


def handle_inbound_sms(
    session: Session,
    ctx: Context,
    sms: InboundText,
    now: datetime,
    detect: Callable[[str, tuple[str, ...]], str] = detected_language,
) -> Reply | None:
    """Act on one inbound text and say what to answer (None: say nothing). `detect` reads the text's language
    (its detector loads on the first text, in the web process)."""
    if session.exec(select(InboundMessage.id).where(InboundMessage.provider_id == sms.sid)).first():
        return None  # Twilio retried a webhook we already handled
    clients = clients_at(session, "sms", sms.from_number)
    reading = read(sms.body, sms.opt_out_type or None)
    handled_as, client, template = _handle(session, ctx, sms, reading, clients, now)
    if sms.opt_out_type and reading.keyword:
        template = None
    reply = _reply(session, ctx, template, client, sms.body, now) if template else None
    if reply is not None and template == "stop":
        reply = _stop_reply(reply, reading, handled_as)
    session.add(
        InboundMessage(
            provider_id=sms.sid,
            client_id=client.id if client else None,
            from_address=sms.from_number,
            body=sms.body[:MAX_BODY],
            handled_as=handled_as,
            received_at=now,
            replied=reply is not None,
            language=detect(sms.body, ctx.settings.served_languages),
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
        changed = _opt_out(session, sms.from_number, reading, clients, source, now)
        if not clients:
            audit(session, "client", "inbound.stop", None, "STOP from a number that is not a client's", at=now)
        # One confirmation; a second STOP gets silence.
        offer = _offer(ctx, session, reading, clients) if changed else ""
        return SCOPE_ASKED if offer else "stop", first, "stop" if changed else None
    kept = scope_answer(sms.body) if reading.intent is Intent.other else None
    if kept and _scope_was_asked(session, ctx, sms.from_number, now):
        _keep_only(session, ctx, sms.from_number, kept, clients, now)
        return SCOPE_KEPT, first, SCOPE_KEPT
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
        return "possible-opt-out", first, None  # a person decides; automated texts are held meanwhile
    if reading.intent in (Intent.other_person, Intent.time_preference):
        return str(reading.intent), first, "received" if _may_acknowledge(session, sms.from_number, now) else None
    checked_in = _awaiting_score(session, ctx, clients, now) if reading.score is not None else None
    if checked_in is not None:
        client, asked_at = checked_in
        _record_score(session, client, reading.score, asked_at, now)
        return "progress", client, "checkin-thanks"
    handled_as = "appointment" if reading.intent is Intent.appointment else "other"
    return handled_as, first, "received" if _may_acknowledge(session, sms.from_number, now) else None


def _opt_out(
    session: Session, number: str, reading: Reading, clients: list[Client], source: str, now: datetime
) -> bool:
    """Revoke what the text names; True if anything changed."""
    if reading.stream:
        note = f"Asked in their own words to stop {reading.stream} texts"
        # Every client at the number (no short-circuit): a family phone stops the stream for all of them.
        stopped = [
            choose_stream(session, client, reading.stream, "sms", False, source, "client", now, note)
            for client in clients
        ]
        return any(stopped)
    changed = False
    if reading.channel in ("email", "all"):
        for client in clients:
            changed |= bool(unsubscribe_client(session, client, ["email"], source=source, actor="client", now=now))
    if reading.channel != "email":
        reason = "Replied STOP" if reading.keyword else "Asked in their own words to stop texts"
        changed |= opt_out_address(session, "sms", number, reason=reason, source=source, actor="client", now=now)
    return changed


def _offer(ctx: Context, session: Session, reading: Reading, clients: list[Client]) -> str:
    """The stream the confirmation offers to keep: only after a full stop of texts in the client's own words, and
    only to a client who gets more than one stream by text."""
    if reading.keyword or reading.stream or reading.channel == "email" or not clients:
        return ""
    off = streams_off(session, [c.id for c in clients if c.id is not None])
    by_text = {
        campaign.stream
        for campaign in ctx.catalog.enabled
        if campaign.stream in CHOOSABLE_STREAMS and any("sms" in step.channels for step in campaign.steps)
    }
    for client in clients:
        streams = {s for s in by_text if (s, "sms") not in off.get(client.id or 0, frozenset())}
        if len(streams) > 1 and REMINDER in streams:
            return REMINDER
    return ""


def _stop_reply(reply: Reply, reading: Reading, handled_as: str) -> Reply:
    scope = reading.stream or ("sms" if reading.keyword else reading.channel or "sms")
    return replace(reply, scope=scope, offer=REMINDER if handled_as == SCOPE_ASKED else "")


def _scope_was_asked(session: Session, ctx: Context, number: str, now: datetime) -> bool:
    """Whether this number's last opt-out asked which stream to keep, recently, and nothing has answered it yet."""
    since = now - timedelta(hours=ctx.settings.inbox.scope_reply_hours)
    last = session.exec(
        select(InboundMessage.handled_as)
        .where(
            InboundMessage.from_address == number,
            col(InboundMessage.handled_as).in_([SCOPE_ASKED, "stop", "start", SCOPE_KEPT]),
            col(InboundMessage.received_at) >= since,
        )
        .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
    ).first()
    return last == SCOPE_ASKED


def _keep_only(session: Session, ctx: Context, number: str, kept: str, clients: list[Client], now: datetime) -> None:
    """The client answered the confirmation: texts again, but only the stream they named."""
    source = "sms-scope-reply"
    opt_in_address(session, "sms", number, source=source, actor="client", now=now)
    for client in clients:
        for stream in CHOOSABLE_STREAMS:
            note = f"Answered the opt-out confirmation: keep {kept} texts only"
            choose_stream(session, client, stream, "sms", stream == kept, source, "client", now, note)


def _reply(session: Session, ctx: Context, template: str, client: Client | None, body: str, now: datetime) -> Reply:
    """The reply to send, in the language of a keyword that has one ("ALTO", "AYUDA"), else the client's."""
    spoken = keyword_language(body)
    if spoken not in ctx.settings.served_languages:
        spoken = ""
    if client is None:
        return Reply(template, language=spoken)
    state = cadence_for(session, client, ctx.settings, now)
    return Reply(template, client.first_name, state.phase, state.interval_days, spoken or client.language)


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
