"""How a public page is answered: in the reader's language (web/i18n.py), with the clinic's details on every page,
headers that keep a token in the URL out of Referer headers, caches and search engines, and how its forms are read.
They carry no CSRF token, as there is no session: the signed token in the URL is the proof, and a site that does
not know it cannot forge a post."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import AsyncGenerator
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.formparsers import MultiPartException, MultiPartParser

from outreach.context import Context
from outreach.contacts import display_phone
from outreach.web.deps import read_body
from outreach.web.i18n import negotiated_language, translations

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# The token is in the URL: keep it out of Referer headers, caches and search engines.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


def page(
    request: Request, ctx: Context, name: str, status_code: int = 200, *, language: str = "", **context: object
) -> HTMLResponse:
    """The page in `language` (web/i18n.py chose it from the client or the URL); without one, a page that knows no
    client, in the language the browser asks for."""
    negotiated = not language
    if negotiated:
        language = negotiated_language(ctx.settings, request.headers.get("accept-language", ""))
    clinic = ctx.settings.clinic
    values = {"clinic": clinic, "phone": display_phone(clinic.phone), "language": language, **context}
    response = templates(language).TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    response.headers["Content-Language"] = language
    if negotiated:
        response.headers["Vary"] = "Accept-Language"
    return response


@lru_cache(maxsize=16)
def templates(language: str) -> Jinja2Templates:
    """The public templates with one language's words installed (`{% trans %}`, `_()`): an environment per
    language, so concurrent pages in different languages never share the installed gettext."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(), extensions=["jinja2.ext.i18n"]
    )
    environment.policies["ext.i18n.trimmed"] = True  # a paragraph's line breaks are not part of its words
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=environment)


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
