"""The delivery log: Message rows filtered, newest first by the time each shows, in keyset pages; and the same
rows as CSV.

Pages are keyed on (log time, id), an indexed expression, so page 500 costs what page 1 does at a million rows."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Engine, Select, and_, literal_column, or_
from sqlmodel import Session, col, select

from outreach.models import LOG_TIME_SQL, Channel, Client, Message, MessageStatus
from outreach.contacts import check_plausible_year
from outreach.policy.languages import UnknownLanguage, language_tag

PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # the largest row id either database can compare against
EXPORT_BATCH = 2000
_COLUMNS = (
    Message.id,
    Message.created_at,
    Message.client_id,
    Client.first_name,
    Client.last_name,
    Message.channel,
    Message.to_address,
    Message.campaign,
    Message.step,
    Message.language,
    Message.status,
    Message.reason,
    Message.error_code,
    Message.due_at,
    Message.sent_at,
    Message.attempts,
    Message.is_test,
    Message.updated_at,
)
# The indexed expression, column for column (qualified: the query joins client, which has an updated_at too).
LOG_TIME = literal_column(
    LOG_TIME_SQL.replace("sent_at", "message.sent_at").replace("updated_at", "message.updated_at"), DateTime
)
_CURSOR = re.compile(r"^(\d+)\.(\d+)$")
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


class FilterError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class LogFilter:
    """What the front desk asked for; dates are whole days in the clinic's time zone, both ends included."""

    start: date | None = None
    end: date | None = None
    channel: str = ""
    status: str = ""
    campaign: str = ""
    client: str = ""
    language: str = ""  # the tag of the language messages went out in

    @classmethod
    def parse(cls, params: Mapping[str, str], languages: Sequence[str] = ()) -> "LogFilter":
        """From query parameters (from, to, channel, status, campaign, client, language: one of `languages`, by
        tag or name); FilterError names each bad one."""
        problems: dict[str, str] = {}
        start, end = _date(params, "from", problems), _date(params, "to", problems)
        channel = _choice(params, "channel", [c.value for c in Channel], problems)
        status = _choice(params, "status", [s.value for s in MessageStatus], problems)
        language = _language(params, tuple(languages), problems)
        if start and end and start > end:
            problems["to"] = f"ends ({end}) before it starts ({start})"
        if problems:
            raise FilterError(problems)
        return cls(
            start,
            end,
            channel,
            status,
            params.get("campaign", "").strip()[:64],
            params.get("client", "").strip()[:100],
            language,
        )

    def params(self) -> dict[str, str]:
        """Back to query parameters, without the empty ones."""
        values = {
            "from": self.start,
            "to": self.end,
            "channel": self.channel,
            "status": self.status,
            "campaign": self.campaign,
            "client": self.client,
            "language": self.language,
        }
        return {name: str(value) for name, value in values.items() if value}

    def describe(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.params().items()) or "everything"

    @property
    def is_empty(self) -> bool:
        return not self.params()


@dataclass(frozen=True)
class Cursor:
    """A position in the log: the row's (log time, id), written as microseconds.id in links."""

    at: datetime
    id: int

    def encode(self) -> str:
        return f"{_micros(self.at)}.{self.id}"

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        match = _CURSOR.match(text or "")
        if not match:
            return None
        try:
            cursor = cls(_EPOCH + timedelta(microseconds=int(match[1])), int(match[2]))
        except OverflowError:
            return None
        return cursor if cursor.id <= MAX_ID else None


@dataclass(frozen=True)
class LogRow:
    id: int
    created_at: datetime
    client_id: int | None
    first_name: str | None
    last_name: str | None
    channel: str
    to_address: str
    campaign: str
    step: str
    language: str  # "" until the message is rendered
    status: str
    reason: str
    error_code: str
    due_at: datetime
    sent_at: datetime | None
    attempts: int
    is_test: bool
    updated_at: datetime

    @property
    def when(self) -> datetime:
        """The time shown, and sorted by: sent, else when the row last changed (see models.LOG_TIME_SQL)."""
        return self.sent_at or self.updated_at

    @property
    def client_name(self) -> str:
        return f"{self.first_name or ''} {self.last_name or ''}".strip()

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.when, self.id)


def message_time(message: "LogRow | Message") -> datetime:
    """The time to show for a message: when it was sent; when it is due, while it waits; otherwise when its
    outcome (failed, skipped, unknown) was recorded."""
    if message.sent_at:
        return message.sent_at
    return message.due_at if message.status in (MessageStatus.planned, MessageStatus.sending) else message.updated_at


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    older: Cursor | None  # where the next (older) page starts, if there is one
    newer: Cursor | None  # where the previous (newer) page ends, if there is one


