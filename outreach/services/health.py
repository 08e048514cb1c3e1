"""Readiness for platforms' health checks: can this process serve, and is the worker behind it alive?

Answers carry check names and true/false only: nothing about clients, versions or times."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from outreach import db
from outreach.models import WorkerRun
from outreach.settings import Settings

# The worker counts as alive while it has started or finished a pass within this many dispatch beats.
ALIVE_WITHIN_BEATS = 2


def readiness(engine: Engine, settings: Settings, now: datetime) -> dict[str, bool]:
    """database: reachable; migrations: at the code's head; worker: a pass within two beats."""
    checks = {"database": False, "migrations": False, "worker": False}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = True
        checks["migrations"] = db.current_revision(engine) == head_revision()
        if checks["migrations"]:
            beat = timedelta(seconds=settings.worker.dispatch_every_seconds)
            checks["worker"] = _last_worker_activity(engine) >= now - beat * ALIVE_WITHIN_BEATS
    except SQLAlchemyError:
        pass
    return checks


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def _last_worker_activity(engine: Engine) -> datetime:
    query = select(func.max(WorkerRun.started_at), func.max(WorkerRun.finished_at))
    with engine.connect() as conn:
        moments = [_utc(moment) for moment in conn.execute(query).one() if moment is not None]
    return max(moments, default=datetime.min.replace(tzinfo=timezone.utc))


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
