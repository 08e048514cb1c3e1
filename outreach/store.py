"""Portable bulk writes: insert-or-ignore on a unique key, for SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table
from sqlmodel import Session


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]) -> int:
    """Insert rows, silently keeping the existing row wherever `unique` already matches. Returns rows inserted."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(unique))
    # rowcount is not reliable for batched executemany; count the rows RETURNING gives back instead.
    return len(session.execute(statement.returning(*table.primary_key.columns), list(rows)).all())
