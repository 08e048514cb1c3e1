"""One message's page: what it is, where it stands, why it was held or skipped, and the words it carried. A text
keeps its words once sent, and a test or a link email keeps the words it was queued with; an email's are not kept,
so its preview is rendered again for the client, as it would render now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from sqlmodel import Session

from outreach.context import Context
from outreach.models import Message, MessageStatus
from outreach.policy.languages import language_name
from outreach.rendering import RenderError
from outreach.rendering.context import localised
from outreach.sending.compose import client_context
from outreach.services.clients import load_facts
from outreach.services.delivery_log import message_detail
from outreach.web.dashboard.auth import AnyStaff, Staff
from outreach.web.dashboard.routes.campaigns import PREVIEW_POLICY
from outreach.web.dashboard.routes.pages import PageNotFound, render
from outreach.web.deps import ContextDep, SessionDep, now

router = APIRouter()
# Statuses whose words went out, or may have: the rest were never sent.
WENT_OUT = (MessageStatus.sent, MessageStatus.delivered, MessageStatus.bounced, MessageStatus.unknown)


@dataclass(frozen=True)
class Words:
    """What a message said: its subject, text and HTML, and whether they are the words kept when it was sent or
    queued (`kept`), or its copy rendered again now."""

    subject: str
    text: str
    html: str
    kept: bool


@router.get("/messages/{message_id}")
def message_page(request: Request, ctx: ContextDep, session: SessionDep, staff: AnyStaff, message_id: int):
    """One message: what it is, where it stands, its history (deferrals, provider events), and its words."""
    detail = message_detail(session, message_id)
    if detail is None:
        raise PageNotFound("There is no such message.")
    message = detail.message
    shown = _may_read(staff, message)
    text = kept_words(message) if shown and message.channel == "sms" else None
    return render(
        request,
        "message.html",
        detail=detail,
        message=message,
        show_clients=staff.can("clients"),
        language=language_name(message.language) if message.language else "",
        words_shown=shown,
        text=text,
        went_out=message.status in WENT_OUT,
    )


@router.get("/messages/{message_id}/email")
def email_page(request: Request, ctx: ContextDep, session: SessionDep, staff: AnyStaff, message_id: int):
    """An email's words: as they were queued (a test, a link email), else rendered again for its client now."""
    message = session.get(Message, message_id)
    if message is None or message.channel != "email":
        raise PageNotFound("There is no such email.")
    if not _may_read(staff, message):
        raise PageNotFound("An email's words are client data: the front desk and admins may read them.")
    words = kept_words(message) or rendered_now(ctx, session, message, now(request))
    if words is None:
        raise PageNotFound("This email's campaign step or client no longer exists, so it cannot be shown again.")
    response = render(request, "message_email.html", message=message, words=words, went_out=message.status in WENT_OUT)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


def kept_words(message: Message) -> Words | None:
    """The words stored on the row: those it was queued with, else a sent text's."""
    if message.rendered:
        found = message.rendered
        return Words(found.get("subject", ""), found.get("text", ""), found.get("html", ""), kept=True)
    if message.body is not None:
        return Words("", message.body, "", kept=True)
    return None


def rendered_now(ctx: Context, session: Session, message: Message, at: datetime) -> Words | None:
    """The message's step rendered for its client as it would be now, in the language it went out in; None when
    the step or the client is gone (or the copy no longer renders)."""
    if message.client_id is None:
        return None
    try:
        campaign = ctx.catalog.get(message.campaign)
        step = campaign.step(message.step)
    except KeyError:
        return None
    facts = load_facts(session, [message.client_id], ctx.settings).get(message.client_id)
    if facts is None:
        return None
    context = client_context(ctx, facts, campaign.name, message.channel, message.cycle, at, texts_so_far=1)
    context = localised(context, message.language or facts.language)
    try:
        rendered = ctx.renderer.render(campaign, step, message.channel, context)
    except (RenderError, ValueError):
        return None
    return Words(rendered.subject, rendered.text, rendered.html, kept=False)


def _may_read(staff: Staff, message: Message) -> bool:
    """A client's message carries their name and details: client data. A test's words are anyone's to read."""
    return message.client_id is None or staff.can("clients")
