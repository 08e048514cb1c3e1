"""The reports' daily rollup: counts per clinic-local day, campaign, step and metric in `report_day`, so a report
over a million messages adds up a few thousand rows instead of scanning the outbox.

Each refresh rebuilds only the days something changed in since the last one: messages written or updated,
provider events, replies, held-out occasions, and visits (which change whether a nudge before them led to a
rebook). What counts on which day:

- messages (planned, sent, delivered, failed, skipped by reason, waiting, opened, clicked, unsubscribed,
  rebooked, the holdout's occasions): the day the planner wrote the message; sent and delivered by the language
  the message went out in, rebooked by the client's language (the row's `detail`);
- replies and STOPs: the day they arrived, credited to the last text the client was sent before them;
- held-out occasions: the day the step would have gone out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, insert
from sqlmodel import Session, col, select

from outreach.models import (
    STOP_HANDLINGS,
    Client,
    DeliveryEvent,
    HeldOutOccasion,
    InboundMessage,
    Message,
    MessageStatus,
    ReportDay,
    ReportState,
    Visit,
    VisitStatus,
    utcnow,
)
from outreach.policy.holdout import HOLDOUT_STEP
from outreach.settings import Reports, Settings

# More changed visits than this (an import) and every day is rebuilt rather than looked up visit by visit.
VISITS_FOR_FULL_REBUILD = 5000
CHUNK = 500
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the mark of an empty table
EVENT_METRICS = {
    "open": "opened",
    "click": "clicked",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "spamreport": "unsubscribed",
}
STATUS_METRICS = {
    MessageStatus.delivered: "delivered",
    MessageStatus.failed: "failed",
    MessageStatus.bounced: "failed",
    MessageStatus.skipped: "skipped",
    MessageStatus.planned: "waiting",
    MessageStatus.sending: "waiting",
    MessageStatus.unknown: "unknown",
}
Key = tuple[str, str, str, str]  # campaign, step, metric, detail
# What a row's `detail` holds for these: the language ("" where it was not recorded).
LANGUAGE_METRICS = frozenset({"sent", "delivered", "rebooked"})
# The shape of the counts themselves: raised when a row comes to hold something new (2: per language), so every
# day is counted again once.
COUNTS_VERSION = 2


@dataclass(frozen=True)
class LocalDays:
    """Whole days in the clinic's time zone."""

    zone: ZoneInfo

    def of(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc)

    def span(self, first: date, last: date) -> Iterator[date]:
        for offset in range((last - first).days + 1):
            yield first + timedelta(days=offset)


def refresh(session: Session, settings: Settings) -> int:
    """Bring report_day up to date and commit; returns how many days were rebuilt."""
    days = LocalDays(ZoneInfo(settings.clinic.timezone))
    # One refresh at a time (the web process and the worker may both start one): on PostgreSQL the second waits
    # here, then finds the marks moved; SQLite's write lock already keeps them apart.
    session.exec(select(ReportState.key).where(ReportState.key == MARK_PREFIX + "messages").with_for_update())
    marks = _load_marks(session)
    latest = {**_current_marks(session), "counting": _counting(settings)}
    if marks == latest:
        session.commit()  # nothing new since the last refresh: no writes, the lock goes at once
        return 0
    if marks.get("counting") != latest["counting"]:  # a first build, or the days or windows changed
        session.execute(delete(ReportDay))
        changed = _all_days(session, days)
    else:
        changed = _changed_days(session, marks, days, settings.reports)
    compared = held_out_steps(session)
    for day in sorted(changed):
        rebuild_day(session, day, days, settings.reports, compared)
    _save_marks(session, latest)
    session.commit()
    return len(changed)


def held_out_steps(session: Session) -> set[tuple[str, str]]:
    """The (campaign, step) pairs with a holdout: only their messages are counted as the messaged side."""
    return {tuple(row) for row in session.exec(select(HeldOutOccasion.campaign, HeldOutOccasion.step).distinct())}


def rebuild_day(session: Session, day: date, days: LocalDays, reports: Reports, compared: set[tuple[str, str]]) -> None:
    start, end = days.start(day), days.start(day + timedelta(days=1))
    counts: Counter[Key] = Counter()
    _count_statuses(session, start, end, counts)
    _count_events(session, start, end, counts)
    _count_replies(session, start, end, counts)
    _count_occasions(session, start, end, reports, compared, counts)
    session.execute(delete(ReportDay).where(col(ReportDay.day) == day))
    rows = [
        {"day": day, "campaign": c, "step": s, "metric": m, "detail": d, "count": n}
        for (c, s, m, d), n in counts.items()
        if n
    ]
    if rows:
        session.execute(insert(ReportDay), rows)


# What one day holds.


