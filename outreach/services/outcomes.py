"""Campaign outcomes for a period: per campaign and step, what was planned, sent, delivered, opened, answered and
rebooked; sent, delivered and rebooked by language; skips by reason; weekly trends; and messaged against held-out
clients. Aggregates only: no client is named, scored or phased here, so marketing may see all of it. The web page
and `outreach report` both print it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Table as SqlTable
from sqlalchemy import select
from sqlmodel import Session

from outreach.campaigns import CampaignError, Catalog
from outreach.context import Context
from outreach.models import ReportDay
from outreach.policy.comparison import Arm, Comparison
from outreach.policy.holdout import HOLDOUT_STEP
from outreach.policy.languages import language_name
from outreach.services import rollup
from outreach.services.conversations import REPLY_CAMPAIGN
from outreach.services.delivery_log import LogFilter
from outreach.services.delivery_log import safe_cell  # spreadsheet formulas defused, as in the log
from outreach.settings import Settings

REPORT_DAY: SqlTable = ReportDay.__table__  # type: ignore[attr-defined]

STEP_COLUMNS = (
    "planned",
    "sent",
    "delivered",
    "failed",
    "skipped",
    "waiting",
    "opened",
    "clicked",
    "unsubscribed",
    "stop",
    "replies",
    "rebooked",
)
WEEK_COLUMNS = ("sent", "delivered", "failed", "opened", "clicked", "replies", "stop", "rebooked")
LANGUAGE_COLUMNS = ("sent", "delivered", "rebooked")


@dataclass(frozen=True)
class Period:
    """Whole days in the clinic's time zone, both ends included."""

    start: date
    end: date

    @classmethod
    def parse(cls, params: Mapping[str, str], today: date, weeks: int) -> "Period":
        """From `from` and `to` query parameters (FilterError names a bad one); by default the last `weeks` weeks."""
        chosen = LogFilter.parse({name: params.get(name, "") for name in ("from", "to")})
        end = chosen.end or today
        return cls(chosen.start or end - timedelta(weeks=weeks) + timedelta(days=1), end)

    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class Table:
    """One table of a report: the page shows it, the CSV export and `outreach report --json` carry it."""

    name: str
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header)
        writer.writerows([safe_cell("" if value is None else value) for value in row] for row in self.rows)
        return buffer.getvalue()


@dataclass(frozen=True)
class HoldoutResult:
    campaign: str
    step: str
    since: date
    comparison: Comparison


@dataclass
class OutcomesReport:
    period: Period
    attribution_days: int
    visits_window_days: int
    steps: Table
    languages: Table
    skipped: Table
    weeks: Table
    holdouts: list[HoldoutResult] = field(default_factory=list)

    @property
    def holdout_table(self) -> Table:
        return holdout_table(self.holdouts)

    def tables(self) -> list[Table]:
        return [self.steps, self.languages, self.skipped, self.weeks, self.holdout_table]


def outcomes_report(session: Session, settings: Settings, catalog: Catalog | None, period: Period) -> OutcomesReport:
    rollup.refresh(session, settings)
    rows = _rollup_rows(session, period)
    totals = _totals(rows)
    order = _step_order(catalog, totals)
    return OutcomesReport(
        period=period,
        attribution_days=settings.reports.attribution_days,
        visits_window_days=settings.reports.visits_window_days,
        steps=_steps_table(totals, order, catalog),
        languages=_languages_table(totals, settings),
        skipped=_skipped_table(totals, order),
        weeks=_weeks_table(rows, period),
        holdouts=_holdouts(rows, totals, catalog, settings.reports.min_group_size),
    )


def usable_catalog(ctx: Context) -> Catalog | None:
    """The campaigns, or None while a file has errors: the figures are in the database either way."""
    try:
        return ctx.catalog
    except CampaignError:
        return None


def today_in(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.clinic.timezone)).date()


Row = tuple[date, str, str, str, str, int]  # day, campaign, step, metric, detail, count
Totals = dict[tuple[str, str], dict[str, Counter]]  # (campaign, step) -> metric -> detail -> count


def _rollup_rows(session: Session, period: Period) -> list[Row]:
    """The period's rollup rows, read once (a year is some tens of thousands) and added up in Python."""
    table = REPORT_DAY
    query = select(table.c.day, table.c.campaign, table.c.step, table.c.metric, table.c.detail, table.c.count).where(
        table.c.day >= period.start, table.c.day <= period.end
    )
    return [tuple(row) for row in session.connection().execute(query)]


def _totals(rows: list[Row]) -> Totals:
    totals: Totals = defaultdict(lambda: defaultdict(Counter))
    for _, campaign, step, metric, detail, count in rows:
        totals[campaign, step][metric][detail] += count
    return totals


def _step_order(catalog: Catalog | None, totals: Totals) -> list[tuple[str, str]]:
    """The catalog's campaigns and steps in file order, then any others the period saw (a step since removed)."""
    known = [(c.name, s.key) for c in catalog.campaigns for s in c.steps] if catalog else []
    seen = sorted(key for key in totals if key not in known and key[1] != HOLDOUT_STEP)
    return [key for key in known if key in totals] + seen


def _steps_table(totals: Totals, order: list[tuple[str, str]], catalog: Catalog | None) -> Table:
    streams = {c.name: c.stream for c in catalog.campaigns} if catalog else {}
    rows = []
    for campaign, step in order:
        metrics = totals[campaign, step]
        cells: list[int | None] = [sum(metrics[name].values()) for name in STEP_COLUMNS]
        if streams.get(campaign, "rebook") != "rebook":
            cells[-1] = None  # rebooks are counted for rebook nudges only
        held_out = sum(totals.get((campaign, HOLDOUT_STEP), {}).get("held_out_clients", Counter()).values())
        rows.append((campaign, step, *cells, held_out if step == _first_step(catalog, campaign) else None))
    return Table("steps", "Per campaign and step", ("campaign", "step", *STEP_COLUMNS, "held_out_clients"), rows)


