"""Engine, sessions and migrations. SQLite gets WAL and a busy timeout so web and worker can share one file.

Also the portable bulk writes and claims: insert-or-ignore on a unique key, and per-client locks that let several
workers share out the clients, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import Column, Engine, Row, Table, event, text
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"
CACHE_KIB = 32 * 1024  # per connection, allocated as used
CHECKPOINT_PAGES = 10_000
READ_ONLY = "outreach_read_only"  # an execution option: see read_only_session
LOCK_POLL_S = 0.0005


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """Bound parameters stay out of error messages and logs: they hold client names, addresses, search terms."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy issue BEGIN itself so `BEGIN IMMEDIATE` below takes the write lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # The outbox's indexes outgrow SQLite's 2 MB default page cache at a few thousand clients, and each
        # checkpoint flushes the WAL to the database file: a larger cache and checkpoints every 40 MB rather than
        # 4 MB let a dispatch batch rewrite the same index pages in memory (benchmarks/README.md).
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn):  # noqa: ANN001
        # Read-then-write transactions must not upgrade a shared lock later (SQLITE_BUSY with no retry).
        # A session that only reads begins plainly: in WAL mode it then neither waits for nor blocks a writer.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            take_write_lock(conn, busy_timeout_ms / 1000)

    return engine


def take_write_lock(conn, timeout_s: float) -> None:  # noqa: ANN001
    """BEGIN IMMEDIATE, polled every LOCK_POLL_S until `timeout_s`. SQLite's own busy handler sleeps 1, 2, 5, 10,
    15, 20, then 25 to 100 ms between tries: a process queued behind another's write transaction slept on for
    tens of milliseconds after the lock came free (benchmarks/README.md)."""
    deadline = time.monotonic() + timeout_s
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL_S)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")


@lru_cache(maxsize=8)
def engine_for(url: str, busy_timeout_ms: int = 5000) -> Engine:
    return make_engine(url, busy_timeout_ms)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    """A session for reads alone (it is rolled back at the end). On SQLite it takes no write lock, so the web
    process can read while the worker writes, e.g. during a flood of logins."""
    with Session(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def alembic_config(url: str):  # noqa: ANN201
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (safe to run on every start: a no-op when current)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema back to `revision` ("base": empty), running each migration's downgrade."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]) -> int:
    """Insert rows, silently keeping the existing row wherever `unique` already matches. Returns rows inserted."""
    return len(insert_new(session, table, rows, unique, *table.primary_key.columns))


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str], *returning: Column
) -> list[Row]:
    """insert_ignore, giving back the `returning` columns of each row it inserted."""
    if not rows:
        return []
    statement = _insert_for(session)(table).on_conflict_do_nothing(index_elements=list(unique))
    # rowcount is not reliable for batched executemany; RETURNING names exactly the rows inserted.
    return list(session.execute(statement.returning(*returning), list(rows)).all())


def _insert_for(session: Session) -> Callable[[Table], PostgresInsert | SqliteInsert]:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def try_lock(session: Session, space: int, ids: Sequence[int]) -> list[int]:
    """The ids (in their order) this transaction now holds under `space`. On PostgreSQL a transaction advisory
    lock per id, skipping ids another transaction holds (they never block row updates); SQLite's
    `BEGIN IMMEDIATE` already serialises writing transactions, so there every id is held."""
    if not ids or session.get_bind().dialect.name != "postgresql":
        return list(ids)
    held = set(
        session.scalars(
            text("SELECT i FROM unnest(CAST(:ids AS integer[])) AS i WHERE pg_try_advisory_xact_lock(:space, i)"),
            {"ids": list(ids), "space": space},
        )
    )
    return [i for i in ids if i in held]


def stored_utc(moment: datetime) -> datetime:
    """A time as read back from the database, made aware: SQLite hands back naive datetimes, and every stored time
    is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
