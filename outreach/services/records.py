"""Batches of facts from the REST API: checked by the CSV importer's own parsers (one set of rules), then
written through services.facts one record at a time, all in the caller's transaction. Any bad record and
nothing is written: BatchRejected names each record's index and field, and the caller rolls back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from sqlmodel import Session, col, select

from outreach.importing import clients, progress, visits
from outreach.importing.csvfile import Row
from outreach.importing.fields import in_zone, optional, text, whole_number
from outreach.importing.headers import Columns
from outreach.importing.records import rows_from_records
from outreach.importing.report import Problem, Problems
from outreach.models import Channel, Client
from outreach.services import facts
from outreach.services.client_language import set_language
from outreach.settings import Settings
from outreach.contacts import parse_bool

Records = Sequence[Mapping[str, Any]]
MAX_RECORDS = 1000
# Consent is never a client detail here: it changes only through consent records, each with its source.
# Email and phone left out mean none, as an empty CSV cell does.
# A language left out or empty: the client's stays (a new client gets the clinic's default_language).
CLIENT_COLUMNS = Columns(
    required=("external_id", "first_name"), optional=("last_name", "email", "phone", "timezone", "language")
)
# version: the booking system's revision of the visit (webhooks); an older one never overwrites a newer.
VISIT_COLUMNS = Columns(required=visits.COLUMNS.required, optional=("external_id", "version"))
CONSENT_COLUMNS = Columns(required=("client_external_id", "channel", "granted", "source"), optional=("note",))
WHERE = "records"


class BatchRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was recorded")
        self.problems = problems


class GrantsRefused(BatchRejected):
    """Consent grants the consent rule refuses (facts.ConsentRefused), each named by record index and field."""


@dataclass
class BatchResult:
    outcomes: Counter = field(default_factory=Counter)  # created / updated / unchanged
    ids: list[int] = field(default_factory=list)

    def add(self, record_id: int, outcome: str) -> None:
        self.ids.append(record_id)
        self.outcomes[outcome] += 1


@dataclass(frozen=True)
class Dated:
    """A parsed visit or progress row (with .line, .client_external_id, .at), plus the visit's external id."""

    row: Any
    external_id: str | None = None
    version: int | None = None

    @property
    def line(self) -> int:
        return self.row.line


@dataclass(frozen=True)
class ConsentRecord:
    line: int
    client_external_id: str
    channel: str
    granted: bool
    source: str
    note: str


def save_clients(session: Session, records: Records, settings: Settings, actor: str, now: datetime) -> BatchResult:
    parsed = _parsed(records, CLIENT_COLUMNS, lambda row: clients.parse(row, settings))
    _refuse_duplicates(parsed)
    result = BatchResult()
    for item in parsed:
        details = {"first_name": item.first_name, "email": item.email, "phone": item.phone}
        if item.last_name is not None:
            details["last_name"] = item.last_name
        existing = _clients(session, {item.external_id}).get(item.external_id)
        details["timezone"] = item.timezone or (
            existing.timezone if existing else item.phone_zone or settings.clinic.timezone
        )
        client, outcome = facts.save_client(session, item.external_id, details, actor, now)
        if outcome == "created":
            client.language = item.language or settings.clinic.default_language
            session.add(client)
        elif item.language and item.language != client.language:
            set_language(session, client, item.language, settings, actor, now)
            outcome = "updated"
        result.add(client.id, outcome)
    return result


def save_visits(
    session: Session, records: Records, settings: Settings, actor: str, now: datetime, source: str = "api"
) -> BatchResult:
    parsed = _parsed(records, VISIT_COLUMNS, lambda row: _visit(row, settings))
    result = BatchResult()
    for item, client, at in _placed(session, parsed, settings, "starts_at"):
        visit = facts.record_visit(
            session,
            client,
            at,
            item.row.status,
            actor,
            source=source,
            external_id=item.external_id,
            version=item.version,
        )
        if visit is None:
            result.outcomes["stale"] += 1
            continue
        session.flush()
        result.add(visit.id, "recorded")
    return result


