"""The planning pass: for every client whose facts changed or whose next message came due, write the due
messages to the outbox. Only clients with next_plan_at <= now are read, so an idle pass costs O(due)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlmodel import Session, col

from outreach.context import Context
from outreach.db import session_scope
from outreach.services.bookings import settle_past_bookings
from outreach.sending.tally import Tally
from outreach.models import Client, ClientStatus, Enrolment, HeldOutOccasion, Message
from outreach.policy.schedule import ClientPlan, plan_client
from outreach.services.clients import SUMMARY_VALUES, load_facts, summary_row
from outreach.sending.deferrals import keep_deferrals
from outreach.db import insert_ignore, insert_new, try_lock

if TYPE_CHECKING:
    from outreach.sending.dispatch import Sender

MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]
ENROLMENT: Table = Enrolment.__table__  # type: ignore[attr-defined]
HELD_OUT_OCCASION: Table = HeldOutOccasion.__table__  # type: ignore[attr-defined]

CHUNK = 500
# The first key of the advisory locks planners take on clients (dispatch claims use another).
PLAN_LOCK_SPACE = 0x6F757470  # "outp"


@dataclass
class PlanResult(Tally):
    clients: int = 0
    planned: int = 0
    skipped: int = 0
    deferred: int = 0


def plan_due(ctx: Context, now: datetime, limit: int | None = None, sender: "Sender | None" = None) -> PlanResult:
    """Plan every client that is due; returns counts of what was written. First, booking-system visits long
    past and still booked become attended (services.bookings), so their clients are planned in this pass.

    With a `sender`, what falls due at once is sent as each chunk of clients is planned, with the facts the
    planning read: no second read of the rows or the facts, no separate claim; the plan counts those sends as
    gone (schedule.plan_client). Each client is planned at most once per pass: one woken meanwhile (a send that
    failed, a visit recorded) is planned by the next pass."""
    with session_scope(ctx.engine) as session:
        settle_past_bookings(session, ctx.settings, now)
    result = PlanResult()
    after: tuple[datetime, int] | None = None
    planned: set[int] = set()
    # A sending pass's chunks are its batches: a few messages a client, about the size the settings give.
    size = min(CHUNK, ctx.settings.dispatch.batch_size) if sender else CHUNK
    while limit is None or result.clients < limit:
        with Session(ctx.engine, expire_on_commit=False) as session:
            ids, after = _due_clients(
                session, now, size if limit is None else min(size, limit - result.clients), after, planned
            )
            if not ids:
                break
            planned.update(ids)
            chunk, send = _plan_chunk(ctx, session, ids, now, sender)
            result.add(chunk)
            session.commit()
        send()
    return result


def _due_clients(
    session: Session, now: datetime, size: int, after: tuple[datetime, int] | None, planned: set[int]
) -> tuple[list[int], tuple[datetime, int] | None]:
    """Up to `size` due clients that this transaction holds, in order, from past `after` (where the last chunk
    ended); and where this one ends. Several workers plan different clients at once: ones another holds are
    passed by, it plans them. So are the ones this pass has `planned` already, which a send woke again."""
    query = (
        select(col(Client.id), col(Client.next_plan_at))
        .where(col(Client.next_plan_at) <= now, col(Client.status) != ClientStatus.archived)
        .order_by(col(Client.next_plan_at), col(Client.id))
        .limit(size)
    )
    held: list[int] = []
    while True:
        page = query if after is None else query.where(tuple_(Client.next_plan_at, Client.id) > after)
        window = session.execute(page).all()
        locked = set(try_lock(session, PLAN_LOCK_SPACE, [row.id for row in window]))
        for row in window:
            if len(held) == size:
                return held, after
            after = (row.next_plan_at, row.id)
            if row.id in locked and row.id not in planned:
                held.append(row.id)
        if len(held) == size or len(window) < size:
            return held, after


def _plan_chunk(
    ctx: Context, session: Session, ids: list[int], now: datetime, sender: "Sender | None"
) -> tuple[PlanResult, Callable[[], None]]:
    """Plan `ids` in `session`; and what to do once it commits (send what fell due, with a sender)."""
    held = sender.hold(session, ids) if sender else set()
    facts = load_facts(session, ids, ctx.settings)
    plans = {cid: plan_client(f, ctx.catalog, ctx.settings, now, sending=cid in held) for cid, f in facts.items()}
    decided = [m for plan in plans.values() for m in plan.messages]
    rows = [_message_row(m, now) for m in decided]
    claimed = sender.claim_new(rows, held) if sender else []
    written: dict[str, int] = dict(insert_new(session, MESSAGE, rows, ["key"], Message.key, Message.id))
    keep_deferrals(
        session,
        [
            (written[row["key"]], row["reason"])
            for row in rows
            if row["status"] == "planned" and row["reason"] and row["key"] in written
        ],
        now,
    )
    earlier, waiting = sender.claim_earlier(session, held, facts) if sender else ([], [])
    # Planned as if what goes now had gone; one with earlier rows in the batch is woken by their sends instead.
    planned_ahead = {row["client_id"] for row in claimed} - set(waiting)
    insert_ignore(session, ENROLMENT, _enrolment_rows(plans), ["client_id", "campaign"])
    insert_ignore(
        session,
        HELD_OUT_OCCASION,
        [dict(vars(o), created_at=now) for plan in plans.values() for o in plan.held_out],
        ["client_id", "campaign", "step", "cycle"],
    )
    session.execute(_SUMMARY, [_summary_row(cid, plan, now) for cid, plan in plans.items()])
    result = PlanResult(
        clients=len(plans),
        planned=len(written),
        skipped=sum(m.status == "skipped" for m in decided),
        deferred=sum(bool(m.reason) and m.status == "planned" for m in decided),
    )
    if not (claimed or earlier):
        return result, lambda: None
    states = {cid: plan.state for cid, plan in plans.items()}
    return result, lambda: sender.send_written(claimed, written, earlier, facts, states, planned_ahead)


CLIENT: Table = Client.__table__  # type: ignore[attr-defined]
# When the client next needs planning, and the summary (services.clients, shared with facts.wake's refresh).
_SUMMARY = (
    update(CLIENT).where(CLIENT.c.id == bindparam("cid")).values(next_plan_at=bindparam("wake_at"), **SUMMARY_VALUES)
)


def _summary_row(cid: int, plan: ClientPlan, now: datetime) -> dict:
    return {**summary_row(cid, plan.state, now), "wake_at": plan.wake_at}


def _message_row(planned, now: datetime) -> dict:
    row = dict(vars(planned))  # asdict deep-copies every field: 23 µs a row against 0.5
    # Every row names the same columns (one executemany): a claimed one's come from Sender.claim_new.
    row.update(
        created_at=now, updated_at=now, attempts=0, is_test=False, error_code="", claimed_by=None, claimed_at=None
    )
    return row


def _enrolment_rows(plans: dict[int, ClientPlan]) -> list[dict]:
    return [
        {"client_id": cid, "campaign": name, "enrolled_at": at}
        for cid, plan in plans.items()
        for name, at in plan.enrolments.items()
    ]
