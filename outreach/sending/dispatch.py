"""The dispatch pass: claim due outbox rows atomically, re-check the rules, render, send, record.

Rows only move forward: planned -> sending -> sent | failed | skipped | unknown (or back to planned with a
later due_at when deferred or retried). The claim commits before anything is sent, so a crash mid-send leaves
`sending`, which recovery turns into `unknown` for review: SMS has no idempotency key, so never resend blindly.
A test send queued from the dashboard has no client: each pass claims those on their own and sends the words they
were queued with, once, past the rules (its check was made when it was queued).
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

from sqlalchemy import Engine, Table, bindparam, func, or_, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from outreach.campaigns import Campaign, Step
from outreach.channels.base import ChannelError, Failure, OutgoingMessage, Transport
from outreach.context import Context
from outreach.sending import receipts
from outreach.sending.compose import client_context, outgoing, queued_outgoing
from outreach.sending.deferrals import keep_deferrals
from outreach.sending.tally import Tally
from outreach.models import Client, Conversation, Message, MessageStatus
from outreach.policy.cadence import CadenceState, assess
from outreach.policy.caps import CAP_HORIZON, cap_deferral, counted_sends
from outreach.policy.consent import HELD_PREFIX, blocker, held, is_held
from outreach.policy.replies import reply_blocker, reply_deferral
from outreach.policy.windows import SendWindow
from outreach.policy.schedule import ClientFacts, stale_reason, window_deferral
from outreach.rendering.templates import TooLong
from outreach.sending.pacing import Pacer, SharedPacer
from outreach.services import facts as fact_services
from outreach.services import test_sends
from outreach.services.clients import load_facts
from outreach.services.conversations import CONFIRMATION_STEP, REPLY_STREAM
from outreach.services.unsubscribe import opt_out_address
from outreach.db import read_only_session
from outreach.db import try_lock


MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchResult(Tally):
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    recovered: int = 0


@dataclass
class _Job:
    """One claimed row on its way out, and what became of it."""

    row: Message | SimpleNamespace  # a claimed row's columns; the send fills in provider_id
    outgoing: OutgoingMessage | None = None
    changes: dict = field(default_factory=dict)
    error: ChannelError | None = None


def dispatch_due(
    ctx: Context,
    now: datetime,
    transports: dict[str, Transport] | None = None,
    worker: str | None = None,
    max_batches: int | None = None,
) -> DispatchResult:
    """Send everything due at `now`, batch by batch. Safe to run in several processes at once."""
    receipts.settle(ctx.engine, receipt_dir(ctx), _SETTLE)
    recovered = recover_stuck(ctx, now)
    due = DueClients(ctx.engine, now, ctx.settings.dispatch.batch_size)
    with Sender(ctx, now, transports, worker) as sender:
        sender.result.recovered = recovered
        sender.send_tests(claim_tests(ctx, now, sender.worker, ctx.settings.dispatch.batch_size))
        batches = 0
        while max_batches is None or batches < max_batches:
            ids = claim(ctx, now, sender.worker, ctx.settings.dispatch.batch_size, due)
            if not ids:
                break
            batches += 1
            sender.send(*_claimed(ctx, ids, now))
    return sender.result


class Sender:
    """A pass's way out: the transports, the rates they share with every worker, and the pool that overlaps
    provider calls. The dispatch pass hands it the rows it claims; the plan pass, the rows it writes already
    claimed because they are due at once."""

    def __init__(
        self, ctx: Context, now: datetime, transports: dict[str, Transport] | None = None, worker: str | None = None
    ) -> None:
        from outreach.channels.registry import transports as configured

        self.ctx, self.now, self.worker = ctx, now, worker or worker_id()
        self._owned = transports is None
        self.transports = transports or configured(ctx)
        self.pacers = {
            "email": SharedPacer(ctx.engine, "email", ctx.settings.dispatch.email_per_second),
            "sms": SharedPacer(ctx.engine, "sms", ctx.settings.dispatch.sms_per_second),
        }
        self._pool: ThreadPoolExecutor | None = None
        self.result = DispatchResult()

    def send(
        self,
        rows: list,
        facts: dict[int, ClientFacts],
        states: dict[int, CadenceState] | None = None,
        planned_ahead: frozenset[int] = frozenset(),
    ) -> None:
        """Decide, compose, send and record one batch of rows this worker has claimed, with all of each client's
        due rows and the client's facts read since the claim. A send wakes its client to be planned again,
        except one of the `planned_ahead` clients, whose plan already counts it as sent."""
        ctx, now = self.ctx, self.now
        jobs: list[_Job] = []
        sending = []
        # Providers answer slowly: each send to one starts in the pool as soon as its message is composed,
        # overlapping the next ones' rendering and each other.
        for job in _decide(ctx, rows, facts, now, states):
            jobs.append(job)
            if job.outgoing is None:
                continue
            transport, pacer = self.transports[job.row.channel], self.pacers[job.row.channel]
            if transport.remote:
                self._pool = self._pool or ThreadPoolExecutor(
                    ctx.settings.dispatch.concurrency, thread_name_prefix="send"
                )
                sending.append(self._pool.submit(_send, job, transport, pacer))
            else:
                _send(job, transport, pacer)
        for future in sending:
            future.result()
        self._record_outcomes(jobs, [job for job in jobs if job.outgoing is not None], planned_ahead)

    def send_tests(self, rows: list) -> None:
        """Send claimed test rows with the words they were queued with: no caps or quiet hours apply, but an
        address that opted out or was suppressed since the test was queued gets nothing."""
        if not rows:
            return
        jobs = list(_test_jobs(self.ctx, rows, self.now))
        ready = [job for job in jobs if job.outgoing is not None]
        for job in ready:
            _send(job, self.transports[job.row.channel], self.pacers[job.row.channel])
        self._record_outcomes(jobs, ready)

    def _record_outcomes(
        self, jobs: list[_Job], ready: list[_Job], planned_ahead: frozenset[int] = frozenset()
    ) -> None:
        """Record what became of `jobs`, the `ready` ones sent to a provider; kept on disk if the database fails."""
        for job in ready:
            job.changes = _outcome(self.ctx, job, self.now)
        try:
            self.result.add(_record_with_retries(self.ctx, jobs, ready, self.now, self.worker, planned_ahead))
        except SQLAlchemyError:
            receipts.keep(receipt_dir(self.ctx), _outcome_rows(jobs, self.now, self.worker)[1])
            raise

    # The plan pass sends what falls due as it plans: in its transaction it holds the clients (before reading
    # their facts, so a cap sees whatever another worker has in flight), writes their due rows already claimed
    # (writing one is its claim: the unique key lets only one writer have it) and claims their earlier due rows;
    # once that commits, it sends them.

    def hold(self, session: Session, clients: list[int]) -> set[int]:
        """The clients whose due rows this transaction may claim; claim() takes the same locks."""
        return set(try_lock(session, CLAIM_LOCK_SPACE, clients))

    def claim_new(self, rows: list[dict], held: set[int]) -> list[dict]:
        """Of the rows about to be written, those due now for a held client, marked claimed by this worker."""
        due = [
            row
            for row in rows
            if row["client_id"] in held
            and row["status"] == MessageStatus.planned
            and row["due_at"] <= self.now
            and not is_held(row["reason"])
        ]
        for row in due:
            row.update(status=MessageStatus.sending, claimed_by=self.worker, claimed_at=self.now, attempts=1)
        return due

    def claim_earlier(
        self, session: Session, held: set[int], facts: dict[int, ClientFacts]
    ) -> tuple[list[int], list[int]]:
        """Rows written before and due now for held clients (a deferral whose time came, a retry): one batch sees
        all of a client's due rows. Their ids, and the clients they belong to."""
        waiting = [
            cid
            for cid in held
            if cid in facts
            and any(m.status == MessageStatus.planned and m.due_at <= self.now for m in facts[cid].messages)
        ]
        ids = [row.id for row in _due_rows(session, waiting, self.now)]
        _mark_claimed(session, ids, self.now, self.worker)
        return ids, waiting

    def send_written(
        self,
        claimed: list[dict],
        written: dict[str, int],
        earlier: list[int],
        facts: dict[int, ClientFacts],
        states: dict[int, CadenceState],
        planned_ahead: set[int],
    ) -> None:
        """Send what claim_new and claim_earlier took, once their transaction has committed; `written` maps the
        key of each row the transaction wrote to its id (a row whose key was there already is not ours)."""
        blank = {**dict.fromkeys(MESSAGE.c.keys()), "language": ""}  # not rendered yet
        rows = [
            SimpleNamespace(**{**blank, **row, "id": written[row["key"]]}) for row in claimed if row["key"] in written
        ]
        if earlier:
            rows += _claimed(self.ctx, earlier, self.now)[0]
        if rows:
            self.send(
                sorted(rows, key=lambda row: (row.priority, row.due_at, row.id)),
                facts,
                states,
                frozenset(planned_ahead),
            )

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *_exc) -> None:  # noqa: ANN002
        if self._pool is not None:
            self._pool.shutdown()
        if self._owned:
            for transport in self.transports.values():
                transport.close()