def _count_statuses(session: Session, start: datetime, end: datetime, counts: Counter) -> None:
    reason = case((col(Message.status) == MessageStatus.skipped, Message.reason), else_="")
    went_out = case((col(Message.sent_at).is_not(None), 1), else_=0)
    columns = (Message.campaign, Message.step, Message.status, reason, went_out, Message.language)
    query = select(*columns, func.count()).where(*_made_between(start, end)).group_by(*columns)
    for campaign, step, status, why, sent, language, n in session.exec(query):
        if step == HOLDOUT_STEP:
            counts[campaign, step, "held_out_clients", ""] += n
            continue
        counts[campaign, step, "planned", ""] += n
        if sent:
            counts[campaign, step, "sent", language] += n
        metric = STATUS_METRICS.get(status)
        if metric:
            counts[campaign, step, metric, _detail(metric, why, language)] += n


def _detail(metric: str, reason: str, language: str) -> str:
    if metric == "skipped":
        return skip_reason(reason)
    return language if metric in LANGUAGE_METRICS else ""


def skip_reason(reason: str) -> str:
    """A skip reason without the instant in it, so the same reason adds up across messages."""
    return reason.split(" until ", 1)[0].strip()[:200]


def _count_events(session: Session, start: datetime, end: datetime, counts: Counter) -> None:
    metric = case(*((col(DeliveryEvent.event) == event, name) for event, name in EVENT_METRICS.items()))
    query = (
        select(Message.campaign, Message.step, metric, func.count(col(Message.id).distinct()))
        .join(DeliveryEvent, col(DeliveryEvent.message_id) == Message.id)
        .where(*_made_between(start, end), col(DeliveryEvent.event).in_(list(EVENT_METRICS)))
        .group_by(Message.campaign, Message.step, metric)
    )
    for campaign, step, name, n in session.exec(query):
        counts[campaign, step, name, ""] += n


def _count_replies(session: Session, start: datetime, end: datetime, counts: Counter) -> None:
    inbound = session.exec(
        select(InboundMessage.client_id, InboundMessage.received_at, InboundMessage.handled_as).where(
            col(InboundMessage.received_at) >= start,
            col(InboundMessage.received_at) < end,
            col(InboundMessage.client_id).is_not(None),
        )
    ).all()
    for client_id, received_at, handled_as in inbound:
        last_text = session.exec(
            select(Message.campaign, Message.step)
            .where(
                Message.client_id == client_id,
                Message.channel == "sms",
                col(Message.sent_at).is_not(None),
                col(Message.sent_at) <= received_at,
                col(Message.is_test).is_(False),
            )
            .order_by(col(Message.sent_at).desc())
            .limit(1)
        ).first()
        if last_text is not None:
            counts[(*last_text, "stop" if handled_as in STOP_HANDLINGS else "replies", "")] += 1


def _count_occasions(
    session: Session, start: datetime, end: datetime, reports: Reports, compared: set[tuple[str, str]], counts: Counter
) -> None:
    """Rebooks after each message that went out or was due to a reachable client, and after each held-out
    occasion: the two sides of the holdout comparison, counted the same way."""
    messaged = session.exec(
        select(
            Message.campaign,
            Message.step,
            Message.client_id,
            Message.sent_at,
            Message.due_at,
            Message.to_address,
            Message.stream,
            Client.language,
        )
        .join(Client, col(Client.id) == Message.client_id)
        .where(
            *_made_between(start, end),
            Message.step != HOLDOUT_STEP,
            col(Message.client_id).is_not(None),
            (col(Message.sent_at).is_not(None)) | (Message.to_address != ""),
            (col(Message.stream) == "rebook") | col(Message.campaign).in_(sorted({c for c, _ in compared})),
        )
    ).all()
    held_out = session.exec(
        select(HeldOutOccasion.campaign, HeldOutOccasion.step, HeldOutOccasion.client_id, HeldOutOccasion.due_at).where(
            HeldOutOccasion.due_at >= start, HeldOutOccasion.due_at < end
        )
    ).all()
    horizon = timedelta(days=max(reports.attribution_days, reports.visits_window_days))
    visits = _visits(session, {row[2] for row in [*messaged, *held_out]}, start, end + horizon)
    for campaign, step, client_id, sent_at, due_at, to_address, stream, language in messaged:
        mine = visits.get(client_id, ())
        if sent_at is not None and stream == "rebook":
            counts[campaign, step, "rebooked", language] += rebooked(mine, sent_at, reports.attribution_days)
        if to_address and (campaign, step) in compared:
            _occasion(counts, campaign, step, "", mine, sent_at or due_at, reports)
    for campaign, step, client_id, due_at in held_out:
        _occasion(counts, campaign, step, "held_out_", visits.get(client_id, ()), due_at, reports)


def _occasion(
    counts: Counter, campaign: str, step: str, arm: str, visits: Sequence, at: datetime, reports: Reports
) -> None:
    counts[campaign, step, f"{arm}occasions", ""] += 1
    counts[campaign, step, f"{arm}rebooked_after", ""] += rebooked(visits, at, reports.attribution_days)
    counts[campaign, step, f"{arm}visits_after", str(visits_after(visits, at, reports.visits_window_days))] += 1


def rebooked(visits: Iterable[tuple[datetime, str]], at: datetime, days: int) -> bool:
    """A visit booked or attended that starts in [at, at + days)."""
    end = at + timedelta(days=days)
    return any(status in (VisitStatus.booked, VisitStatus.attended) and at <= starts < end for starts, status in visits)


