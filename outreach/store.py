"""Portable bulk writes and claims: insert-or-ignore on a unique key, and per-client locks that let several
workers share out the clients, for SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Column, Row, Table, text
from sqlmodel import Session


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]) -> int:
    """Insert rows, silently keeping the existing row wherever `unique` already matches. Returns rows inserted."""
    return len(insert_new(session, table, rows, unique, *table.primary_key.columns))


def insert_new(session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str],
               *returning: Column) -> list[Row]:
    """insert_ignore, giving back the `returning` columns of each row it inserted."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(unique))
    # rowcount is not reliable for batched executemany; RETURNING names exactly the rows inserted.
    return list(session.execute(statement.returning(*returning), list(rows)).all())


def try_lock(session: Session, space: int, ids: Sequence[int]) -> list[int]:
    """The ids (in their order) this transaction now holds under `space`. On PostgreSQL a transaction advisory
    lock per id, skipping ids another transaction holds (they never block row updates); SQLite's
    `BEGIN IMMEDIATE` already serialises writing transactions, so there every id is held."""
    if not ids or session.get_bind().dialect.name != "postgresql":
        return list(ids)
    held = set(session.scalars(text("SELECT i FROM unnest(CAST(:ids AS integer[])) AS i "
                                    "WHERE pg_try_advisory_xact_lock(:space, i)"), {"ids": list(ids), "space": space}))
    return [i for i in ids if i in held]