def claim(ctx: Context, now: datetime, worker: str, size: int, due: "DueClients | None" = None) -> list[int]:
    """Atomically take the due rows of whole clients for `worker`: every due row of each client it takes, so one
    batch decides a client's caps with all of them in view; clients are taken until about `size` rows.

    Candidates come from `due` (read ahead, see DueClients). In one transaction: lock them (PostgreSQL: a
    transaction advisory lock per client, skipping clients another worker is claiming right now; SQLite's
    `BEGIN IMMEDIATE` serialises claims instead), read every row of the locked clients, then mark exactly the
    due ones. A candidate is only a hint: its rows are read again here, so one another worker took is passed by.
    One `UPDATE … WHERE id IN (SELECT … LIMIT n)` is not enough on PostgreSQL: the planner may re-run the
    subquery per row, and the LIMIT window slides past rows the update already changed."""
    due = due or DueClients(ctx.engine, now, size)
    with Session(ctx.engine) as session:
        ids: list[int] = []
        for _ in range(CLAIM_ATTEMPTS):
            candidates = due.take(size)
            if not candidates:
                break
            clients = try_lock(session, CLAIM_LOCK_SPACE, candidates)
            rows = _due_rows(session, clients, now)
            if len(clients) < len(candidates) or len({row.client_id for row in rows}) < len(clients):
                due.crowded()  # other workers are taking these clients
            ids, left = _whole_clients(rows, size)
            due.put_back(left)
            if ids:
                break
            if not clients:  # every candidate is being claimed elsewhere: look again once they are taken
                time.sleep(random.uniform(0.005, 0.02))
        _mark_claimed(session, ids, now, worker)
        session.commit()
    return ids


