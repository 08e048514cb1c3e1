"""Rendering dashboard pages: the Jinja environment (autoescaped), its filters, and what every page is given."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from outreach.contacts import display_phone
from outreach.charts.pain import wall_clock
from outreach.web.dashboard.csrf import FIELD, csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_FLASH = "flash"
NAVIGATION = (  # (label, path, permission)
    ("Attention", "/attention", "clients"),
    ("Inbox", "/inbox", "clients"),
    ("Delivery log", "/", "log"),
    ("Clients", "/clients", "clients"),
    ("Campaigns", "/campaigns", "campaigns"),
    ("Reports", "/reports", "reports"),
    ("Care outcomes", "/care", "care"),
    ("Status", "/status", "status"),
    ("Audit log", "/audit", "admin"),
    ("Staff", "/users", "admin"),
)


def clinic_zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.ctx.settings.clinic.timezone)


def flash(request: Request, kind: str, text: str, link: tuple[str, str] | None = None) -> None:
    """A note for the next page shown (kind: ok or error), with a link (href, label) after it if given."""
    request.session[_FLASH] = [*request.session.get(_FLASH, []), [kind, text, *(link or ("", ""))]]


def _page_context(request: Request) -> dict[str, Any]:
    staff = getattr(request.state, "staff", None)
    settings = request.app.state.ctx.settings
    return {
        "staff": staff,
        "navigation": [(label, path) for label, path, permission in NAVIGATION if staff and staff.can(permission)],
        "csrf_field": FIELD,
        "csrf_token": csrf_token(request),
        "clinic": settings.clinic,
        "zone_name": settings.clinic.timezone,
        # A note flashed before links existed holds (kind, text) alone: pad it, so a deploy breaks no page.
        "flashes": [(*note, "", "")[:4] for note in request.session.pop(_FLASH, [])],
        "nav_counts": _nav_counts(request, staff),
        "path": request.url.path,
    }


def _nav_counts(request: Request, staff: Any) -> dict[str, int]:
    """Counts shown beside menu entries: conversations waiting for a person."""
    session = getattr(request.state, "session", None)
    if not (staff and staff.can("clients")) or session is None:
        return {}
    from outreach.services.attention import open_conversations

    return {"/inbox": open_conversations(session)}


@jinja2.pass_context
def _local(context: jinja2.runtime.Context, moment: datetime | None, style: str = "datetime") -> str:
    """An instant in the clinic's zone, e.g. 'Tue 3 Mar 2026, 10:32 CST'; style 'date' or 'time' for less."""
    if moment is None:
        return ""
    local = wall_clock(moment, clinic_zone(context["request"]))
    day = f"{local:%a} {local.day} {local:%b %Y}"
    if style == "date":
        return day
    clock = f"{local:%H:%M} {local.tzname()}"
    return clock if style == "time" else f"{day}, {clock}"


@jinja2.pass_context
def _machine(context: jinja2.runtime.Context, moment: datetime | None) -> str:
    """The same instant for <time datetime=…>."""
    return wall_clock(moment, clinic_zone(context["request"])).isoformat(timespec="seconds") if moment else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=_local, machine=_machine, phone=lambda number: display_phone(number) if number else "")
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, f"dashboard/{name}", context, status_code=status_code)


class PageNotFound(Exception):
    """Shown as a 404 page with this message."""
