"""Facts about a client at a moment (visits, progress entries), upserted on client + moment.

Each row names its client by external_id and its moment in ISO-8601; a moment without an offset is a
wall-clock time in the client's own zone. The same client and moment twice in one file is a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, Table, select

from outreach.importing import store
from outreach.importing.fields import in_zone
from outreach.importing.report import Problems
from outreach.settings import Settings


@dataclass(frozen=True)
class Placed:
    """A parsed row (with .line, .client_external_id and .at) tied to its client and UTC instant."""

    row: Any
    client_id: int
    at: datetime


def place(conn: Connection, rows: list[Any], problems: Problems, settings: Settings, column: str) -> list[Placed]:
    clients = store.clients_by_external_id(
        conn, {row.client_external_id for row in rows}, store.client_table.c.timezone
    )
    placed: list[Placed] = []
    first_seen: dict[tuple[int, datetime], int] = {}
    for row in rows:
        client = clients.get(row.client_external_id)
        if client is None:
            problems.add(row.line, f"no client {row.client_external_id!r} (import clients first)", "client_external_id")
            continue
        try:
            at = in_zone(row.at, client.timezone or settings.clinic.timezone)
        except ValueError as exc:
            problems.add(row.line, str(exc), column)
            continue
        key = (client.id, at)
        if key in first_seen:
            problems.add(row.line, f"same client and time as line {first_seen[key]}", column)
            continue
        first_seen[key] = row.line
        placed.append(Placed(row, client.id, at))
    return placed


def stored(conn: Connection, table: Table, column: str, placed: list[Placed]) -> dict[tuple[int, datetime], Any]:
    """The rows already stored for these clients, by (client id, instant)."""
    query = select(table)
    rows = store.fetch_in(conn, query, table.c.client_id, {item.client_id for item in placed})
    return {(row.client_id, getattr(row, column)): row for row in rows}


def upserts(
    placed: list[Placed],
    existing: dict[tuple[int, datetime], Any],
    *,
    new: Callable[[Placed], dict[str, Any]],
    wanted: Callable[[Placed, Any], dict[str, Any]],
    stamp: dict[str, Any],
) -> store.Plan:
    """Insert what is new, update what differs (adding `stamp`), count the rest; wake the clients touched."""
    plan = store.Plan()
    for item in placed:
        current = existing.get((item.client_id, item.at))
        if current is None:
            plan.inserts.append(new(item))
        else:
            values = wanted(item, current)
            if all(getattr(current, name) == value for name, value in values.items()):
                plan.unchanged += 1
                continue
            plan.updates.append({"id": current.id, **values, **stamp})
        plan.woken.add(item.client_id)
    return plan