def claim_tests(ctx: Context, now: datetime, worker: str, size: int, ids: list[int] | None = None) -> list:
    """Atomically take up to `size` due test sends (of `ids`, if given) for `worker`: claim() takes whole clients,
    and a test has none. The update takes only rows still planned, so each goes to one worker; the look before it
    takes no write lock, so a pass with no test to send waits for no one."""
    due = select(MESSAGE.c.id).where(
        MESSAGE.c.status == MessageStatus.planned, MESSAGE.c.due_at <= now, MESSAGE.c.is_test.is_(True)
    )
    if ids is not None:
        due = due.where(MESSAGE.c.id.in_(ids))
    with read_only_session(ctx.engine) as session:
        found = session.scalars(due.order_by(MESSAGE.c.due_at, MESSAGE.c.id).limit(size)).all()
    if not found:
        return []
    with Session(ctx.engine) as session:
        claimed = session.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id.in_(found), MESSAGE.c.status == MessageStatus.planned)
            .values(status=MessageStatus.sending, claimed_by=worker, claimed_at=now, attempts=MESSAGE.c.attempts + 1)
            .returning(*MESSAGE.c)
        ).all()
        session.commit()
    return [SimpleNamespace(**row._mapping) for row in claimed]


def _test_jobs(ctx: Context, rows: list, now: datetime) -> Iterator[_Job]:
    with read_only_session(ctx.engine) as session:
        refusals = {row.id: test_sends.refusal(session, row.channel, row.to_address) for row in rows}
    for row in rows:
        job = _Job(row)
        if refusals[row.id]:
            job.changes = {"status": MessageStatus.skipped, "reason": f"Test not sent: {refusals[row.id]}"}
        else:
            try:
                job.outgoing = queued_outgoing(row, row.rendered, now)
            except (KeyError, TypeError) as exc:  # words that are not what compose.content made
                job.changes = {"status": MessageStatus.failed, "reason": f"Could not compose: {exc!r}"}
        yield job


