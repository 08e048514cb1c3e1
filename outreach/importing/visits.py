"""Visits: upserted on client + start time; a changed status updates the stored visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table

from outreach.importing import dated, store
from outreach.importing.csvfile import Row
from outreach.importing.fields import moment, text, visit_status
from outreach.importing.headers import Columns
from outreach.importing.report import Problems
from outreach.models import Visit, VisitStatus
from outreach.settings import Settings

KIND = "visits"
COLUMNS = Columns(required=("client_external_id", "starts_at", "status"))
ACCEPTED = {
    "client_external_id": "the client's external_id (import clients first)",
    "starts_at": "ISO-8601 date and time: 2026-03-02T09:30 (the client's local time) or 2026-03-02T09:30-06:00",
    "status": ", ".join(status.value for status in VisitStatus) + " (any case; no-show also accepted)",
}
table: Table = Visit.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VisitRow:
    line: int
    client_external_id: str
    at: datetime
    status: VisitStatus


def parse(row: Row, settings: Settings) -> VisitRow | None:
    client_external_id = row.take("client_external_id", text(64, required=True))
    starts_at = row.take("starts_at", moment())
    status = row.take("status", visit_status)
    return VisitRow(row.line, client_external_id, starts_at, status) if row.ok else None


def plan(conn: Connection, rows: list[VisitRow], problems: Problems, settings: Settings, now: datetime) -> store.Plan:
    placed = dated.place(conn, rows, problems, settings, "starts_at")
    return dated.upserts(
        placed,
        dated.stored(conn, table, "starts_at", placed),
        new=lambda item: {
            "client_id": item.client_id,
            "starts_at": item.at,
            "status": item.row.status.value,
            "source": store.SOURCE,
            "created_at": now,
            "updated_at": now,
        },
        wanted=lambda item, _current: {"status": item.row.status.value},
        stamp={"updated_at": now},
    )


def apply(conn: Connection, result: store.Plan, now: datetime) -> None:
    store.apply_plan(conn, table, result, now)
