"""Unsubscribe and preference links: no login, the signed token is the proof (CAN-SPAM, RFC 8058).

GET shows a confirmation page and changes nothing, because mail scanners fetch every link. POST unsubscribes at
once: the one-click body `List-Unsubscribe=One-Click` from a mailbox provider turns off the channel the link
came by; the page's own form sends the client's choice (emails, texts or everything).
"""
from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser

from outreach.context import Context
from outreach.db import session_scope
from outreach.models import Client
from outreach.services.unsubscribe import unsubscribe_client
from outreach.tokens import InvalidToken, UnsubscribeToken, read_unsubscribe_token
from outreach.validation import display_phone
from outreach.web.deps import ContextDep
from outreach.web.webhooks import NowDep, read_body

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

CHOICES = {"email": ["email"], "sms": ["sms"], "all": ["email", "sms"]}
STOPPED = {"email": "emails", "sms": "text messages", "all": "emails or text messages"}
ONE_CLICK = ("List-Unsubscribe", "One-Click")
# The token is in the URL: keep it out of Referer headers, caches and search engines.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str, ctx: ContextDep) -> HTMLResponse:
    found = await run_in_threadpool(_find, ctx, token)
    if found is None:
        return _invalid(request, ctx)
    link, client = found
    return _page(request, ctx, "public/unsubscribe.html", client=client, link=link,
                 address=_masked(client, link.channel), choice=link.channel if link.channel in CHOICES else "email")


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

    client = await run_in_threadpool(_transaction, ctx, revoke)
    if client is None:
        return _invalid(request, ctx)
    return _page(request, ctx, "public/done.html", stopped=STOPPED[choice])


def _find(ctx: Context, token: str) -> tuple[UnsubscribeToken, Client] | None:
    try:
        link = read_unsubscribe_token(ctx.secret_key, token)
    except InvalidToken:
        return None
    with Session(ctx.engine) as session:
        client = session.get(Client, link.client_id)
    return (link, client) if client is not None else None


def _transaction(ctx: Context, work):  # noqa: ANN001, ANN202
    with session_scope(ctx.engine) as session:
        return work(session)


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


def _page(request: Request, ctx: Context, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    clinic = ctx.settings.clinic
    response = templates.TemplateResponse(request, name, {"clinic": clinic, "phone": display_phone(clinic.phone),
                                                          **context},
                                          status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def _invalid(request: Request, ctx: Context) -> HTMLResponse:
    return _page(request, ctx, "public/invalid.html", status_code=400)
