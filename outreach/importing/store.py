"""Bulk reads and writes for the importers: a few statements per thousand rows, all in the caller's transaction.

Per-row ORM writes run at ~14k rows/s on SQLite; Core executemany at ~200k. These helpers are the one bulk path
for import writes, so the rules the per-row services keep (consent history, waking the planner, the audit
trail) are kept here once for all three importers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Column, Connection, Select, Table, bindparam, case, insert, select, update

from outreach.models import AuditEntry, Client, ConsentEvent

CHUNK = 500
# Past this many keys, one pass over the table beats thousands of bound parameters (PostgreSQL's driver
# spends longer rewriting a 500-parameter query than the server spends running it).
SCAN_ABOVE = 5000
SOURCE = "import"

client_table: Table = Client.__table__  # type: ignore[attr-defined]
consent_table: Table = ConsentEvent.__table__  # type: ignore[attr-defined]
audit_table: Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass
class Plan:
    """What an import would write: new rows, changed rows (with their id), and the clients to wake."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    woken: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.inserts)

    @property
    def updated(self) -> int:
        return len(self.updates)

    @property
    def writes(self) -> bool:
        return bool(self.inserts or self.updates)


def fetch_in(conn: Connection, query: Select, column: Column, values: Iterable[Any]) -> list[Any]:
    """`query` restricted to rows whose `column` is among `values`, a chunk at a time (SQLite caps parameters)."""
    values = list(values)
    if len(values) > SCAN_ABOVE:
        wanted = set(values)
        return [row for row in conn.execute(query) if row._mapping[column] in wanted]
    rows: list[Any] = []
    for start in range(0, len(values), CHUNK):
        rows.extend(conn.execute(query.where(column.in_(values[start : start + CHUNK]))))
    return rows


def clients_by_external_id(conn: Connection, external_ids: Iterable[str], *columns: Column) -> dict[str, Any]:
    query = select(client_table.c.id, client_table.c.external_id, *columns)
    return {row.external_id: row for row in fetch_in(conn, query, client_table.c.external_id, external_ids)}


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by id; every dict carries `id` and the same other keys."""
    if not rows:
        return
    fields = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in fields})
    )
    conn.execute(statement, [{"row_id": row["id"], **{f"new_{name}": row[name] for name in fields}} for row in rows])


def apply_plan(conn: Connection, table: Table, plan: Plan, now: datetime) -> None:
    insert_rows(conn, table, plan.inserts)
    update_rows(conn, table, plan.updates)
    wake_clients(conn, plan.woken, now)


def wake_clients(conn: Connection, client_ids: Iterable[int], now: datetime) -> None:
    """Facts changed: the next planning pass looks at these clients again (as services.facts.wake)."""
    ids = sorted(client_ids)
    column = client_table.c.next_plan_at
    statement = update(client_table).values(next_plan_at=case((column > now, now), else_=column), updated_at=now)
    for start in range(0, len(ids), CHUNK):
        conn.execute(statement.where(client_table.c.id.in_(ids[start : start + CHUNK])))


def import_consent_said(conn: Connection, client_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
    """What the last import said about each client's consent per channel (absent: no import ever did)."""
    query = (
        select(consent_table.c.client_id, consent_table.c.channel, consent_table.c.granted)
        .where(consent_table.c.source == SOURCE)
        .order_by(consent_table.c.at, consent_table.c.id)
    )
    return {
        (row.client_id, row.channel): row.granted
        for row in fetch_in(conn, query, consent_table.c.client_id, client_ids)
    }


def record_consent(conn: Connection, statements: Iterable[tuple[int, str, bool, str]], now: datetime) -> None:
    """One ConsentEvent per (client id, channel, granted, note): the history with its time and source."""
    insert_rows(
        conn,
        consent_table,
        [
            {"client_id": client_id, "channel": channel, "granted": granted, "at": now, "source": SOURCE, "note": note}
            for client_id, channel, granted, note in statements
        ],
    )


def audit_run(conn: Connection, kind: str, file: str, counts: str, now: datetime) -> None:
    insert_rows(
        conn,
        audit_table,
        [
            {
                "at": now,
                "actor": SOURCE,
                "action": f"import.{kind}",
                "client_id": None,
                "detail": f"{file}: {counts}"[:1000],
            }
        ],
    )
