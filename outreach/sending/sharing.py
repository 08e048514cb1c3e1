"""A pass with a large backlog shares it with helper processes, one per spare CPU. Each helper runs the same pass
as another worker would (claims are atomic, so they take different clients and rows), then hands back its counts.
One process renders and writes at the speed of one core; a catch-up after an outage, or a morning's deferred
texts, then takes a fraction of the time on a machine with more.

Helpers are spawned, not forked: the worker runs passes on APScheduler's threads, and a fork would copy the locks
other threads hold. A pass given its own transports (tests, simulations) stays in one process, as does a database
in memory, which another process cannot open."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from outreach.context import Context
from outreach.db import read_only_session
from outreach.models import Client, ClientStatus, Message, MessageStatus
from outreach.settings import Secrets, Settings, Worker

log = logging.getLogger("outreach.sending.worker")

PLAN, DISPATCH = "plan", "dispatch"
Result = TypeVar("Result")


class HelperFailed(Exception):
    """A helper process's share of a pass failed; the message says how (the traceback is its cause)."""


def shared_pass(
    ctx: Context,
    kind: str,
    now: datetime,
    run_here: Callable[[], Result],
    helper: Callable[[Context, datetime], Result],
    transports=None,
) -> Result:  # noqa: ANN001
    """`run_here()` in this process, and `helper(its own context, now)` in helper processes when the backlog
    calls for them; the counts of all of them added up. `helper` is a module-level function (a spawned process
    finds it by name). A helper's failure fails the pass once this process's share is done."""
    helpers = 0 if transports is not None else helper_count(ctx, kind, now)
    if not helpers:
        return run_here()
    log.info(
        "%s pass: sharing a backlog of %s or more with %d helper process(es)",
        kind,
        f"{ctx.settings.worker.share_from:,}",
        helpers,
    )
    with helper_pool(helpers) as pool:
        # A helper is a worker that does not share in turn.
        alone = ctx.settings.model_copy(update={"worker": ctx.settings.worker.model_copy(update={"processes": 1})})
        shares = [
            pool.submit(help_with, helper, kind, alone, ctx.campaigns_dir, ctx.templates_dir, ctx.secrets, now)
            for _ in range(helpers)
        ]
        result = run_here()
        sent = [_sent(result)]
        for share in shares:
            helped = share.result()
            result.add(helped)
            sent.append(_sent(helped))
    log.info("%s pass: sent %s by this process and its helpers", kind, " + ".join(f"{n:,}" for n in sent))
    return result


def helper_pool(helpers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("spawn"), initializer=_finish_on_stop)


def _finish_on_stop() -> None:
    """A helper finishes its share when asked to stop, as the worker finishes its pass: Ctrl-C in a terminal and a
    platform's SIGTERM reach every process of the group, and a row dropped mid-send becomes `unknown`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def helper_count(ctx: Context, kind: str, now: datetime) -> int:
    """Helpers for this pass: none for a backlog below `worker.share_from`, else one fewer than the processes
    the settings allow (`worker.processes`, 0 for one per CPU)."""
    settings = ctx.settings.worker
    processes = process_count(settings)
    if processes <= 1 or not _shareable(ctx.settings.database.url):
        return 0
    return processes - 1 if backlog(ctx, kind, now, settings.share_from) >= settings.share_from else 0


def process_count(settings: Worker) -> int:
    """The processes a pass with a large backlog uses in all: `[worker] processes`, or 0 for one per CPU."""
    return settings.processes or available_cpus()


def backlog(ctx: Context, kind: str, now: datetime, at_most: int) -> int:
    """Due clients (a plan pass) or due messages (a dispatch pass), counted up to `at_most`."""
    if kind == PLAN:
        due = select(col(Client.id)).where(col(Client.next_plan_at) <= now, col(Client.status) != ClientStatus.archived)
    else:
        due = select(col(Message.id)).where(col(Message.status) == MessageStatus.planned, col(Message.due_at) <= now)
    with read_only_session(ctx.engine) as session:  # no write lock on SQLite
        return session.execute(select(func.count()).select_from(due.limit(at_most).subquery())).scalar_one()


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a cpuset narrows), not every CPU of the host."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def help_with(
    helper: Callable[[Context, datetime], Result],
    kind: str,
    settings: Settings,
    campaigns_dir: Path | None,
    templates_dir: Path | None,
    secrets: Secrets,
    now: datetime,
) -> Result:
    """A helper's share: the pass, in a context of its own, as a worker would run it."""
    ctx = Context(settings, campaigns_dir=campaigns_dir, templates_dir=templates_dir, secrets=secrets)
    try:
        return helper(ctx, now)
    except Exception as exc:
        # Re-raised as plain text: not every exception survives the trip back (one whose __init__ takes other
        # arguments than its message fails to unpickle, and takes the pool down with it).
        raise HelperFailed(f"a helper process's {kind} pass failed: {type(exc).__name__}: {exc}") from None
    finally:
        ctx.engine.dispose()


def _shareable(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


def _sent(result) -> int:  # noqa: ANN001  (TickResult | DispatchResult)
    return result.dispatch.sent if hasattr(result, "dispatch") else result.sent
