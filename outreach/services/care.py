"""Care outcomes for admins and the front desk: clients per phase week by week, visits per client per month by
phase, the share whose pain improved by the taper's thresholds, and the time from a first visit to tapering.

These read every client's visits and scores through the cadence policy itself, so they are computed at most every
`[reports] care_cache_minutes` and kept in report_state; a page in between reads the stored tables."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from outreach.models import Client, ClientStatus, ProgressEntry, ReportState, Visit
from outreach.policy.cadence import PHASES, Score, VisitFact, baseline_of, phases_at, progress_steps
from outreach.services.outcomes import Period, Table, week_of
from outreach.settings import Cadence, Settings

CACHE_KEY = "care"
CHUNK = 2000


@dataclass(frozen=True)
class History:
    visits: tuple[VisitFact, ...]
    scores: tuple[Score, ...]

    @cached_property
    def first_at(self) -> datetime | None:
        moments = [v.starts_at for v in self.visits] + [s.recorded_at for s in self.scores]
        return min(moments, default=None)

    def started_by(self, at: datetime) -> bool:
        return self.first_at is not None and self.first_at <= at


@dataclass
class CareReport:
    computed_at: datetime
    phases: Table
    visits: Table
    improvement: Table
    taper: Table

    def tables(self) -> list[Table]:
        return [self.phases, self.visits, self.improvement, self.taper]


def care_report(session: Session, settings: Settings, period: Period, now: datetime) -> CareReport:
    """The stored report for this period if it is fresh enough, else a new one (stored for next time)."""
    key = f"{CACHE_KEY}:{period.start}:{period.end}"
    cached = session.get(ReportState, key)
    if cached is not None and now - cached.updated_at < timedelta(minutes=settings.reports.care_cache_minutes):
        return _from_payload(cached.payload, cached.updated_at)
    report = compute_care(histories(session), settings, period, now)
    row = cached or ReportState(key=key)
    tables = [
        {"name": t.name, "title": t.title, "header": list(t.header), "rows": [list(r) for r in t.rows]}
        for t in report.tables()
    ]
    row.payload, row.updated_at = {"tables": tables}, now
    session.add(row)
    session.commit()
    return report


def refresh_default_reports(engine, settings: Settings, now: datetime) -> None:  # noqa: ANN001
    """What the worker does between page views: the rollup brought up to date and the default period's care
    outcomes recomputed, so neither page pays for them."""
    from outreach.services import rollup
    from outreach.services.outcomes import today_in

    with Session(engine, expire_on_commit=False) as session:
        rollup.refresh(session, settings)
        period = Period.parse({}, today_in(settings, now), settings.reports.trend_weeks)
        care_report(session, settings, period, now)


def histories(session: Session) -> Iterator[History]:
    """Every client's visits and scores, a client at a time (archived clients left out)."""
    ids = list(session.exec(select(Client.id).where(Client.status != ClientStatus.archived).order_by(col(Client.id))))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        visits = _grouped(
            session.exec(
                select(Visit.client_id, Visit.starts_at, Visit.status)
                .where(col(Visit.client_id).in_(chunk))
                .order_by(col(Visit.client_id), col(Visit.starts_at))
            )
        )
        scores = _grouped(
            session.exec(
                select(ProgressEntry.client_id, ProgressEntry.recorded_at, ProgressEntry.pain)
                .where(col(ProgressEntry.client_id).in_(chunk))
                .order_by(col(ProgressEntry.client_id), col(ProgressEntry.recorded_at))
            )
        )
        for client_id in chunk:
            yield History(
                tuple(VisitFact(at, status) for at, status in visits.get(client_id, ())),
                tuple(Score(at, pain) for at, pain in scores.get(client_id, ())),
            )


def _grouped(rows) -> dict[int, list]:  # noqa: ANN001
    return {client_id: [tuple(row[1:]) for row in group] for client_id, group in groupby(rows, key=lambda r: r[0])}


def compute_care(clients: Iterator[History], settings: Settings, period: Period, now: datetime) -> CareReport:
    """Pure: the four tables from the clients' histories."""
    zone = ZoneInfo(settings.clinic.timezone)
    weeks = _week_ends(period, zone, now)
    months = _months(period, zone, now)
    cadence = settings.cadence
    per_week: dict[date, Counter] = defaultdict(Counter)
    per_month: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])  # clients, visits
    improved: Counter[str] = Counter()
    taper_days: list[float] = []
    for history in clients:
        seen = [(week, end) for week, end in weeks if history.started_by(end)]
        for (week, _), phase in zip(
            seen, phases_at(history.visits, history.scores, [e for _, e in seen], cadence), strict=True
        ):
            per_week[week][phase] += 1
        for (month, start, end), phase in zip(months, _phases_for_months(history, months, cadence), strict=True):
            if phase:
                per_month[month, phase][0] += 1
                per_month[month, phase][1] += sum(
                    v.status == "attended" and start <= v.starts_at < end for v in history.visits
                )
        _count_improvement(history, now, cadence, improved)
        days = days_to_taper(history, cadence)
        if days is not None:
            taper_days.append(days)
    return CareReport(
        now,
        _phases_table(weeks, per_week),
        _visits_table(months, per_month),
        _improvement_table(improved, cadence),
        _taper_table(taper_days),
    )


