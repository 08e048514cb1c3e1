"""The delivery log (the home page) and its CSV export."""

from __future__ import annotations

from typing import Iterable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from outreach.campaigns import CampaignError
from outreach.context import Context
from outreach.models import Channel, MessageStatus
from outreach.policy.languages import language_name
from outreach.services.delivery_log import (
    Cursor,
    FilterError,
    LogFilter,
    LogPage,
    csv_lines,
    iter_log,
    log_page,
)
from outreach.services.facts import audit
from outreach.web.dashboard.auth import AnyStaff, ClientsStaff, Forbidden, Staff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.pages import clinic_zone, render

router = APIRouter()


@router.get("/")
def delivery_log(
    request: Request, ctx: ContextDep, session: SessionDep, staff: AnyStaff, before: str = "", after: str = ""
):
    log_filter, problems = _filter(request, staff)
    page = LogPage([], None, None)
    if not problems:
        page = log_page(
            session, log_filter, clinic_zone(request), before=Cursor.decode(before), after=Cursor.decode(after)
        )
    return render(
        request,
        "log.html",
        status_code=400 if problems else 200,
        page=page,
        filter=log_filter,
        problems=problems,
        raw=request.query_params,
        statuses=[s.value for s in MessageStatus],
        channels=[c.value for c in Channel],
        campaigns=_campaign_names(ctx),
        languages=language_choices(ctx.settings.served_languages),
        language_names=language_choices(row.language for row in page.rows if row.language),
        show_clients=staff.can("clients"),
        older_url=_page_url(log_filter, "before", page.older),
        newer_url=_page_url(log_filter, "after", page.newer),
        export_url="/export.csv?" + urlencode(log_filter.params()),
    )


@router.get("/export.csv")
def export_csv(request: Request, ctx: ContextDep, session: SessionDep, staff: ClientsStaff):
    log_filter, problems = _filter(request, staff)
    if problems:
        return render(
            request,
            "error.html",
            status_code=400,
            title="That filter cannot be exported",
            message="; ".join(f"{name}: {text}" for name, text in problems.items()),
        )
    at = now(request)
    audit(session, staff.username, "export.csv", detail=f"delivery log: {log_filter.describe()}", at=at)
    session.commit()
    zone = clinic_zone(request)
    filename = f"delivery-log-{at.astimezone(zone):%Y-%m-%d-%H%M}.csv"
    return StreamingResponse(
        csv_lines(iter_log(ctx.engine, log_filter, zone), zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _filter(request: Request, staff: Staff) -> tuple[LogFilter, dict[str, str]]:
    try:
        log_filter = LogFilter.parse(request.query_params, request.app.state.ctx.settings.served_languages)
    except FilterError as exc:
        return LogFilter(), exc.problems
    if log_filter.client and not staff.can("clients"):
        raise Forbidden(staff, "clients")  # who received what is client data
    return log_filter, {}


def _page_url(log_filter: LogFilter, direction: str, position: Cursor | None) -> str:
    if position is None:
        return ""
    return "/?" + urlencode({**log_filter.params(), direction: position.encode()})


def language_choices(tags: Iterable[str]) -> dict[str, str]:
    """Each language's tag and its English name, for staff: {"es": "Spanish"}."""
    return {tag: language_name(tag) for tag in tags}


def _campaign_names(ctx: Context) -> list[str]:
    try:
        return [campaign.name for campaign in ctx.catalog.campaigns]
    except CampaignError:
        return []
