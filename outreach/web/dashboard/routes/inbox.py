"""The inbox (texts from clients, and the front desk's replies) and the attention list, the front desk's start
page. Both are faces on services.conversations and services.attention."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from outreach.context import Context
from outreach.models import Conversation, Message
from outreach.policy.languages import UnknownLanguage, language_name
from outreach.services import conversations, holds
from outreach.services.attention import attention, mark_flags_seen, settle_unknown
from outreach.services.client_language import set_language, suggestion
from outreach.services.clients import client_zone
from outreach.web.dashboard.auth import ClientsStaff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.clients import find_client
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render

router = APIRouter()
FormText = Annotated[str, Form()]


@router.get("/attention")
def attention_page(request: Request, session: SessionDep, staff: ClientsStaff):
    return render(request, "attention.html", items=attention(session))


@router.post("/clients/{client_id}/flags-seen")
def flags_seen(request: Request, session: SessionDep, staff: ClientsStaff, client_id: int):
    client = find_client(session, client_id)
    mark_flags_seen(session, client, staff.username, now(request))
    session.commit()
    flash(request, "ok", "Marked as seen: it leaves the attention list until the flag changes again.")
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


@router.post("/clients/{client_id}/text")
def text_client(request: Request, ctx: ContextDep, session: SessionDep, staff: ClientsStaff, client_id: int):
    """Start a conversation from the client's page: the reply form, under the rules every reply keeps."""
    client = find_client(session, client_id)
    try:
        conversation = conversations.start(ctx, session, client, staff.username, now(request))
    except conversations.ReplyRefused as exc:
        session.rollback()
        flash(request, "error", f"No text can be sent: {exc}.")
        return RedirectResponse(f"/clients/{client_id}", status_code=303)
    session.commit()
    return RedirectResponse(f"/inbox/{conversation.id}#body", status_code=303)


@router.post("/clients/{client_id}/switch-language")
def switch_language(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    client_id: int,
    language: FormText = "",
    conversation_id: FormText = "",
):
    """The suggestion's one click: messages to the client go out in the language their texts read as."""
    client = find_client(session, client_id)
    back = f"/inbox/{conversation_id}" if conversation_id.isdigit() else f"/clients/{client.id}"
    try:
        tag = set_language(session, client, language, ctx.settings, staff.username, now(request))
    except UnknownLanguage as exc:
        session.rollback()
        flash(request, "error", f"language: {exc}")
        return RedirectResponse(back, status_code=303)
    session.commit()
    flash(request, "ok", f"Messages to {client.display_name} now go out in {language_name(tag)}.")
    return RedirectResponse(back, status_code=303)


@router.post("/messages/{message_id}/settle")
def settle(request: Request, session: SessionDep, staff: ClientsStaff, message_id: int, outcome: FormText = ""):
    message = session.get(Message, message_id) if 0 < message_id < 2**31 else None
    if message is None:
        raise PageNotFound(f"There is no message number {message_id}.")
    if settle_unknown(session, message, outcome, staff.username, now(request)):
        session.commit()
        flash(request, "ok", f"Marked {outcome}.")
    else:
        flash(request, "error", "That message was settled already, or the choice was not one offered.")
    return RedirectResponse("/attention", status_code=303)


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, staff: ClientsStaff, show: str = "open", page: int = 1):
    open_only = show != "all"
    found, more = conversations.listing(session, open_only, page)
    names = conversations.client_names(session, {c.client_id for c in found if c.client_id})
    return render(
        request,
        "inbox.html",
        conversations=found,
        names=names,
        show="open" if open_only else "all",
        page=max(page, 1),
        more=more,
    )


@router.get("/inbox/{conversation_id}")
def conversation_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    conversation_id: int,
    quick: str = "",
    queued: int = 0,
):
    """`queued`: the reply just sent from this page, said to be on its way at the thread's end while it waits."""
    conversation = _conversation(session, conversation_id)
    # Without script, a quick reply's link fills the form through the address.
    body = _quick_text(ctx, session, conversation, quick)
    waiting = conversations.waiting_reply(session, conversation, queued)
    return _render(request, ctx, session, conversation, body=body, queued=waiting)