def send_queued_test(
    ctx: Context, message_id: int, now: datetime, transports: dict[str, Transport] | None = None
) -> Message | None:
    """Send one queued test at once, as a dispatch pass would (`outreach send-test`: someone is waiting at the
    terminal). The row as it stands afterwards: if a running worker claimed it first, that worker sends it."""
    with Sender(ctx, now, transports) as sender:
        sender.send_tests(claim_tests(ctx, now, sender.worker, 1, [message_id]))
    with Session(ctx.engine) as session:
        return session.get(Message, message_id)


def _mark_claimed(session: Session, ids: list[int], now: datetime, worker: str) -> None:
    if ids:
        # updated_at is left alone: the outcome sets it a moment later, and every index on it (the log's order,
        # the reports' refresh) would otherwise be rewritten twice per message.
        session.execute(
            update(Message)
            .where(col(Message.id).in_(ids), col(Message.status) == MessageStatus.planned)
            .values(status=MessageStatus.sending, claimed_by=worker, claimed_at=now, attempts=Message.attempts + 1)
        )


def _due_rows(session: Session, clients: list[int], now: datetime) -> list:
    """The due rows of `clients`, in send order; looked up by client (the due index would scan every due row)."""
    if not clients:
        return []
    rows = session.execute(
        select(
            col(Message.id),
            col(Message.client_id),
            col(Message.status),
            col(Message.due_at),
            col(Message.priority),
            col(Message.reason),
        )
        .where(col(Message.client_id).in_(clients))
        .with_for_update(skip_locked=True)
    ).all()
    return sorted(
        (row for row in rows if row.status == MessageStatus.planned and row.due_at <= now and not is_held(row.reason)),
        key=lambda row: (row.priority, row.due_at, row.id),
    )