def visits_after(visits: Iterable[tuple[datetime, str]], at: datetime, days: int) -> int:
    end = at + timedelta(days=days)
    return sum(status == VisitStatus.attended and at <= starts < end for starts, status in visits)


def _visits(session: Session, client_ids: set[int], start: datetime, end: datetime) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    ids = sorted(client_ids)
    for i in range(0, len(ids), CHUNK):
        rows = session.exec(
            select(Visit.client_id, Visit.starts_at, Visit.status).where(
                col(Visit.client_id).in_(ids[i : i + CHUNK]), Visit.starts_at >= start, Visit.starts_at < end
            )
        )
        for client_id, starts_at, status in rows:
            found[client_id].append((starts_at, status))
    return found


def _made_between(start: datetime, end: datetime) -> tuple:
    return Message.created_at >= start, Message.created_at < end, col(Message.is_test).is_(False)


# Which days changed.


def _changed_days(session: Session, marks: dict[str, str], days: LocalDays, reports: Reports) -> set[date]:
    since = datetime.fromisoformat(marks["messages"])
    # The newest day is always rebuilt: a slow transaction may commit rows stamped a little before the mark.
    changed = {days.of(since)} if since > EPOCH else set()
    changed |= {days.of(at) for at in session.exec(select(Message.created_at).where(Message.updated_at > since))}
    changed |= {
        days.of(at)
        for at in session.exec(
            select(Message.created_at)
            .join(DeliveryEvent, col(DeliveryEvent.message_id) == Message.id)
            .where(col(DeliveryEvent.id) > int(marks["events"]))
        )
    }
    changed |= {
        days.of(at)
        for at in session.exec(select(InboundMessage.received_at).where(col(InboundMessage.id) > int(marks["inbound"])))
    }
    changed |= {
        days.of(at)
        for at in session.exec(select(HeldOutOccasion.due_at).where(col(HeldOutOccasion.id) > int(marks["occasions"])))
    }
    visits = session.exec(
        select(Visit.client_id, Visit.starts_at).where(Visit.updated_at > datetime.fromisoformat(marks["visits"]))
    ).all()
    if len(visits) > VISITS_FOR_FULL_REBUILD:
        return _all_days(session, days)
    horizon = timedelta(days=max(reports.attribution_days, reports.visits_window_days))
    for client_id, starts_at in visits:
        changed |= _days_before_visit(session, client_id, starts_at, horizon, days)
    return changed


def _days_before_visit(
    session: Session, client_id: int, starts_at: datetime, horizon: timedelta, days: LocalDays
) -> set[date]:
    """Days holding a message or occasion whose rebook or visit count this visit may change."""
    # A message is written before it goes out; allow a deferral of up to a week between the two.
    written = session.exec(
        select(Message.created_at).where(
            Message.client_id == client_id,
            Message.created_at >= starts_at - horizon - timedelta(days=7),
            Message.created_at <= starts_at,
        )
    )
    due = session.exec(
        select(HeldOutOccasion.due_at).where(
            HeldOutOccasion.client_id == client_id,
            HeldOutOccasion.due_at >= starts_at - horizon,
            HeldOutOccasion.due_at <= starts_at,
        )
    )
    return {days.of(at) for at in [*written, *due]}


def _all_days(session: Session, days: LocalDays) -> set[date]:
    bounds = [
        session.exec(select(func.min(column), func.max(column))).one()
        for column in (Message.created_at, InboundMessage.received_at, HeldOutOccasion.due_at)
    ]
    moments = [at for pair in bounds for at in pair if at is not None]
    if not moments:
        return set()
    return set(days.span(days.of(min(moments)), days.of(max(moments))))


# How far the rollup has read.


def _current_marks(session: Session) -> dict[str, str]:
    def largest(column, empty):  # noqa: ANN001, ANN202
        value = session.exec(select(func.max(column))).one()
        return value if value is not None else empty

    return {
        "messages": largest(Message.updated_at, EPOCH).isoformat(),
        "visits": largest(Visit.updated_at, EPOCH).isoformat(),
        "events": str(largest(DeliveryEvent.id, 0)),
        "inbound": str(largest(InboundMessage.id, 0)),
        "occasions": str(largest(HeldOutOccasion.id, 0)),
    }


MARK_PREFIX = "rollup:"


def _counting(settings: Settings) -> str:
    """The settings the counts depend on, and their shape: when one changes, every day is counted again."""
    reports = settings.reports
    return f"{COUNTS_VERSION}|{settings.clinic.timezone}|{reports.attribution_days}|{reports.visits_window_days}"


def _load_marks(session: Session) -> dict[str, str]:
    rows = session.exec(select(ReportState).where(ReportState.key.startswith(MARK_PREFIX))).all()
    return {row.key.removeprefix(MARK_PREFIX): row.value for row in rows}


def _save_marks(session: Session, marks: dict[str, str]) -> None:
    for name, value in marks.items():
        row = session.get(ReportState, MARK_PREFIX + name) or ReportState(key=MARK_PREFIX + name)
        row.value, row.updated_at = value, utcnow()
        session.add(row)
