"""Unsubscribe and preference links: no login, the signed token is the proof (CAN-SPAM, RFC 8058).

GET shows a confirmation page and changes nothing, because mail scanners fetch every link. POST unsubscribes at
once: the one-click body `List-Unsubscribe=One-Click` from a mailbox provider turns off the channel the link
came by; the page's own form sends the client's choice (emails, texts or everything).
"""

from __future__ import annotations

from typing import AsyncIterator
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser

from outreach.context import Context
from outreach.models import Client
from outreach.services.unsubscribe import unsubscribe_client
from outreach.signed_links import InvalidToken, UnsubscribeToken, read_unsubscribe_token
from outreach.web.deps import ContextDep, NowDep, in_transaction, read_body
from outreach.web.public.pages import page

router = APIRouter()

CHOICES = {"email": ["email"], "sms": ["sms"], "all": ["email", "sms"]}
STOPPED = {"email": "emails", "sms": "text messages", "all": "emails or text messages"}
ONE_CLICK = ("List-Unsubscribe", "One-Click")


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str, ctx: ContextDep) -> HTMLResponse:
    found = await run_in_threadpool(_find, ctx, token)
    if found is None:
        return _invalid(request, ctx)
    link, client = found
    return page(
        request,
        ctx,
        "public/unsubscribe.html",
        client=client,
        link=link,
        address=_masked(client, link.channel),
        choice=link.channel if link.channel in CHOICES else "email",
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str, ctx: ContextDep, now: NowDep) -> HTMLResponse:
    form = await _form(request)
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return _invalid(request, ctx)
    one_click = form.get(ONE_CLICK[0]) == ONE_CLICK[1]
    choice = link.channel if one_click else form.get("channels", "")
    if choice not in CHOICES:
        raise HTTPException(400, "choose emails, texts or everything")

    def revoke(session: Session) -> Client | None:
        client = session.get(Client, link.client_id)
        if client is not None:
            unsubscribe_client(session, client, CHOICES[choice], source="unsubscribe-link", actor="client", now=now)
        return client

    client = await in_transaction(ctx, revoke)
    if client is None:
        return _invalid(request, ctx)
    return page(request, ctx, "public/done.html", stopped=STOPPED[choice])


def _find(ctx: Context, token: str) -> tuple[UnsubscribeToken, Client] | None:
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return None
    with Session(ctx.engine) as session:
        client = session.get(Client, link.client_id)
    return (link, client) if client is not None else None


async def _form(request: Request) -> dict[str, str]:
    body = await read_body(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        try:
            form = await MultiPartParser(request.headers, _once(body)).parse()
        except MultiPartException:
            raise HTTPException(400, "unreadable form") from None
        return {name: value for name, value in form.items() if isinstance(value, str)}
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise HTTPException(400, "unreadable form") from None


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _masked(client: Client, channel: str) -> str:
    """Enough of the address to recognise it, not enough to harvest it from a forwarded link."""
    if channel == "sms":
        return f"the number ending {client.phone[-4:]}" if client.phone else "your phone"
    if not client.email or "@" not in client.email:
        return "your email address"
    name, domain = client.email.split("@", 1)
    return f"{name[:2]}{'•' * max(len(name) - 2, 1)}@{domain}"


def _invalid(request: Request, ctx: Context) -> HTMLResponse:
    return page(request, ctx, "public/invalid.html", status_code=400)