def _whole_clients(rows: list, size: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Row ids, client by client in order of each one's first due row, until at least `size` rows; and the
    clients left over, with their due row counts."""
    by_client: dict[int, list[int]] = {}
    for row in rows:
        by_client.setdefault(row.client_id, []).append(row.id)
    ids: list[int] = []
    left: list[tuple[int, int]] = []
    for client, client_rows in by_client.items():
        if len(ids) >= size:
            left.append((client, len(client_rows)))
        else:
            ids.extend(client_rows)
    return ids, left


class DueClients:
    """The clients with rows due at `now`, in claim order (each by its first due row: priority, due time, id),
    read `READ_AHEAD` batches at a time. Asking the database for the next batch's clients each time sorted every
    due row per claim, which made a catch-up pass quadratic in its backlog. Re-read when used up or
    `REFRESH_SECONDS` old, so a reply written meanwhile still goes first within seconds."""

    READ_AHEAD = 20
    REFRESH_SECONDS = 5.0

    def __init__(self, engine: Engine, now: datetime, batch_size: int) -> None:
        self.engine, self.now, self.batch_size = engine, now, batch_size
        self._queue: deque[tuple[int, int]] = deque()
        self._read_at: float | None = None
        self._spread = False

    def take(self, size: int) -> list[int]:
        """Clients with about `size` due rows between them, in order; each is handed out once per read."""
        fresh = not self._queue or time.monotonic() - (self._read_at or 0) > self.REFRESH_SECONDS
        if fresh:
            self._read()
        clients: dict[int, None] = {}
        rows = 0
        while rows < size:
            if not self._queue:
                if fresh:
                    break
                self._read()  # used up part way: read on, once
                fresh = True
                continue
            client, count = self._queue.popleft()
            if client not in clients:
                clients[client] = None
                rows += count
        return list(clients)

    def crowded(self) -> None:
        """Other workers are taking the same clients: go on from a random point of this read instead, once per
        read, so workers spread out rather than each looking up clients another has just claimed."""
        if not self._spread and self._queue:
            self._queue.rotate(-random.randrange(len(self._queue)))
            self._spread = True

    def put_back(self, clients: list[tuple[int, int]]) -> None:
        """Clients taken but not claimed (the batch was full), first in line again."""
        self._queue.extendleft(reversed(clients))

    def _read(self) -> None:
        # A test send has no client: claim_tests takes those.
        query = (
            select(Message.client_id)
            .where(
                Message.status == MessageStatus.planned,
                Message.due_at <= self.now,
                col(Message.client_id).is_not(None),
                ~col(Message.reason).startswith(HELD_PREFIX),
            )
            .order_by(Message.priority, Message.due_at, Message.id)
            .limit(self.batch_size * self.READ_AHEAD)
        )
        counts: dict[int, int] = {}
        with read_only_session(self.engine) as session:
            for client in session.scalars(query):
                counts[client] = counts.get(client, 0) + 1
        self._queue = deque(counts.items())
        self._read_at = time.monotonic()
        self._spread = False


CLAIM_ATTEMPTS = 200
# The first key of the advisory locks claims take on clients (any constant no other code uses).
CLAIM_LOCK_SPACE = 0x6F757472  # "outr"


def recover_stuck(ctx: Context, now: datetime) -> int:
    """Rows left `sending` past the timeout belong to a crashed worker: mark them unknown, never resend."""
    cutoff = now - timedelta(seconds=ctx.settings.dispatch.sending_timeout_seconds)
    statement = (
        update(Message)
        .where(col(Message.status) == MessageStatus.sending, col(Message.claimed_at) < cutoff)
        .values(
            status=MessageStatus.unknown,
            updated_at=now,
            reason="Outcome unknown: the worker stopped while sending; check before resending",
        )
    )
    with Session(ctx.engine) as session:
        count = session.execute(statement).rowcount
        session.commit()
    return count


def _claimed(ctx: Context, ids: list[int], now: datetime) -> tuple[list[SimpleNamespace], dict[int, ClientFacts]]:
    """The claimed rows in send order, and their clients' facts (read after the claim: what others have in flight
    counts)."""
    with Session(ctx.engine) as session:
        rows = [
            SimpleNamespace(**row._mapping)
            for row in session.execute(
                select(MESSAGE)
                .where(MESSAGE.c.id.in_(ids))
                .order_by(MESSAGE.c.priority, MESSAGE.c.due_at, MESSAGE.c.id)
            )
        ]
        facts = load_facts(session, {r.client_id for r in rows if r.client_id}, ctx.settings, _counted_since(now))
    return rows, facts


def _counted_since(now: datetime):  # noqa: ANN202
    """The messages a cap can still see at `now` (the longest window is a week); a row in flight counts at `now`
    however old its due time. Which statuses count is left to _decide: a status test here leads SQLite to read
    every sent message through a status index instead of the client's few."""
    return or_(
        col(Message.status) == MessageStatus.sending, func.coalesce(Message.sent_at, Message.due_at) > now - CAP_HORIZON
    )