def save_progress(session: Session, records: Records, settings: Settings, actor: str, now: datetime) -> BatchResult:
    parsed = _parsed(records, progress.COLUMNS, lambda row: Dated(progress.parse(row, settings)) if row.ok else None)
    placed = _placed(session, parsed, settings, "recorded_at")
    _refuse(
        [
            Problem(WHERE, item.line, f"{at:%Y-%m-%d %H:%M} UTC is in the future", "recorded_at")
            for item, _client, at in placed
            if at > now
        ]
    )
    result = BatchResult()
    for item, client, at in placed:
        scores = item.row.scores
        entry = facts.record_progress(
            session,
            client,
            at,
            scores["pain"],
            actor,
            source="api",
            peg_enjoyment=scores.get("peg_enjoyment"),
            peg_activity=scores.get("peg_activity"),
        )
        session.flush()
        result.add(entry.id, "recorded")
    return result


def save_consent(session: Session, records: Records, settings: Settings, actor: str, now: datetime) -> BatchResult:
    """Each record states a channel, granted yes/no and where the answer came from; nothing is inferred."""
    parsed = _parsed(records, CONSENT_COLUMNS, _consent)
    found = _known_clients(session, parsed)
    result, refused = BatchResult(), []
    for item in parsed:
        client = found[item.client_external_id]
        try:
            changed = facts.record_consent(
                session,
                client,
                item.channel,
                item.granted,
                source=f"api:{item.source}",
                actor=actor,
                at=now,
                note=item.note,
            )
        except facts.ConsentRefused as exc:
            refused.append(Problem(WHERE, item.line, str(exc), "granted"))
            continue
        result.add(client.id, "updated" if changed else "unchanged")
    if refused:
        raise GrantsRefused(refused)
    return result


def _visit(row: Row, settings: Settings) -> Dated | None:
    external_id = row.take("external_id", optional(text(100)))
    version = row.take("version", optional(whole_number(0, 2**31 - 1)))
    parsed = visits.parse(row, settings)
    return Dated(parsed, external_id, version) if parsed is not None else None


def _consent(row: Row) -> ConsentRecord | None:
    values = (
        row.take("client_external_id", text(64, required=True)),
        row.take("channel", _channel),
        row.take("granted", parse_bool),
        row.take("source", text(50, required=True)),
        row.take("note", text(500)) or "",
    )
    return ConsentRecord(row.line, *values) if row.ok else None


def _channel(raw: str) -> str:
    try:
        return Channel(raw.strip().lower()).value
    except ValueError:
        raise ValueError(f"expected email or sms, got {raw!r}") from None


def _parsed(records: Records, columns: Columns, parse: Callable[[Row], Any]) -> list[Any]:
    problems = Problems(WHERE)
    rows = rows_from_records(records, columns, problems)
    parsed = [item for row in rows if (item := parse(row)) is not None]
    _refuse(problems.sorted())
    return parsed


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise BatchRejected(problems)


def _refuse_duplicates(items: list[Any]) -> None:
    first: dict[str, int] = {}
    problems = []
    for item in items:
        if item.external_id in first:
            problems.append(Problem(WHERE, item.line, f"same as record {first[item.external_id]}", "external_id"))
        first.setdefault(item.external_id, item.line)
    _refuse(problems)


def _clients(session: Session, external_ids: set[str]) -> dict[str, Client]:
    found = session.exec(select(Client).where(col(Client.external_id).in_(external_ids))).all() if external_ids else []
    return {client.external_id: client for client in found}


def _known_clients(session: Session, items: list[Any]) -> dict[str, Client]:
    def key(item: Any) -> str:
        return item.row.client_external_id if isinstance(item, Dated) else item.client_external_id

    found = _clients(session, {key(item) for item in items})
    _refuse(
        [
            Problem(WHERE, item.line, f"no client {key(item)!r}", "client_external_id")
            for item in items
            if key(item) not in found
        ]
    )
    return found


def _placed(
    session: Session, parsed: list[Dated], settings: Settings, column: str
) -> list[tuple[Dated, Client, datetime]]:
    """Each record with its client and its moment in UTC (a naive time is the client's wall-clock time)."""
    found = _known_clients(session, parsed)
    placed, problems = [], []
    for item in parsed:
        client = found[item.row.client_external_id]
        try:
            placed.append((item, client, in_zone(item.row.at, client.timezone or settings.clinic.timezone)))
        except ValueError as exc:
            problems.append(Problem(WHERE, item.line, str(exc), column))
    _refuse(problems)
    return placed
