"""Unsubscribe links: no login, the signed token is the proof (CAN-SPAM, RFC 8058). They never expire.

GET shows a confirmation page and changes nothing, because mail scanners fetch every link. POST acts at once: the
one-click body `List-Unsubscribe=One-Click` from a mailbox provider turns off the link's stream on its channel
(a lesson email's link stops lesson emails), or the whole channel for a link that names no stream (those sent
before streams); the page's own form sends the client's choice (that stream, emails, texts or everything). The
page it lands on offers to stop all email in one click, and links the preference page. Each page is in the client's
language; one for a link that names no client, in the browser's.

`?preferences=1` on a link is how preference links were sent before `/preferences/` existed: it redirects there.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from outreach.context import Context
from outreach.models import Client
from outreach.policy.consent import CHOOSABLE_STREAMS
from outreach.services.preferences import address_of, legacy_token, masked
from outreach.services.streams import choose_stream
from outreach.services.unsubscribe import unsubscribe_client
from outreach.signed_links import InvalidToken, UnsubscribeToken, preferences_url, read_unsubscribe_token
from outreach.web.deps import ContextDep, NowDep, in_transaction
from outreach.web.i18n import chosen_language
from outreach.web.public.pages import page, read_form

router = APIRouter()

CHOICES = {"email": ["email"], "sms": ["sms"], "all": ["email", "sms"]}
ONE_CLICK = ("List-Unsubscribe", "One-Click")
SOURCE = "unsubscribe-link"
STREAM_CHOICE = "stream"


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str, ctx: ContextDep, preferences: str = "") -> Response:
    if preferences:
        return await _to_preferences(request, ctx, token)
    found = await run_in_threadpool(_find, ctx, token)
    if found is None:
        return _invalid(request, ctx)
    link, client = found
    stream = _stream(link)
    return page(
        request,
        ctx,
        "public/unsubscribe.html",
        language=chosen_language(ctx.settings, client.language),
        first_name=client.first_name.strip(),
        link=link,
        address=masked(link.channel, address_of(client, link.channel)),
        stream=stream,
        choice=STREAM_CHOICE if stream else link.channel if link.channel in CHOICES else "email",
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str, ctx: ContextDep, now: NowDep) -> HTMLResponse:
    form = await read_form(request)
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return _invalid(request, ctx)
    one_click = form.get(ONE_CLICK[0]) == ONE_CLICK[1]
    stream = _stream(link)
    choice = (STREAM_CHOICE if stream else link.channel) if one_click else form.get("channels", "")
    if choice not in CHOICES and not (choice == STREAM_CHOICE and stream):
        raise HTTPException(400, "choose emails, texts or everything")

    def stop(session: Session) -> Client | None:
        client = session.get(Client, link.client_id)
        if client is None:
            return None
        if choice == STREAM_CHOICE:
            choose_stream(session, client, stream, link.channel, False, SOURCE, "client", now)
        else:
            unsubscribe_client(session, client, CHOICES[choice], source=SOURCE, actor="client", now=now)
        return client

    client = await in_transaction(ctx, stop)
    if client is None:
        return _invalid(request, ctx)
    language = chosen_language(ctx.settings, client.language)
    if choice == STREAM_CHOICE:
        return page(request, ctx, "public/done-stream.html", language=language, stream=stream, channel=link.channel)
    return page(request, ctx, "public/done.html", language=language, stopped=choice)


async def _to_preferences(request: Request, ctx: Context, token: str) -> Response:
    """A preference link sent before the page existed: on to the page, with a token such a link would carry."""
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return _invalid(request, ctx)

    def fresh() -> str | None:
        with Session(ctx.engine) as session:
            return legacy_token(session, ctx, link)

    new_token = await run_in_threadpool(fresh)
    if new_token is None:
        return _invalid(request, ctx)
    return RedirectResponse(preferences_url("", new_token), status_code=303)


def _stream(link: UnsubscribeToken) -> str:
    """The stream a link's one-click turns off; "" for the whole channel."""
    return link.stream if link.stream in CHOOSABLE_STREAMS else ""


def _find(ctx: Context, token: str) -> tuple[UnsubscribeToken, Client] | None:
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return None
    with Session(ctx.engine) as session:
        client = session.get(Client, link.client_id)
    return (link, client) if client is not None else None


def _invalid(request: Request, ctx: Context) -> HTMLResponse:
    return page(request, ctx, "public/invalid.html", status_code=400)