def receipt_dir(ctx: Context) -> Path:
    return ctx.data_dir / "receipts"


def _record_with_retries(
    ctx: Context,
    jobs: list[_Job],
    ready: list[_Job],
    now: datetime,
    worker: str,
    planned_ahead: frozenset[int] = frozenset(),
) -> DispatchResult:
    """The providers took the batch: a busy or briefly unreachable database must not lose what they said."""
    for attempt in Retrying(**RECORD_RETRY):
        with attempt, Session(ctx.engine) as session:
            result = _record(session, jobs, now, worker, planned_ahead)
            _apply_side_effects(session, ready, now)
            session.commit()
    return result


def _decide(
    ctx: Context,
    rows: list[Message],
    facts: dict[int, ClientFacts],
    now: datetime,
    states: dict[int, CadenceState] | None = None,
) -> Iterator[_Job]:
    """For each claimed row, in order: skip, defer, or build the message to send. Caps count this batch's sends
    too. `states`, each client's cadence at `now`, where the caller has them already."""
    batch = {(r.client_id, r.campaign, r.step, r.cycle) for r in rows}
    states = states or {cid: assess(f.visits, f.scores, now, ctx.settings.cadence) for cid, f in facts.items()}
    sent: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for cid, f in facts.items():
        # This batch's own rows count below, as decided.
        sent[cid] = counted_sends((m for m in f.messages if (cid, m.campaign, m.step, m.cycle) not in batch), now)
    for row in rows:
        job = _Job(row)
        state = states.get(row.client_id)
        verdict = _check(ctx, row, facts.get(row.client_id), sent[row.client_id], now, state)
        if isinstance(verdict, dict):
            job.changes = verdict
            yield job
            continue
        campaign, step, client = verdict
        try:
            job.outgoing = _compose(ctx, row, campaign, step, client, sent[row.client_id], now, state)
        except TooLong as exc:  # never sent over max_segments, whatever the client's name
            job.changes = {"status": MessageStatus.skipped, "reason": str(exc)}
            yield job
            continue
        except Exception as exc:  # a template that cannot render must not stop the batch
            job.changes = {"status": MessageStatus.failed, "reason": f"Could not render: {exc}"}
            yield job
            continue
        sent[row.client_id].append((now, row.channel))
        yield job


def _check(
    ctx: Context,
    row: Message,
    client: ClientFacts | None,
    sent: list[tuple[datetime, str]],
    now: datetime,
    state: CadenceState | None,
):
    """The send-time rules, in order. Returns the row's new state, or (campaign, step, client) to send."""
    if row.stream == REPLY_STREAM:
        return _check_reply(ctx, row, client, now)
    try:
        campaign = ctx.catalog.get(row.campaign)
        step = campaign.step(row.step)
    except KeyError:
        return {"status": MessageStatus.skipped, "reason": f"Campaign step {row.campaign}/{row.step} no longer exists"}
    if client is None:
        return {"status": MessageStatus.skipped, "reason": "Client no longer exists"}
    closed = blocker(client.reach, row.channel, row.stream)
    if closed:
        return {"status": MessageStatus.skipped, "reason": closed}
    stale = stale_reason(campaign, step, row.cycle, client, now, ctx.settings, state)
    if stale:
        return {"status": MessageStatus.skipped, "reason": stale}
    holding = held(client.reach, row.channel, row.stream, now)
    if holding:
        until, reason = holding
        return {"status": MessageStatus.planned, "due_at": until or row.due_at, "reason": reason, "deferred": True}
    deferred = window_deferral(campaign, row.channel, client.timezone, now, ctx.settings) or cap_deferral(
        sent, step, row.channel, now, ctx.settings.caps
    )
    if deferred:
        until, reason = deferred
        return {"status": MessageStatus.planned, "due_at": until, "reason": reason, "deferred": True}
    return campaign, step, client


