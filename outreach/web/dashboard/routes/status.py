"""The status page: is the worker running, what is waiting to go out, what needs someone's attention."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlmodel import Session, func, select

from outreach.models import Message, MessageStatus, WorkerRun
from outreach.services.delivery_log import LogFilter, log_page
from outreach.services.health import late_passes
from outreach.web.dashboard.auth import AnyStaff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.pages import clinic_zone, render

router = APIRouter()
ATTENTION = (MessageStatus.failed, MessageStatus.bounced, MessageStatus.unknown)
DAY = timedelta(hours=24)


@router.get("/status")
def status_page(request: Request, ctx: ContextDep, session: SessionDep, staff: AnyStaff):
    at, zone = now(request), clinic_zone(request)
    since = at - DAY
    yesterday = since.astimezone(zone).date()
    attention = {
        status.value: [
            row
            for row in log_page(session, LogFilter(start=yesterday, status=status.value), zone, limit=10).rows
            if row.created_at >= since
        ]
        for status in ATTENTION
    }
    return render(
        request,
        "status.html",
        runs=session.exec(select(WorkerRun).order_by(WorkerRun.started_at.desc()).limit(20)).all(),
        late=late_passes(session, ctx.settings, at),
        outbox=_outbox(session, at),
        last_day=_counts_since(session, since),
        attention=attention,
        attention_urls={s: "/?" + urlencode({"status": s, "from": str(yesterday)}) for s in attention},
        show_clients=staff.can("clients"),
    )


def _outbox(session: Session, at: datetime) -> dict[str, int]:
    """What is waiting: due now, scheduled for later, and being sent."""

    def count(*where) -> int:  # noqa: ANN002
        return session.exec(select(func.count(Message.id)).where(*where)).one()

    planned = Message.status == MessageStatus.planned
    return {
        "due": count(planned, Message.due_at <= at),
        "scheduled": count(planned, Message.due_at > at),
        "sending": count(Message.status == MessageStatus.sending),
    }


def _counts_since(session: Session, since: datetime) -> dict[str, int]:
    # Counted here rather than with GROUP BY: SQLite would then walk a status index over the whole table
    # instead of reading one day's rows through the created_at index.
    found = Counter(session.exec(select(Message.status).where(Message.created_at >= since)))
    return {status.value: found[status.value] for status in MessageStatus}
