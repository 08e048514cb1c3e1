"""How a public page is answered: the clinic's details on every page, and headers that keep a token in the URL
out of Referer headers, caches and search engines."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from outreach.context import Context
from outreach.contacts import display_phone

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
