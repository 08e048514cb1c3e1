"""Import clients, visits and progress entries from CSV files: all or nothing, idempotent, fast.

An import reads and checks the whole file before it touches the database, so the slow part (phone and email
checks) runs without holding SQLite's write lock. It then compares the rows with what is stored and, unless
this is a dry run, writes the difference and one audit entry in a single transaction. Any problem, in the
file or from the database, leaves the database as it was.

    report = import_clients(ctx, "clients.csv", now=utcnow())
    for problem in report.problems: print(problem)   # FILE:LINE: column: reason
"""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Iterator, Mapping

from sqlalchemy import Connection
from sqlmodel import Session

from outreach.context import Context
from outreach.db import session_scope
from outreach.importing import clients, progress, store, visits
from outreach.importing.csvfile import Progress, read_rows
from outreach.importing.report import ImportReport, Problem, Problems
from outreach.settings import Settings

__all__ = ["ImportReport", "Problem", "import_clients", "import_progress", "import_visits"]

Source = str | Path | BinaryIO
Target = Context | Session


def import_clients(
    target: Target,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ImportReport:
    """Upsert clients on external_id (columns: clients.COLUMNS)."""
    return _import(clients, target, source, now, dry_run, settings, on_progress, mapping)


def import_visits(
    target: Target,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ImportReport:
    """Upsert visits on client + start time (columns: visits.COLUMNS)."""
    return _import(visits, target, source, now, dry_run, settings, on_progress, mapping)


def import_progress(
    target: Target,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ImportReport:
    """Upsert progress entries on client + time recorded (columns: progress.COLUMNS)."""
    return _import(progress, target, source, now, dry_run, settings, on_progress, mapping)


def _import(
    kind: ModuleType,
    target: Target,
    source: Source,
    now: datetime,
    dry_run: bool,
    settings: Settings | None,
    on_progress: Progress | None,
    mapping: Mapping[str, str] | None = None,
) -> ImportReport:
    """`kind` is one of the importing modules: KIND, COLUMNS, parse(row, settings), plan(...), apply(...)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    settings = _settings_for(target, settings)
    name = _name_of(source)
    report = ImportReport(kind.KIND, name, dry_run)
    problems = Problems(name)
    rows = _parsed_rows(kind, source, problems, settings, on_progress, mapping, report.notes)
    if rows or not problems:
        with _transaction(target) as session:
            _plan_and_write(kind, session.connection(), rows, problems, report, settings, now, on_progress)
    report.problems = problems.sorted()
    return report


def _plan_and_write(
    kind: ModuleType,
    conn: Connection,
    rows: list[Any],
    problems: Problems,
    report: ImportReport,
    settings: Settings,
    now: datetime,
    on_progress: Progress | None,
) -> None:
    # Planned even when rows were refused, so the report names every problem, not only the first kind found.
    plan = kind.plan(conn, rows, problems, settings, now)
    if problems:
        return
    report.created, report.updated, report.unchanged = plan.created, plan.updated, plan.unchanged
    report.notes += plan.notes
    if plan.writes and not report.dry_run:
        _progress(on_progress, "saving", 0, 1)
        kind.apply(conn, plan, now)
        store.audit_run(conn, kind.KIND, Path(report.file).name, report.counts, now)
        _progress(on_progress, "saving", 1, 1)


def _settings_for(target: Target, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    if isinstance(target, Context):
        return target.settings
    raise TypeError("importing into a Session needs settings=")


def _name_of(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return str(getattr(source, "name", "upload.csv"))


def _parsed_rows(
    kind: ModuleType,
    source: Source,
    problems: Problems,
    settings: Settings,
    on_progress: Progress | None,
    mapping: Mapping[str, str] | None,
    notes: list[str],
) -> list[Any]:
    try:
        with _opened(source) as (stream, size):
            return [
                parsed
                for row in read_rows(stream, size, kind.COLUMNS, problems, on_progress, mapping, notes)
                if (parsed := kind.parse(row, settings)) is not None
            ]
    except OSError as exc:
        problems.add(None, f"cannot read the file: {exc.strerror or exc}")
        return []


@contextmanager
def _opened(source: Source) -> Iterator[tuple[BinaryIO, int]]:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as stream:
            yield stream, os.fstat(stream.fileno()).st_size
    else:
        yield source, 0


def _transaction(target: Target):  # noqa: ANN202
    if isinstance(target, Context):
        return session_scope(target.engine)
    return nullcontext(target)


def _progress(on_progress: Progress | None, stage: str, done: int, total: int) -> None:
    if on_progress:
        on_progress(stage, done, total)
