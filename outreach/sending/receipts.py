"""Receipts: what a dispatch pass learned from the providers, kept on disk when the database would not take it.

After the providers accepted a batch, its record (status, provider id, sent time per row) is the only trace of
what went out. If the database refuses it even after retries, each batch's record is written to its own file
under `<data dir>/receipts/` (and logged, row id beside provider id). The next pass applies the kept receipts,
so the rows settle as `sent` with their provider ids, and delivery reports that came meanwhile are attached."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, Update
from sqlmodel import Session

from outreach.services.events import attach_early_reports

log = logging.getLogger(__name__)
TIMES = ("due_at", "sent_at", "updated_at")


def keep(directory: Path, rows: list[dict]) -> Path:
    """Write one batch's record durably (fsync'd, then renamed into place) and log each sent row."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.json"
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as file:
        json.dump([_plain(row) for row in rows], file)
        file.flush()
        os.fsync(file.fileno())
    partial.rename(path)
    for row in rows:
        if row.get("provider_id"):
            log.error(
                "receipt kept in %s: message %s was accepted by the provider as %s",
                path,
                row["row_id"],
                row["provider_id"],
            )
    return path


def settle(engine: Engine, directory: Path, statement: Update) -> int:
    """Apply every kept receipt (`statement` is dispatch's record, taking rows still sending or unknown).
    Each file is claimed by renaming it, so two workers never apply the same one. Returns the rows settled."""
    settled = 0
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else ():
        claimed = path.with_suffix(f".{os.getpid()}.applying")
        try:
            path.rename(claimed)
        except FileNotFoundError:  # another worker took it
            continue
        try:
            rows = [_typed(row) for row in json.loads(claimed.read_text(encoding="utf-8"))]
            with Session(engine) as session:
                settled += session.execute(statement, rows).rowcount
                attach_early_reports(session, [row["provider_id"] for row in rows if row.get("provider_id")])
                session.commit()
        except Exception:  # noqa: BLE001  keep it for the next pass; sending goes on meanwhile
            log.exception("could not apply the receipts in %s yet", path)
            claimed.rename(path)
            continue
        claimed.unlink()
    return settled


def _plain(row: dict) -> dict:
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in row.items()}


def _typed(row: dict) -> dict:
    return {name: datetime.fromisoformat(value) if name in TIMES and value else value for name, value in row.items()}
