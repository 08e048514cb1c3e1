"""How a public page is answered: the clinic's details on every page, headers that keep a token in the URL out of
Referer headers, caches and search engines, and how its forms are read. They carry no CSRF token, as there is no
session: the signed token in the URL is the proof, and a site that does not know it cannot forge a post."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncGenerator
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.formparsers import MultiPartException, MultiPartParser

from outreach.context import Context
from outreach.contacts import display_phone
from outreach.web.deps import read_body

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
# The token is in the URL: keep it out of Referer headers, caches and search engines.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


def page(request: Request, ctx: Context, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    clinic = ctx.settings.clinic
    response = templates.TemplateResponse(
        request, name, {"clinic": clinic, "phone": display_phone(clinic.phone), **context}, status_code=status_code
    )
    response.headers.update(PAGE_HEADERS)
    return response


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's fields (urlencoded, or multipart as some mailbox providers send a one-click), size-limited."""
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


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body
