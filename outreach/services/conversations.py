"""The front desk's inbox: one conversation per phone number that has texted us, its thread, and replies.

A reply is an outbox row like every other message (unique key, claimed and sent by dispatch, status from the
provider's callbacks); it carries the exact words in `Message.body` and the staff member in `Message.author`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from outreach.context import Context
from outreach.models import Client, Conversation, InboundMessage, Message, MessageStatus
from outreach.policy.replies import reply_blocker, reply_deferral
from outreach.policy.segments import SegmentCount, count_segments
from outreach.policy.windows import SendWindow
from outreach.services.clients import client_zone, load_facts
from outreach.services import holds
from outreach.services.facts import audit
from outreach.services.unsubscribe import clients_at, opt_out_address

# Inbound texts a person has to read and answer. Keywords, scores and clear opt-outs are answered automatically.
NEEDS_A_PERSON = frozenset({"other", "appointment", "possible-opt-out", "other-person", "time-preference"})
# Of those, the ones answered at once with the "received" reply (at most one a day per number).
ACKNOWLEDGED = ("other", "appointment", "other-person", "time-preference")
REPLY_CAMPAIGN, REPLY_STREAM = "inbox", "reply"
REPLY_STEP, CONFIRMATION_STEP = "reply", "opt-out-confirmation"
PAGE_SIZE = 50
PREVIEW = 160


class ReplyRefused(ValueError):
    """Why this reply cannot be sent; shown beside the form."""


@dataclass(frozen=True)
class ThreadItem:
    at: datetime
    direction: Literal["in", "out"]
    text: str
    label: str  # "Reply from alex", "Campaign text: rebook/nudge", "Automatic answer: help"
    status: str = ""
    reason: str = ""
    language: str = ""  # the language it went out in, or the one it reads as ("" when unknown)


@dataclass(frozen=True)
class ReplyState:
    """What the reply form may do now: refused (why), or send now or at `deferred_until` (why)."""

    refused: str | None
    deferred_until: datetime | None = None
    deferred_reason: str = ""


def note_inbound(session: Session, phone: str, client_id: int | None, handled_as: str, body: str, at: datetime) -> None:
    """Called for every inbound text: the number's conversation shows it, and wants a person if it must."""
    conversation = session.exec(select(Conversation).where(Conversation.phone == phone)).first()
    if conversation is None:
        conversation = Conversation(
            phone=phone, client_id=client_id, last_inbound_at=at, last_activity_at=at, needs_reply=False
        )
    conversation.client_id = conversation.client_id or client_id
    conversation.last_inbound_at = max(conversation.last_inbound_at or at, at)
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    conversation.preview = " ".join(body.split())[:PREVIEW]
    if handled_as in NEEDS_A_PERSON:
        conversation.needs_reply, conversation.closed_by = True, ""
    if handled_as == "possible-opt-out":
        conversation.possible_opt_out = True
        holds.hold(conversation, at)
    session.add(conversation)


def note_answer(session: Session, provider_id: str, words: str) -> None:
    """Keep the automatic answer's words on the text it answered (none for a retried delivery)."""
    if not words:
        return
    inbound = session.exec(select(InboundMessage).where(InboundMessage.provider_id == provider_id)).first()
    if inbound is not None:
        inbound.answer = words
        session.add(inbound)


def get(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id) if 0 < conversation_id < 2**31 else None