def _check_reply(ctx: Context, row: Message, client: ClientFacts | None, now: datetime):
    """A text a person wrote: consent still holds (an opt-out confirmation goes to a number that has just
    opted out), and quiet hours unless the client is in the conversation. Caps do not apply."""
    if client is None:
        return {"status": MessageStatus.skipped, "reason": "Client no longer exists"}
    closed = None if row.step == CONFIRMATION_STEP else reply_blocker(client.reach)
    if closed:
        return {"status": MessageStatus.skipped, "reason": closed}
    deferred = reply_deferral(
        _last_inbound(ctx, row.to_address),
        row.created_at,
        client.timezone,
        now,
        SendWindow(ctx.settings.quiet_hours.start, ctx.settings.quiet_hours.end),
        ctx.settings.inbox.conversation_minutes,
    )
    if deferred:
        until, reason = deferred
        return {"status": MessageStatus.planned, "due_at": until, "reason": reason, "deferred": True}
    return None, None, client


def _last_inbound(ctx: Context, phone: str) -> datetime | None:
    with Session(ctx.engine) as session:
        return session.scalar(select(col(Conversation.last_inbound_at)).where(col(Conversation.phone) == phone))


def _compose(
    ctx: Context,
    row: Message,
    campaign: Campaign | None,
    step: Step | None,
    client: ClientFacts,
    sent: list[tuple[datetime, str]],
    now: datetime,
    state: CadenceState,
) -> OutgoingMessage:
    if row.stream == REPLY_STREAM:
        return OutgoingMessage(
            message_id=row.id,
            key=row.key,
            channel=row.channel,
            to=row.to_address,
            text=row.body or "",
            subject="",
            html="",
            campaign=row.campaign,
        )
    texts_so_far = sum(1 for _, channel in sent if channel == "sms")
    context = client_context(
        ctx, client, campaign.name, row.channel, row.cycle, now, texts_so_far, state, message_id=row.id
    )
    rendered = ctx.renderer.render_within(campaign, step, row.channel, context, ctx.settings.sms.max_segments)
    return outgoing(ctx, row, rendered, context, now)


def _send(job: _Job, transport: Transport, pacer: Pacer | SharedPacer) -> None:
    if transport.paced:
        pacer.acquire()
    try:
        job.row.provider_id = transport.send(job.outgoing).provider_id
    except ChannelError as error:
        job.error = error
    except Exception as error:  # an unclassified failure after the call began: it may have gone out
        job.error = ChannelError(Failure.unknown, f"Unexpected error while sending: {error!r}")


