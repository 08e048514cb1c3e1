"""Readiness for platforms' health checks and the status page: can this process serve, and is the worker alive?

Answers carry check names and true/false only: nothing about clients, versions or times."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from outreach import db
from outreach.models import WorkerRun
from outreach.settings import Settings

# A kind of pass is late once it has not started for this many of its beats.
LATE_AFTER_BEATS = 3
PASSES = ("plan", "dispatch")


def readiness(engine: Engine, settings: Settings, now: datetime) -> dict[str, bool]:
    """database: reachable; migrations: at the code's head; worker: alive (no pass is late, see late_passes)."""
    checks = {"database": False, "migrations": False, "worker": False}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = True
        checks["migrations"] = db.current_revision(engine) == head_revision()
        if checks["migrations"]:
            with db.read_only_session(engine) as session:  # no write lock on SQLite
                checks["worker"] = not late_passes(session, settings, now)
    except SQLAlchemyError:
        pass
    return checks


def late_passes(session: Session, settings: Settings, now: datetime) -> list[tuple[str, datetime | None]]:
    """The one rule for "is the worker alive", for /readyz and the status page: it is while a dispatch pass started
    within LATE_AFTER_BEATS x `dispatch_every_seconds` and a plan pass within as many `plan_every_seconds`.
    Returns the kinds of pass that are late, each with when one last started (None: never)."""
    every = {"plan": settings.worker.plan_every_seconds, "dispatch": settings.worker.dispatch_every_seconds}
    late = []
    for kind in PASSES:
        # One index look-up per kind (ix_worker_run_kind_started): the table grows by thousands of rows a day.
        started = session.execute(select(func.max(WorkerRun.started_at)).where(col(WorkerRun.kind) == kind)).scalar()
        last = db.stored_utc(started) if started else None
        if last is None or now - last > timedelta(seconds=every[kind] * LATE_AFTER_BEATS):
            late.append((kind, last))
    return late


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