def _week_ends(period: Period, zone: ZoneInfo, now: datetime) -> list[tuple[date, datetime]]:
    first = week_of(period.start)
    ends = []
    for i in range((period.end - first).days // 7 + 1):
        week = first + timedelta(weeks=i)
        ends.append((week, min(_midnight(week + timedelta(days=7), zone), now)))
    return ends


def _months(period: Period, zone: ZoneInfo, now: datetime) -> list[tuple[date, datetime, datetime]]:
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        following = (month + timedelta(days=32)).replace(day=1)
        months.append((month, _midnight(month, zone), min(_midnight(following, zone), now)))
        month = following
    return months


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), zone)


def _phases_for_months(history: History, months: list, cadence: Cadence) -> list[str | None]:
    """The phase each client was in as each month began; a client whose first visit falls in the month is
    establishing; one not yet seen by its end is not counted (None)."""
    begun = [start for _, start, _ in months if history.started_by(start)]
    at_start = dict(zip(begun, phases_at(history.visits, history.scores, begun, cadence), strict=True))
    return [
        at_start.get(start) or (PHASES[0] if history.started_by(end) and start < end else None)
        for _, start, end in months
    ]


def _count_improvement(history: History, now: datetime, cadence: Cadence, improved: Counter) -> None:
    scores = [s for s in history.scores if s.recorded_at <= now]
    baseline, checkins = baseline_of(scores, cadence)
    if baseline is None or not checkins or baseline <= 0:
        return
    gain = (baseline - checkins[-1].pain) / baseline
    improved["measured"] += 1
    improved["moderate"] += gain >= cadence.taper_relative
    improved["substantial"] += gain >= cadence.maintain_relative


def days_to_taper(history: History, cadence: Cadence) -> float | None:
    """Days from the first attended visit to the check-in at which a moderate improvement first held."""
    attended = [v.starts_at for v in history.visits if v.status == "attended"]
    if not attended:
        return None
    for checkin, level, _ in progress_steps(history.scores, cadence):
        if level >= 1:
            return round((checkin.recorded_at - min(attended)).total_seconds() / 86400, 1)
    return None


def _phases_table(weeks, per_week) -> Table:  # noqa: ANN001
    rows = [(week.isoformat(), *(per_week[week][phase] for phase in PHASES)) for week, _ in weeks]
    return Table("phases", "Clients per phase, at each week's end", ("week_of", *PHASES), rows)


def _visits_table(months, per_month) -> Table:  # noqa: ANN001
    rows = []
    for month, _, _ in months:
        for phase in PHASES:
            clients, visits = per_month.get((month, phase), (0, 0))
            rows.append((f"{month:%Y-%m}", phase, clients, visits, round(visits / clients, 2) if clients else None))
    return Table(
        "visits",
        "Visits per client per month, by phase at the month's start",
        ("month", "phase", "clients", "visits", "visits_per_client"),
        rows,
    )


def _improvement_table(improved: Counter, cadence: Cadence) -> Table:
    measured = improved["measured"]
    rows = [
        (
            f"at least {threshold:.0%}",
            improved[name],
            measured,
            round(improved[name] / measured, 4) if measured else None,
        )
        for name, threshold in (("moderate", cadence.taper_relative), ("substantial", cadence.maintain_relative))
    ]
    return Table(
        "improvement",
        "Pain improved from baseline at the latest check-in",
        ("improvement", "clients", "clients_measured", "share"),
        rows,
    )


def _taper_table(days: list[float]) -> Table:
    if not days:
        return Table(
            "taper",
            "Days from the first visit to tapering",
            ("clients", "median", "quartile_1", "quartile_3"),
            [(0, None, None, None)],
        )
    quartiles = statistics.quantiles(days, n=4) if len(days) > 1 else [days[0]] * 3
    return Table(
        "taper",
        "Days from the first visit to tapering",
        ("clients", "median", "quartile_1", "quartile_3"),
        [(len(days), statistics.median(days), round(quartiles[0], 1), round(quartiles[2], 1))],
    )


def _from_payload(payload: dict, computed_at: datetime) -> CareReport:
    tables = [
        Table(t["name"], t["title"], tuple(t["header"]), [tuple(row) for row in t["rows"]]) for t in payload["tables"]
    ]
    return CareReport(computed_at, *tables)