def log_page(
    session: Session,
    log_filter: LogFilter,
    zone: ZoneInfo,
    before: Cursor | None = None,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> LogPage:
    """One page, newest first: the rows older than `before`, or the ones just newer than `after`."""
    query = log_query(log_filter, zone)
    if after is not None:
        query = query.where(_newer_than(after)).order_by(LOG_TIME, col(Message.id))
    else:
        if before is not None:
            query = query.where(_older_than(before))
        query = query.order_by(LOG_TIME.desc(), col(Message.id).desc())
    found = [LogRow(**row._mapping) for row in session.exec(query.limit(limit + 1))]
    more, rows = len(found) > limit, found[:limit]
    if after is not None:
        rows.reverse()
        return LogPage(rows, older=rows[-1].cursor if rows else after, newer=rows[0].cursor if more else None)
    return LogPage(
        rows, older=rows[-1].cursor if more else None, newer=rows[0].cursor if before is not None and rows else None
    )


def iter_log(engine: Engine, log_filter: LogFilter, zone: ZoneInfo, batch: int = EXPORT_BATCH) -> Iterator[LogRow]:
    """Every matching row, newest first, read in short transactions so a long export never holds the database."""
    before = None
    while True:
        with Session(engine) as session:
            page = log_page(session, log_filter, zone, before=before, limit=batch)
        yield from page.rows
        if page.older is None:
            return
        before = page.older


def log_query(log_filter: LogFilter, zone: ZoneInfo) -> Select:
    """The matching rows with their clients' names, in no particular order."""
    query = select(*_COLUMNS).select_from(Message).outerjoin(Client, Client.id == Message.client_id)
    return query.where(*conditions(log_filter, zone))


def conditions(log_filter: LogFilter, zone: ZoneInfo) -> list:
    where = []
    if log_filter.start:
        where.append(LOG_TIME >= _local_midnight(log_filter.start, zone))
    if log_filter.end:
        where.append(LOG_TIME < _local_midnight(log_filter.end + timedelta(days=1), zone))
    if log_filter.channel:
        where.append(col(Message.channel) == log_filter.channel)
    if log_filter.status:
        where.append(col(Message.status) == log_filter.status)
    if log_filter.campaign:
        where.append(col(Message.campaign) == log_filter.campaign)
    if log_filter.language:
        where.append(col(Message.language) == log_filter.language)
    if log_filter.client:
        where.append(col(Message.client_id).in_(select(Client.id).where(*client_matches(log_filter.client))))
    return where


def client_matches(query: str) -> list:
    """Each word of the query must appear in the client's name, email or phone number (digits only)."""
    where = []
    for word in query.split():
        options = [
            col(Client.first_name).icontains(word, autoescape=True),
            col(Client.last_name).icontains(word, autoescape=True),
            col(Client.email).icontains(word, autoescape=True),
        ]
        digits = re.sub(r"\D", "", word)
        if len(digits) >= 3:
            options.append(col(Client.phone).contains(digits, autoescape=True))
        where.append(or_(*options))
    return where


CSV_HEADER = (
    "message_id",
    "created",
    "client_id",
    "client",
    "channel",
    "to",
    "campaign",
    "step",
    "language",
    "status",
    "reason",
    "error_code",
    "due",
    "sent",
    "updated",
    "attempts",
    "test",
)


def csv_lines(rows: Iterator[LogRow], zone: ZoneInfo, chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks, header first. Cells that a spreadsheet would run as a formula are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_cell(value) for value in _csv_values(row, zone)])
        if count % chunk == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _csv_values(row: LogRow, zone: ZoneInfo) -> tuple:
    return (
        row.id,
        _iso(row.created_at, zone),
        row.client_id or "",
        row.client_name,
        row.channel,
        row.to_address,
        row.campaign,
        row.step,
        row.language,
        row.status,
        row.reason,
        row.error_code,
        _iso(row.due_at, zone),
        _iso(row.sent_at, zone),
        _iso(row.updated_at, zone),
        row.attempts,
        "yes" if row.is_test else "",
    )


_PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().-]+$")


def safe_cell(value: object) -> object:
    # OWASP CSV injection: a leading = + - @ tab or CR makes Excel and Sheets evaluate the cell. Phone numbers
    # and negative numbers are left alone; anything else gets a leading apostrophe.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _iso(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def _older_than(cursor: Cursor):  # noqa: ANN202
    # The first term alone can use the log time index; the second breaks ties within one instant.
    return and_(LOG_TIME <= cursor.at, or_(LOG_TIME < cursor.at, col(Message.id) < cursor.id))


def _newer_than(cursor: Cursor):  # noqa: ANN202
    return and_(LOG_TIME >= cursor.at, or_(LOG_TIME > cursor.at, col(Message.id) > cursor.id))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def _date(params: Mapping[str, str], name: str, problems: dict[str, str]) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems[name] = f"{raw!r} is not a date like 2026-03-02"
        return None
    try:
        check_plausible_year(day)
    except ValueError as exc:
        problems[name] = str(exc)
        return None
    return day


def _choice(params: Mapping[str, str], name: str, allowed: list[str], problems: dict[str, str]) -> str:
    raw = params.get(name, "").strip()
    if raw and raw not in allowed:
        problems[name] = f"{raw!r} is not one of {', '.join(allowed)}"
        return ""
    return raw


def _language(params: Mapping[str, str], languages: tuple[str, ...], problems: dict[str, str]) -> str:
    raw = params.get("language", "").strip()
    if not raw:
        return ""
    try:
        return language_tag(raw, languages)
    except UnknownLanguage as exc:
        problems["language"] = str(exc)
        return ""


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class MessageDetail:
    message: Message
    client_name: str
    events: list  # DeliveryEvent rows, oldest first: deferrals and provider reports


def message_detail(session: Session, message_id: int) -> MessageDetail | None:
    """One message with its history: each deferral and each provider event, oldest first."""
    from outreach.models import DeliveryEvent

    message = session.get(Message, message_id)
    if message is None:
        return None
    client = session.get(Client, message.client_id) if message.client_id else None
    events = list(
        session.exec(
            select(DeliveryEvent)
            .where(DeliveryEvent.message_id == message_id)
            .order_by(col(DeliveryEvent.at), col(DeliveryEvent.id))
        )
    )
    name = f"{client.first_name} {client.last_name or ''}".strip() if client else ""
    return MessageDetail(message, name, events)