def _languages_table(totals: Totals, settings: Settings) -> Table:
    """Sent and delivered by the language each message went out in, rebooked by the client's: every served
    language, then any other the period saw, then what no language was recorded for."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for (campaign, _), metrics in totals.items():
        # Campaign messages sent before languages were recorded came from the default language's files; a reply
        # a person wrote is in whatever language they wrote it in.
        unrecorded = "" if campaign == REPLY_CAMPAIGN else settings.clinic.default_language
        for name in LANGUAGE_COLUMNS:
            for tag, count in metrics.get(name, Counter()).items():
                counts[tag or unrecorded][name] += count
    served = settings.served_languages
    order = [*served, *sorted(set(counts) - {*served, ""}), *([""] if "" in counts else [])]
    rows = [(_language_label(tag), tag, *(counts[tag][name] for name in LANGUAGE_COLUMNS)) for tag in order]
    return Table("languages", "Sent, delivered and rebooked by language", ("language", "tag", *LANGUAGE_COLUMNS), rows)


def _language_label(tag: str) -> str:
    return language_name(tag) if tag else "Not recorded"


def _skipped_table(totals: Totals, order: list[tuple[str, str]]) -> Table:
    rows = [
        (campaign, step, reason, count)
        for campaign, step in order
        for reason, count in totals[campaign, step]["skipped"].most_common()
    ]
    return Table("skipped", "Skipped, by reason", ("campaign", "step", "reason", "messages"), rows)


def _weeks_table(rows: list[Row], period: Period) -> Table:
    weeks: dict[date, Counter] = defaultdict(Counter)
    for day, _, step, metric, _, count in rows:
        if metric in WEEK_COLUMNS and step != HOLDOUT_STEP:
            weeks[week_of(day)][metric] += count
    first = week_of(period.start)
    starts = [first + timedelta(weeks=i) for i in range((period.end - first).days // 7 + 1)]
    table_rows = [(start.isoformat(), *(weeks[start][name] for name in WEEK_COLUMNS)) for start in starts]
    return Table("weeks", "Week by week", ("week_of", *WEEK_COLUMNS), table_rows)


def week_of(day: date) -> date:
    """The Monday that starts the day's week."""
    return day - timedelta(days=day.weekday())


def _first_step(catalog: Catalog | None, campaign: str) -> str | None:
    if catalog is None:
        return None
    try:
        return catalog.get(campaign).steps[0].key
    except KeyError:
        return None


def _holdouts(rows: list[Row], totals: Totals, catalog: Catalog | None, min_size: int) -> list[HoldoutResult]:
    """For each campaign with held-out occasions in the period, its first step: messaged against held out,
    counting the messaged side only from the first day with a held-out occasion, so both cover the same weeks."""
    results = []
    for (campaign, step), metrics in sorted(totals.items()):
        if not metrics["held_out_occasions"] or step != (_first_step(catalog, campaign) or step):
            continue
        since = min(row[0] for row in rows if row[1:4] == (campaign, step, "held_out_occasions"))
        sides = _totals([row for row in rows if row[1:3] == (campaign, step) and row[0] >= since])[campaign, step]
        results.append(
            HoldoutResult(campaign, step, since, Comparison(_arm(sides, ""), _arm(sides, "held_out_"), min_size))
        )
    return results


def _arm(metrics: dict[str, Counter], prefix: str) -> Arm:
    visits = {int(n): count for n, count in metrics[f"{prefix}visits_after"].items()}
    return Arm(sum(metrics[f"{prefix}occasions"].values()), sum(metrics[f"{prefix}rebooked_after"].values()), visits)


HOLDOUT_HEADER = (
    "campaign",
    "step",
    "group",
    "nudges",
    "rebooked",
    "rebook_rate",
    "rebook_rate_low",
    "rebook_rate_high",
    "visits_per_nudge",
    "visits_low",
    "visits_high",
    "note",
)


def holdout_table(results: list[HoldoutResult]) -> Table:
    rows = []
    for result in results:
        c = result.comparison
        note = "" if c.enough_data else f"not enough data yet (fewer than {c.min_group_size} in a group)"
        for group, arm in (("messaged", c.messaged), ("held out", c.held_out)):
            numbers = _arm_numbers(arm) if c.enough_data else (None,) * 6
            rows.append((result.campaign, result.step, group, arm.occasions, arm.rebooked, *numbers, note))
        if c.enough_data:
            rebook, visits = c.rebook_difference, c.visits_difference
            rows.append(
                (
                    result.campaign,
                    result.step,
                    "difference",
                    None,
                    None,
                    *_rounded(rebook.estimate, rebook.low, rebook.high),
                    *_rounded(visits.estimate, visits.low, visits.high),
                    "messaged minus held out",
                )
            )
    return Table("holdout", "Messaged against held out", HOLDOUT_HEADER, rows)


def _arm_numbers(arm: Arm) -> tuple:
    if not arm.occasions:
        return (None,) * 6
    rate, visits = arm.rebook_rate, arm.mean_visits
    return (*_rounded(rate.estimate, rate.low, rate.high), *_rounded(visits.estimate, visits.low, visits.high))


def _rounded(*values: float) -> tuple[float, ...]:
    return tuple(round(value, 4) for value in values)
