"""Outcomes: campaign results for marketing and admins (/reports), care outcomes for the front desk and admins
(/care); every table also as CSV. Both pages show aggregates only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from outreach.context import Context
from outreach.services.care import care_report
from outreach.services.delivery_log import FilterError
from outreach.services.outcomes import Period, Table, outcomes_report, today_in, usable_catalog
from outreach.web.dashboard.auth import Staff, require
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.pages import PageNotFound, render
from outreach.charts.trend import Series, partial_weeks, trend_chart

router = APIRouter()
ReportsStaff = Annotated[Staff, Depends(require("reports"))]
CareStaff = Annotated[Staff, Depends(require("care"))]
SENT_LINES = (("sent", "Sent"), ("delivered", "Delivered"), ("failed", "Failed"))
RESPONSE_LINES = (
    ("opened", "Opened"),
    ("clicked", "Clicked"),
    ("replies", "Replies"),
    ("stop", "STOP"),
    ("rebooked", "Rebooked"),
)
PHASE_LINES = (
    ("establishing", "Establishing"),
    ("tapering", "Tapering"),
    ("maintaining", "Maintaining"),
    ("lapsed", "Lapsed"),
)


@router.get("/reports")
def outcomes_page(request: Request, ctx: ContextDep, session: SessionDep, staff: ReportsStaff):
    period, problems = _period(request, ctx)
    report = None if problems else outcomes_report(session, ctx.settings, usable_catalog(ctx), period)
    charts = []
    if report is not None:
        charts = [
            _chart("sent-chart", "Messages sent per week", report.weeks, SENT_LINES, period),
            _chart("response-chart", "Responses per week", report.weeks, RESPONSE_LINES, period),
        ]
    return render(
        request,
        "reports.html",
        status_code=400 if problems else 200,
        report=report,
        period=period,
        problems=problems,
        raw=request.query_params,
        charts=charts,
        query=_query(period),
    )


@router.get("/reports/{name}.csv")
def outcomes_csv(request: Request, ctx: ContextDep, session: SessionDep, staff: ReportsStaff, name: str):
    period = _period_or_404(request, ctx)
    report = outcomes_report(session, ctx.settings, usable_catalog(ctx), period)
    return _csv(report.tables(), name, period)


@router.get("/care")
def care_page(request: Request, ctx: ContextDep, session: SessionDep, staff: CareStaff):
    period, problems = _period(request, ctx)
    report = None if problems else care_report(session, ctx.settings, period, now(request))
    charts = [_chart("phase-chart", "Clients per phase, week by week", report.phases, PHASE_LINES)] if report else []
    return render(
        request,
        "care.html",
        status_code=400 if problems else 200,
        report=report,
        period=period,
        problems=problems,
        raw=request.query_params,
        charts=charts,
        query=_query(period),
        settings_minutes=ctx.settings.reports.care_cache_minutes,
    )


@router.get("/care/{name}.csv")
def care_csv(request: Request, ctx: ContextDep, session: SessionDep, staff: CareStaff, name: str):
    period = _period_or_404(request, ctx)
    return _csv(care_report(session, ctx.settings, period, now(request)).tables(), name, period)


def _period(request: Request, ctx: Context) -> tuple[Period, dict[str, str]]:
    today = today_in(ctx.settings, now(request))
    try:
        return Period.parse(request.query_params, today, ctx.settings.reports.trend_weeks), {}
    except FilterError as exc:
        return Period.parse({}, today, ctx.settings.reports.trend_weeks), exc.problems


def _period_or_404(request: Request, ctx: Context) -> Period:
    period, problems = _period(request, ctx)
    if problems:
        raise PageNotFound("; ".join(f"{name}: {text}" for name, text in problems.items()))
    return period


def _csv(tables: list[Table], name: str, period: Period) -> Response:
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise PageNotFound(f"There is no table named {name!r} in this report.")
    filename = f"{name}-{period.start}-to-{period.end}.csv"
    return Response(
        table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _chart(name: str, title: str, table: Table, lines: tuple[tuple[str, str], ...], counted: Period | None = None):  # noqa: ANN202
    """`counted`: the days a week's figures count, when a week may hold only some of them (totals, not a snapshot)."""
    records = table.records()
    weeks = [date.fromisoformat(r["week_of"]) for r in records]
    series = [Series(label, tuple(r[column] for r in records)) for column, label in lines]
    partial = partial_weeks(weeks, counted.start, counted.end) if counted else frozenset()
    return title, trend_chart(name, title, weeks, series, table_id=f"table-{table.name}", partial=partial)


def _query(period: Period) -> str:
    return f"from={period.start}&to={period.end}"
