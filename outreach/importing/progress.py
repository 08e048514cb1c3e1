"""Progress entries: a pain score (0-10) and optional PEG items, upserted on client + time recorded.

A PEG column left out of the file leaves stored PEG values as they are; an empty cell means not asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table

from outreach.importing import dated, store
from outreach.importing.csvfile import Row
from outreach.importing.fields import moment, optional, text, whole_number
from outreach.importing.headers import Columns
from outreach.importing.report import Problems
from outreach.models import ProgressEntry
from outreach.settings import Settings

KIND = "progress"
PEG = ("peg_enjoyment", "peg_activity")
COLUMNS = Columns(required=("client_external_id", "recorded_at", "pain"), optional=PEG)
ACCEPTED = {
    "client_external_id": "the client's external_id (import clients first)",
    "recorded_at": "ISO-8601 date, or date and time, in the client's local time unless an offset is given",
    "pain, peg_enjoyment, peg_activity": "whole numbers from 0 to 10 (peg_* optional, may be empty)",
}
table: Table = ProgressEntry.__table__  # type: ignore[attr-defined]
score = whole_number(0, 10)


@dataclass(frozen=True)
class ProgressRow:
    line: int
    client_external_id: str
    at: datetime
    scores: dict[str, int | None]


def parse(row: Row, settings: Settings) -> ProgressRow | None:
    client_external_id = row.take("client_external_id", text(64, required=True))
    recorded_at = row.take("recorded_at", moment(dates_allowed=True))
    scores = {"pain": row.take("pain", score)}
    scores.update({name: row.take(name, optional(score)) for name in PEG if row.has(name)})
    return ProgressRow(row.line, client_external_id, recorded_at, scores) if row.ok else None


def plan(
    conn: Connection, rows: list[ProgressRow], problems: Problems, settings: Settings, now: datetime
) -> store.Plan:
    placed = dated.place(conn, rows, problems, settings, "recorded_at")
    for item in placed:
        if item.at > now:
            problems.add(item.row.line, f"{item.at:%Y-%m-%d %H:%M} UTC is in the future", "recorded_at")
    return dated.upserts(
        placed,
        dated.stored(conn, table, "recorded_at", placed),
        new=lambda item: {
            "client_id": item.client_id,
            "recorded_at": item.at,
            "source": store.SOURCE,
            **dict.fromkeys(PEG),
            **item.row.scores,
        },
        wanted=_wanted,
        stamp={},
    )


def _wanted(item: dated.Placed, current: Any) -> dict[str, Any]:
    return {
        "pain": item.row.scores["pain"],
        **{name: item.row.scores.get(name, getattr(current, name)) for name in PEG},
    }


def apply(conn: Connection, result: store.Plan, now: datetime) -> None:
    store.apply_plan(conn, table, result, now)
