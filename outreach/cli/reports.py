"""`outreach report`: the figures of the dashboard's report pages, as tables or JSON."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Optional

import typer
from rich.console import Console
from rich.text import Text

from outreach.cli.common import context
from outreach.cli.tables import Column, print_table
from outreach.services.outcomes import Period, Table, today_in, usable_catalog


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    since: Optional[str] = typer.Option(
        None, help="First day (YYYY-MM-DD, the clinic's days); default: [reports] trend_weeks weeks ago."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every table as JSON instead."),
) -> None:
    """Campaign outcomes (per step, skips, weeks, messaged against held out) and care outcomes, up to today."""
    from sqlmodel import Session

    from outreach.services.care import care_report
    from outreach.services.outcomes import outcomes_report

    ctx = context()
    now = datetime.now(timezone.utc)
    period = _period(since, today_in(ctx.settings, now), ctx.settings.reports.trend_weeks)
    with Session(ctx.engine, expire_on_commit=False) as session:
        tables = outcomes_report(session, ctx.settings, usable_catalog(ctx), period).tables()
        tables += care_report(session, ctx.settings, period, now).tables()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "from": period.start.isoformat(),
                    "to": period.end.isoformat(),
                    **{t.name: t.records() for t in tables},
                },
                indent=2,
                default=str,
            )
        )
        return
    console = Console()
    console.print(f"Outcomes from {period.start} to {period.end}")
    for table in tables:
        _print(console, table)


def _period(since: str | None, today: date, weeks: int) -> Period:
    try:
        return Period.parse({"from": since or ""}, today, weeks)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("from: "), param_hint="--since") from None


def _print(console: Console, table: Table) -> None:
    columns = [Column(name.replace("_", " "), numeric=_numeric(table, name)) for name in table.header]
    rows = [[Text("-" if value is None else str(value)) for value in row] for row in table.rows]
    print_table(console, table.title, columns, rows)


def _numeric(table: Table, name: str) -> bool:
    index = table.header.index(name)
    return any(isinstance(row[index], (int, float)) for row in table.rows)
