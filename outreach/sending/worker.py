"""The worker: APScheduler is the clock, the database is the queue. This module is thin glue around
planner.plan_due and dispatch.dispatch_due; several workers may run at once because claims are atomic."""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlmodel import Session

from outreach.context import Context
from outreach.sending.dispatch import DispatchResult, Sender, dispatch_due, worker_id
from outreach.models import WorkerRun
from outreach.sending.planner import PlanResult, plan_due
from outreach.services.edits import refresh_published
from outreach.sending.sharing import DISPATCH, PLAN, process_count, shared_pass

log = logging.getLogger("outreach.sending.worker")


@dataclass
class TickResult:
    plan: PlanResult
    dispatch: DispatchResult

    def summary(self) -> str:
        p, d = self.plan, self.dispatch
        return (
            f"planned {p.planned} for {p.clients} clients ({p.skipped} skipped, {p.deferred} deferred); "
            f"sent {d.sent}, deferred {d.deferred}, retried {d.retried}, skipped {d.skipped}, "
            f"failed {d.failed}, unknown {d.unknown}"
        )

    def counts(self) -> dict[str, int]:
        """A plan pass's counts for the status page: what it planned, and what it sent at once."""
        p, d = self.plan, self.dispatch
        return {
            "clients": p.clients,
            "planned": p.planned,
            "skipped": p.skipped + d.skipped,
            "deferred": p.deferred + d.deferred,
            "sent": d.sent,
            "retried": d.retried,
            "failed": d.failed,
            "unknown": d.unknown,
        }

    def add(self, other: "TickResult") -> None:
        self.plan.add(other.plan)
        self.dispatch.add(other.dispatch)


def _recorded(ctx: Context, kind: str, now: datetime, work, counts=asdict):  # noqa: ANN001, ANN202
    with Session(ctx.engine, expire_on_commit=False) as session:
        run = WorkerRun(kind=kind, worker=worker_id(), started_at=now)
        session.add(run)
        session.commit()
    started = time.monotonic()
    result = work()
    with Session(ctx.engine) as session:
        run = session.get(WorkerRun, run.id)
        run.finished_at = now + timedelta(seconds=time.monotonic() - started)
        run.counts = counts(result)
        session.add(run)
        session.commit()
    return result


def plan_and_send(ctx: Context, now: datetime, transports=None) -> TickResult:  # noqa: ANN001
    """Plan every due client, sending what falls due at once as each chunk is planned; the dispatch pass sends
    what comes due later (deferrals, retries, reminders at their hour, replies). Shared with helper processes
    when many clients are due (outreach.sending.sharing)."""

    def here() -> TickResult:
        with Sender(ctx, now, transports) as sender:
            plan = plan_due(ctx, now, sender=sender)
        return TickResult(plan, sender.result)

    return shared_pass(ctx, PLAN, now, here, help_plan, transports)


def dispatch(ctx: Context, now: datetime, transports=None) -> DispatchResult:  # noqa: ANN001
    """Send what is due; shared with helper processes when many messages are due (outreach.sending.sharing)."""
    return shared_pass(ctx, DISPATCH, now, lambda: dispatch_due(ctx, now, transports), help_dispatch, transports)


def help_plan(ctx: Context, now: datetime) -> TickResult:
    """A helper process's share of a plan pass (outreach.sending.sharing)."""
    _as_helper(ctx)
    return plan_and_send(ctx, now)


def help_dispatch(ctx: Context, now: datetime) -> DispatchResult:
    """A helper process's share of a dispatch pass (outreach.sending.sharing)."""
    _as_helper(ctx)
    return dispatch(ctx, now)


def _as_helper(ctx: Context) -> None:
    refresh_published(ctx)  # render the copy published in the browser, as the worker does
    settle_memory()


def plan_pass(ctx: Context, now: datetime, transports=None) -> TickResult:  # noqa: ANN001
    refresh_published(ctx)  # campaigns switched on or off, windows and holdouts changed in the dashboard
    return _recorded(ctx, "plan", now, lambda: plan_and_send(ctx, now, transports), TickResult.counts)


def dispatch_pass(ctx: Context, now: datetime, transports=None) -> DispatchResult:  # noqa: ANN001
    refresh_published(ctx)  # copy published in the browser since the last pass
    return _recorded(ctx, "dispatch", now, lambda: dispatch(ctx, now, transports))


def tick(ctx: Context, now: datetime, transports=None, record: bool = True) -> TickResult:  # noqa: ANN001
    """One plan and dispatch pass at `now`; `record` keeps a WorkerRun row of each for the status page."""
    if record:
        planned, sent = plan_pass(ctx, now, transports), dispatch_pass(ctx, now, transports)
    else:
        refresh_published(ctx)
        planned, sent = plan_and_send(ctx, now, transports), dispatch(ctx, now, transports)
    sent.add(planned.dispatch)
    return TickResult(planned.plan, sent)


def settle_memory() -> None:
    """Call once the process has loaded what it keeps (settings, campaigns, the ORM's mappings): those leave the
    cyclic collector's sweeps, and young objects pile up longer before one. A pass makes millions of short-lived
    rows, dicts and strings and next to no cycles; with the default thresholds the collector swept the whole heap
    some twenty times per 20,000 clients, about a tenth of a full tick (benchmarks/README.md)."""
    gc.collect()  # garbage frozen would never be collected
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def run_forever(ctx: Context) -> None:
    """The `worker` process: two interval jobs, stopped cleanly by SIGTERM or SIGINT."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    settings = ctx.settings.worker
    scheduler = BlockingScheduler(
        timezone=timezone.utc, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )

    def plan_job() -> None:
        result = plan_pass(ctx, datetime.now(timezone.utc))
        log.info("plan: %s", result.counts())

    def dispatch_job() -> None:
        result = dispatch_pass(ctx, datetime.now(timezone.utc))
        log.info("dispatch: %s", asdict(result))

    def reports_job() -> None:
        from outreach.services.care import refresh_default_reports

        refresh_default_reports(ctx.engine, ctx.settings, datetime.now(timezone.utc))

    now = datetime.now(timezone.utc)
    scheduler.add_job(
        reports_job,
        "interval",
        minutes=max(ctx.settings.reports.care_cache_minutes, 1),
        id="reports",
        next_run_time=now + timedelta(minutes=1),
    )
    scheduler.add_job(plan_job, "interval", seconds=settings.plan_every_seconds, id="plan", next_run_time=now)
    scheduler.add_job(
        dispatch_job, "interval", seconds=settings.dispatch_every_seconds, id="dispatch", next_run_time=now
    )

    def stop(signum, _frame):  # noqa: ANN001
        log.info("received %s: finishing the current pass, then stopping", signal.Signals(signum).name)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    settle_memory()
    log.info(
        "worker %s started: plan every %ss, dispatch every %ss; a pass with %s or more due uses %d process(es)",
        worker_id(),
        settings.plan_every_seconds,
        settings.dispatch_every_seconds,
        f"{settings.share_from:,}",
        process_count(settings),
    )
    scheduler.start()
    log.info("worker stopped")