def _outcome(ctx: Context, job: _Job, now: datetime) -> dict:
    error = job.error
    if error is None:
        # A reason from an earlier deferral ("Capped: …") no longer says anything once it is sent.
        sent = {
            "status": MessageStatus.sent,
            "sent_at": now,
            "provider_id": job.row.provider_id,
            "reason": "",
            "language": job.outgoing.language if job.outgoing else "",
        }
        # A text's words are kept for the inbox's thread; an email's stay in the provider's and outbox's copy.
        return {**sent, "body": job.outgoing.text} if job.row.channel == "sms" else sent
    common = {"error_code": error.code, "reason": error.reason}
    # A test is never retried: the person who asked for it is looking for what became of it.
    attempts = 1 if job.row.is_test else ctx.settings.dispatch.max_attempts
    if error.failure == Failure.transient and job.row.attempts < attempts:
        delay = backoff(
            job.row.attempts,
            ctx.settings.dispatch.retry_base_seconds,
            ctx.settings.dispatch.retry_max_seconds,
            error.retry_after,
        )
        return {
            **common,
            "status": MessageStatus.planned,
            "due_at": now + timedelta(seconds=delay),
            "reason": f"Retrying after: {error.reason}",
            "retried": True,
        }
    if error.failure == Failure.unknown:
        return {**common, "status": MessageStatus.unknown, "reason": f"Outcome unknown: {error.reason}"}
    return {**common, "status": MessageStatus.failed}


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the provider asked."""
    delay = random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))
    return max(delay, retry_after or 0)


# What a pass may change on a row it claimed; every outcome writes all of them (unchanged ones as they were),
# so one executemany records a whole batch.
OUTCOME_COLUMNS = ("status", "due_at", "reason", "error_code", "provider_id", "sent_at", "body", "language")
RECORD_RETRY: dict[str, Any] = {
    "retry": retry_if_exception_type(OperationalError),
    "stop": stop_after_attempt(6),
    "wait": wait_random_exponential(multiplier=0.1, max=3),
    "reraise": True,
}


def _finish(*statuses: MessageStatus):  # noqa: ANN202
    """Only the claimant may finish a row, and only from `statuses`: recovery may have taken it meanwhile."""
    return (
        update(MESSAGE)
        .where(
            MESSAGE.c.id == bindparam("row_id"),
            or_(*(MESSAGE.c.status == status for status in statuses)),
            MESSAGE.c.claimed_by == bindparam("worker"),
        )
        .values({name: bindparam(name) for name in OUTCOME_COLUMNS + ("updated_at",)})
    )


_FINISH = _finish(MessageStatus.sending)
# A receipt kept on disk also settles a row that recovery marked `unknown` while it waited.
_SETTLE = _finish(MessageStatus.sending, MessageStatus.unknown)


def _outcome_rows(jobs: list[_Job], now: datetime, worker: str) -> tuple[DispatchResult, list[dict]]:
    result = DispatchResult(claimed=len(jobs))
    rows = []
    for job in jobs:
        changes = dict(job.changes)
        deferred, retried = changes.pop("deferred", False), changes.pop("retried", False)
        counter = "deferred" if deferred else "retried" if retried else changes["status"]
        setattr(result, counter, getattr(result, counter) + 1)
        current = {name: getattr(job.row, name) for name in OUTCOME_COLUMNS}
        rows.append({**current, **changes, "updated_at": now, "row_id": job.row.id, "worker": worker})
    return result, rows


def _record(
    session: Session, jobs: list[_Job], now: datetime, worker: str, planned_ahead: frozenset[int] = frozenset()
) -> DispatchResult:
    result, rows = _outcome_rows(jobs, now, worker)
    session.execute(_FINISH, rows)
    keep_deferrals(session, [(job.row.id, job.changes["reason"]) for job in jobs if job.changes.get("deferred")], now)
    woken = {job.row.client_id for job in jobs if job.row.client_id and _wakes(job, planned_ahead)}
    if woken:
        session.execute(
            update(Client).where(col(Client.id).in_(woken), col(Client.next_plan_at) > now).values(next_plan_at=now)
        )
    return result


def _wakes(job: _Job, planned_ahead: frozenset[int]) -> bool:
    """Whether what became of the row calls for planning its client again: anything but a wait, unless it was
    sent to a client whose plan counted it as sent already."""
    status = job.changes.get("status")
    planned_for = status == MessageStatus.sent and job.row.client_id in planned_ahead
    return status != MessageStatus.planned and not planned_for


def _apply_side_effects(session: Session, jobs: list[_Job], now: datetime) -> None:
    """What a permanent failure tells us about the recipient is recorded at once."""
    for job in jobs:
        error, row = job.error, job.row
        if error is None or row.client_id is None:
            continue
        if error.opted_out:
            # Every client sharing the number or address is covered, as an inbound STOP would be.
            opt_out_address(
                session,
                row.channel,
                row.to_address,
                reason=f"Provider says opted out ({error.code})",
                source="provider",
                actor="worker",
                now=now,
            )
        elif error.invalid_address and row.channel == "sms":
            client = session.get(Client, row.client_id)
            client.phone_invalid = True
            fact_services.audit(
                session, "worker", "client.phone_invalid", client.id, f"provider code {error.code}", at=now
            )
            session.add(client)
        elif error.invalid_address:
            fact_services.suppress(session, "email", row.to_address, f"Invalid address ({error.code})", "provider")
