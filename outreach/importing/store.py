"""Bulk reads and writes for the importers: a few statements per thousand rows, all in the caller's transaction.

Per-row ORM writes run at ~14k rows/s on SQLite; Core executemany at ~200k. These helpers are the one bulk path
for import writes, so the rules the per-row services keep (consent history, waking the planner, the audit
trail) are kept here once for all three importers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    Column,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from outreach.db import stored_utc
from outreach.models import AuditEntry, Client, ConsentEvent, Conversation, Suppression
from outreach.policy.consent import (
    CLIENT_EMAIL_OPT_OUT_SOURCES,
    CLIENT_OPT_IN_SOURCES,
    email_suppressed_for,
    grant_refusal,
)

CHUNK = 500
# Past this many keys, one pass over the table beats thousands of bound parameters (PostgreSQL's driver
# spends longer rewriting a 500-parameter query than the server spends running it).
SCAN_ABOVE = 5000
SOURCE = "import"

client_table: Table = Client.__table__  # type: ignore[attr-defined]
consent_table: Table = ConsentEvent.__table__  # type: ignore[attr-defined]
audit_table: Table = AuditEntry.__table__  # type: ignore[attr-defined]
conversation_table: Table = Conversation.__table__  # type: ignore[attr-defined]
suppression_table: Table = Suppression.__table__  # type: ignore[attr-defined]


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


def link_conversations(conn: Connection, client_ids: Iterable[int] | None = None) -> None:
    """Conversations follow the clients at their number: one linked to nobody, or to a client no longer at that
    number, links to the first client there (as an inbound text links it), or to nobody if none is. A link to a
    client still at the number (a shared number's chosen client) stands. With `client_ids`, only the
    conversations at those clients' numbers or linked to them; without, every conversation (one statement for
    an import of any size: there are far fewer conversations than clients)."""
    conversation, client = conversation_table, client_table
    first_there = select(func.min(client.c.id)).where(client.c.phone == conversation.c.phone).scalar_subquery()
    linked_there = exists().where(client.c.id == conversation.c.client_id, client.c.phone == conversation.c.phone)
    statement = update(conversation).values(client_id=first_there)
    stale = and_(~linked_there, conversation.c.client_id.is_distinct_from(first_there))
    if client_ids is None:
        conn.execute(statement.where(stale))
        return
    ids = sorted(client_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        theirs = or_(
            conversation.c.phone.in_(select(client.c.phone).where(client.c.id.in_(chunk))),
            conversation.c.client_id.in_(chunk),
        )
        conn.execute(statement.where(theirs, stale))


@dataclass(frozen=True)
class Grant:
    """A consent grant to check: its channel, the address it is for, and the client (None: one not yet stored)."""

    channel: str
    address: str
    client_id: int | None = None


def grant_refusals(conn: Connection, grants: Sequence[Grant]) -> list[str | None]:
    """policy.consent.grant_refusal for each grant, from what is stored: the suppression on the grant's address
    and, for email, the client's own unsubscribes and re-grants. A few statements for any number of grants; the
    one reading of the rule's facts for services.facts.record_consent and the client importer alike."""
    suppressed = _suppressions(conn, {_normal(grant.channel, grant.address) for grant in grants})
    emailed = {grant.client_id for grant in grants if grant.channel == "email" and grant.client_id is not None}
    own_word = _own_email_word(conn, emailed)
    return [_refusal(grant, suppressed, own_word) for grant in grants]


def _refusal(
    grant: Grant, suppressed: dict[tuple[str, str], Any], own_word: dict[int, dict[bool, datetime]]
) -> str | None:
    row = suppressed.get((grant.channel, _normal(grant.channel, grant.address)))
    if grant.channel == "sms":
        # Every suppression on a number is a STOP from it (keyword, own words, or Twilio's opt-out list), and a
        # START deletes the one its STOP made: one that stands is newer than any START.
        return grant_refusal("sms", stored_utc(row.created_at) if row is not None else None, None)
    opt_outs = []
    if row is not None and (kind := email_suppressed_for(row.reason)):
        opt_outs.append((stored_utc(row.created_at), kind))
    said = own_word.get(grant.client_id or 0, {})
    if False in said:
        opt_outs.append((said[False], "unsubscribe"))
    if not opt_outs:
        return None
    stop_at, kind = max(opt_outs)
    return grant_refusal("email", stop_at, said.get(True), kind)


def _suppressions(conn: Connection, addresses: set[str]) -> dict[tuple[str, str], Any]:
    table = suppression_table
    query = select(table.c.channel, table.c.address, table.c.reason, table.c.created_at)
    return {(row.channel, row.address): row for row in fetch_in(conn, query, table.c.address, addresses)}


def _own_email_word(conn: Connection, client_ids: set[int]) -> dict[int, dict[bool, datetime]]:
    """Per client, when they last took email consent back themself (False) and last gave it themself (True)."""
    table = consent_table
    own = or_(
        and_(table.c.granted.is_(False), table.c.source.in_(CLIENT_EMAIL_OPT_OUT_SOURCES)),
        and_(table.c.granted.is_(True), table.c.source.in_(CLIENT_OPT_IN_SOURCES)),
    )
    query = (
        select(table.c.client_id, table.c.granted, table.c.at)
        .where(table.c.channel == "email", own)
        .order_by(table.c.at, table.c.id)
    )
    said: dict[int, dict[bool, datetime]] = {}
    for row in fetch_in(conn, query, table.c.client_id, client_ids):
        said.setdefault(row.client_id, {})[row.granted] = stored_utc(row.at)
    return said


def _normal(channel: str, address: str) -> str:
    # As services.facts.suppress stores an address.
    return address.strip().lower() if channel == "email" else address.strip()
