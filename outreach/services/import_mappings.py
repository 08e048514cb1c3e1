"""The column mapping the clinic last used for each kind of upload, kept in the database so the next upload (by
anyone, on any machine) starts from it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from outreach.models import ImportMapping


def remembered(session: Session, kind: str) -> dict[str, str]:
    found = session.get(ImportMapping, kind)
    return dict(found.mapping) if found else {}


def remember(session: Session, kind: str, mapping: dict[str, str], actor: str, now: datetime) -> None:
    """Keep this file's choices, on top of what earlier files with other headers taught."""
    merged = {**remembered(session, kind), **mapping}
    session.merge(ImportMapping(kind=kind, mapping=merged, updated_by=actor, updated_at=now))