def listing(session: Session, needs_reply_only: bool, page: int) -> tuple[list[Conversation], bool]:
    """Newest activity first; True when there is a next page."""
    query = select(Conversation)
    if needs_reply_only:
        query = query.where(or_(col(Conversation.needs_reply).is_(True), col(Conversation.possible_opt_out).is_(True)))
    query = query.order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
    found = list(session.exec(query.offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def clients_for(session: Session, conversation: Conversation) -> dict[int, Client]:
    """Every client at the conversation's number, by id."""
    return {client.id: client for client in clients_at(session, "sms", conversation.phone)}


def thread(session: Session, conversation: Conversation, limit: int = 300) -> list[ThreadItem]:
    """Every text in and out at this number, oldest first (the newest `limit`)."""
    ids = list(clients_for(session, conversation))
    inbound = session.exec(
        select(InboundMessage)
        .where(InboundMessage.from_address == conversation.phone)
        .order_by(col(InboundMessage.received_at).desc())
        .limit(limit)
    )
    items = [item for m in inbound for item in _inbound_items(m)]
    if ids:
        when = func.coalesce(Message.sent_at, Message.due_at)
        outbound = session.exec(
            select(Message)
            .where(
                col(Message.client_id).in_(ids),
                Message.channel == "sms",
                col(Message.is_test).is_(False),
                Message.status != MessageStatus.skipped,
            )
            .order_by(when.desc())
            .limit(limit)
        )
        items += [
            ThreadItem(m.sent_at or m.due_at, "out", m.body or "", _outbound_label(m), m.status, m.reason, m.language)
            for m in outbound
        ]
    return sorted(items, key=lambda item: item.at)[-limit:]


def waiting_reply(session: Session, conversation: Conversation, message_id: int) -> Message | None:
    """The reply to this conversation's number with that id, while it still waits to go out."""
    row = session.get(Message, message_id) if 0 < message_id < 2**31 else None
    if row is None or row.stream != REPLY_STREAM or row.status != MessageStatus.planned:
        return None
    return row if row.client_id in clients_for(session, conversation) else None


def reply_state(ctx: Context, session: Session, conversation: Conversation, now: datetime) -> ReplyState:
    client = session.get(Client, conversation.client_id) if conversation.client_id else None
    if client is None:
        return ReplyState("No client has this number, so there is no SMS consent: add them as a client first")
    refused = text_refusal(ctx, session, client)
    if refused:
        return ReplyState(refused)
    deferred = reply_deferral(
        conversation.last_inbound_at,
        now,
        client_zone(client, ctx.settings),
        now,
        quiet_window(ctx),
        ctx.settings.inbox.conversation_minutes,
    )
    return ReplyState(None, *deferred) if deferred else ReplyState(None)


def text_refusal(ctx: Context, session: Session, client: Client) -> str | None:
    """Why the front desk may not text this client at all (no phone, no consent, opted out...), or None."""
    return reply_blocker(load_facts(session, [client.id], ctx.settings)[client.id].reach)


def start(ctx: Context, session: Session, client: Client, actor: str, now: datetime) -> Conversation:
    """The conversation at the client's number, with them, for the front desk to write the first text (created
    if nobody has texted from it yet). Raises ReplyRefused when this client may not be texted."""
    refused = text_refusal(ctx, session, client)
    if refused or not client.phone:
        raise ReplyRefused(refused or "No phone number")
    conversation = session.exec(select(Conversation).where(Conversation.phone == client.phone)).first()
    if conversation is None:
        conversation = Conversation(
            phone=client.phone,
            client_id=client.id,
            last_activity_at=now,
            needs_reply=False,
        )
        session.add(conversation)
        session.flush()
        audit(session, actor, "inbox.start", client.id, f"conversation {conversation.id} started", at=now)
    if conversation.client_id != client.id:
        link(session, conversation, client, actor, now)
    return conversation


def quiet_window(ctx: Context) -> SendWindow:
    return SendWindow(ctx.settings.quiet_hours.start, ctx.settings.quiet_hours.end)


def measure(ctx: Context, body: str) -> SegmentCount:
    """The size of a reply as it will be sent (the clinic's name first)."""
    return count_segments(ctx.renderer.wrap_sms(body, message_context_for(ctx, None)))


def send_reply(
    ctx: Context, session: Session, conversation: Conversation, body: str, author: str, now: datetime
) -> Message:
    """Queue a staff reply in the outbox. Raises ReplyRefused when it may not be sent as written."""
    words = body.strip()
    if not words:
        raise ReplyRefused("body: write a reply first")
    state = reply_state(ctx, session, conversation, now)
    if state.refused:
        raise ReplyRefused(state.refused)
    size, limit = measure(ctx, words), ctx.settings.inbox.max_segments
    if size.segments > limit:
        raise ReplyRefused(
            f"body: {size.segments} segments ({size.encoding}, {size.characters} characters) is over "
            f"the limit of {limit} ([inbox] max_segments); shorten it"
        )
    client = session.get(Client, conversation.client_id)
    row = _queue(ctx, session, client, words, REPLY_STEP, author, state, now)
    conversation.needs_reply, conversation.closed_by = False, author
    conversation.last_activity_at = now
    session.add(conversation)
    audit(
        session,
        author,
        "inbox.reply",
        client.id,
        f"reply queued ({size.segments} segment{'s' * (size.segments > 1)})"
        + (f"; {state.deferred_reason}" if state.deferred_until else ""),
        at=now,
    )
    return row


def close(session: Session, conversation: Conversation, actor: str, now: datetime) -> None:
    """Nothing (more) to answer."""
    conversation.needs_reply, conversation.closed_by = False, actor
    session.add(conversation)
    audit(session, actor, "inbox.done", conversation.client_id, "conversation marked done", at=now)


def settle_possible_opt_out(
    ctx: Context, session: Session, conversation: Conversation, opt_out: bool, actor: str, now: datetime
) -> bool:
    """A person read an unclear text. Opting out works as STOP does: every client at the number, one
    confirmation text. Returns True when the number was opted out now."""
    conversation.possible_opt_out = False
    session.add(conversation)
    if not opt_out:
        going = holds.release(session, conversation, opted_out=False, now=now)
        audit(
            session,
            actor,
            "inbox.not-opt-out",
            conversation.client_id,
            f"text read: not a request to stop; {going} held text(s) released",
            at=now,
        )
        return False
    holds.release(session, conversation, opted_out=True, now=now)
    changed = opt_out_address(
        session,
        "sms",
        conversation.phone,
        reason=f"Asked to stop, in their own words (read by {actor})"[:200],
        # The client's own words, read by a person: their START lifts it, as it lifts any STOP of theirs.
        source="sms-words",
        actor=actor,
        now=now,
    )
    conversation.needs_reply, conversation.closed_by = False, actor
    client = session.get(Client, conversation.client_id) if conversation.client_id else None
    if changed and client is not None:
        text = ctx.renderer.render_reply("stop", message_context_for(ctx, client))
        _queue(ctx, session, client, text, CONFIRMATION_STEP, actor, ReplyState(None), now, wrapped=True)
    return changed


def _queue(
    ctx: Context,
    session: Session,
    client: Client,
    text: str,
    step: str,
    author: str,
    state: ReplyState,
    now: datetime,
    wrapped: bool = False,
) -> Message:
    body = text if wrapped else ctx.renderer.wrap_sms(text, message_context_for(ctx, client))
    row = Message(
        key=f"{REPLY_CAMPAIGN}:{step}:{uuid.uuid4().hex}",
        client_id=client.id,
        campaign=REPLY_CAMPAIGN,
        step=step,
        cycle=now.strftime("%Y%m%dT%H%M%S"),
        stream=REPLY_STREAM,
        priority=0,
        channel="sms",
        to_address=client.phone or "",
        due_at=state.deferred_until or now,
        reason=state.deferred_reason,
        body=body,
        author=author,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def message_context_for(ctx: Context, client: Client | None) -> dict:
    """What a reply may print: the client's first name and the clinic's details, nothing about their care."""
    from outreach.rendering import message_context

    return message_context(
        ctx.settings,
        first_name=client.first_name if client else "",
        phase="establishing",
        interval_days=None,
        language=client.language if client else "",
    )


def client_names(session: Session, ids: set[int]) -> dict[int, str]:
    return {c.id: c.display_name for c in session.exec(select(Client).where(col(Client.id).in_(ids)))} if ids else {}


def link(session: Session, conversation: Conversation, client: Client, actor: str, now: datetime) -> None:
    conversation.client_id = client.id
    session.add(conversation)
    audit(session, actor, "inbox.link", client.id, f"conversation {conversation.id} is with this client", at=now)


def quick_replies(ctx: Context, client: Client | None) -> dict[str, str]:
    """Each quick reply's words for this client, ready to insert into the form."""
    context = message_context_for(ctx, client)
    return {name: ctx.renderer.render_quick_reply(name, context) for name in ctx.renderer.quick_replies()}


def _inbound_items(message: InboundMessage) -> list[ThreadItem]:
    """The text, and the automatic answer that went straight back (listed after it: the same instant)."""
    text = ThreadItem(message.received_at, "in", message.body, _inbound_label(message), language=message.language)
    if not message.replied:
        return [text]
    answer = ThreadItem(message.received_at, "out", message.answer, "Automatic answer")
    return [text, answer]


def _inbound_label(message: InboundMessage) -> str:
    answered = {
        "stop": "opted out",
        "stop-scope-asked": "opted out (asked which texts to keep)",
        "scope-kept": "kept visit reminders only",
        "other-person": "about someone else's messages",
        "time-preference": "about when messages come",
        "start": "opted back in",
        "help": "HELP answered",
        "progress": "check-in answer recorded",
        "possible-opt-out": "may be asking to stop",
        "appointment": "about an appointment",
    }
    label = answered.get(message.handled_as, "")
    if message.replied and message.handled_as in ACKNOWLEDGED:
        label = ", ".join(filter(None, [label, "acknowledged automatically"]))
    return label


def _outbound_label(message: Message) -> str:
    if message.stream == REPLY_STREAM:
        return ("Opt-out confirmation" if message.step == CONFIRMATION_STEP else "Reply") + (
            f" from {message.author}" if message.author else ""
        )
    return f"Campaign text: {message.campaign}/{message.step}"