@router.post("/inbox/{conversation_id}/reply")
def reply(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    conversation_id: int,
    body: FormText = "",
):
    conversation = _conversation(session, conversation_id)
    try:
        row = conversations.send_reply(ctx, session, conversation, body, staff.username, now(request))
    except conversations.ReplyRefused as exc:
        session.rollback()
        return _render(request, ctx, session, conversation, error=str(exc), body=body, status_code=400)
    session.commit()
    # Back to the end of the thread, where the reply now is, rather than the top of a long page.
    return RedirectResponse(f"/inbox/{conversation.id}?queued={row.id}#queued", status_code=303)


@router.post("/inbox/{conversation_id}/done")
def done(request: Request, session: SessionDep, staff: ClientsStaff, conversation_id: int):
    conversation = _conversation(session, conversation_id)
    conversations.close(session, conversation, staff.username, now(request))
    session.commit()
    flash(request, "ok", "Marked done.")
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{conversation_id}/opt-out")
def decide_opt_out(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    conversation_id: int,
    decision: FormText = "",
):
    conversation = _conversation(session, conversation_id)
    if decision not in ("opt-out", "keep"):
        return _render(
            request,
            ctx,
            session,
            conversation,
            error="decision: choose to opt this number out or to keep it",
            status_code=400,
        )
    changed = conversations.settle_possible_opt_out(
        ctx, session, conversation, decision == "opt-out", staff.username, now(request)
    )
    session.commit()
    flash(
        request,
        "ok",
        "Number opted out of texts; one confirmation text is queued."
        if changed
        else "Opted out already."
        if decision == "opt-out"
        else "Kept: the held texts still in time go at the next pass; the conversation stays in the inbox.",
    )
    return RedirectResponse(f"/inbox/{conversation.id}", status_code=303)


@router.post("/inbox/{conversation_id}/client")
def link_client(
    request: Request, session: SessionDep, staff: ClientsStaff, conversation_id: int, client_id: FormText = ""
):
    """A number several clients share: say which of them this conversation is with."""
    conversation = _conversation(session, conversation_id)
    sharing = conversations.clients_for(session, conversation)
    chosen = int(client_id) if client_id.isdigit() else 0
    if chosen not in sharing:
        flash(request, "error", "client: choose one of the clients at this number.")
    else:
        conversations.link(session, conversation, sharing[chosen], staff.username, now(request))
        session.commit()
        flash(request, "ok", f"This conversation is now with {sharing[chosen].display_name}.")
    return RedirectResponse(f"/inbox/{conversation.id}", status_code=303)


def _conversation(session: SessionDep, conversation_id: int) -> Conversation:
    conversation = conversations.get(session, conversation_id)
    if conversation is None:
        raise PageNotFound(f"There is no conversation number {conversation_id}.")
    return conversation


def _quick_text(ctx: Context, session: SessionDep, conversation: Conversation, name: str) -> str:
    if not name:
        return ""
    client = conversations.clients_for(session, conversation).get(conversation.client_id or 0)
    return conversations.quick_replies(ctx, client).get(name, "")


def _render(
    request: Request,
    ctx: Context,
    session: SessionDep,
    conversation: Conversation,
    error: str = "",
    body: str = "",
    status_code: int = 200,
    queued: Message | None = None,
):  # noqa: ANN202
    at = now(request)
    sharing = conversations.clients_for(session, conversation)
    client = sharing.get(conversation.client_id) if conversation.client_id else None
    state = conversations.reply_state(ctx, session, conversation, at)
    return render(
        request,
        "conversation.html",
        status_code=status_code,
        conversation=conversation,
        client=client,
        sharing=sharing,
        thread=conversations.thread(session, conversation),
        state=state,
        error=error,
        body=body,
        queued=queued,
        quick_replies=conversations.quick_replies(ctx, client) if not state.refused else {},
        sms_prefix=ctx.renderer.wrap_sms("", conversations.message_context_for(ctx, client)),
        max_segments=ctx.settings.inbox.max_segments,
        client_zone=client_zone(client, ctx.settings) if client else ctx.settings.clinic.timezone,
        held_waiting=holds.waiting(session, [conversation.phone]).get(conversation.phone, 0),
        language_suggestion=suggestion(session, client, ctx.settings) if client else None,
        default_language=ctx.settings.clinic.default_language,
        language_names={tag: language_name(tag) for tag in ctx.settings.served_languages},
    )
