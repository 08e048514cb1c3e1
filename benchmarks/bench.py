"""How fast the sending side is: a full tick with every client due, the same rows produced by a raw floor,
an idle tick, peak memory, and 1,000 texts through a fake Twilio that answers in 50 ms. Never part of the tests.

    .venv/bin/python benchmarks/bench.py [--clients 100000] [--texts 1000] [--rounds 2] [--processes 0]
                                         [--profile tick.pstats] [--json bench-results.json] [--keep DIR]
                                         [--postgres URL] [--pg-clients 20000]

Seeds N clients with visit and progress histories into a fresh SQLite file (Core executemany), then, at a fixed
`now` (a Monday, noon in Chicago):

- full tick: the worker's plan pass (which sends what falls due as it plans each chunk of clients) then its
  dispatch pass, with the embedded outbox channel, everything due at once. As the worker runs them: with a
  backlog this large a pass shares it with helper processes, one per CPU in all (--processes 1: one process);
- floor: the messages the tick sent, rendered by the same Renderer and templates, written as the same outbox
  files (.eml, sms.jsonl) by the same channel, then one executemany insert;
- with --rounds 2 (the default): tick, floor, floor, then the tick again from the seeded database, and the means
  of each; a machine whose speed drifts steadily over the run then slows both sides alike;
- idle tick: a tick once everything has settled, when nothing is due (must cost O(due), not O(clients));
- texts: 1,000 texts sent by three worker processes to the fake Twilio (every answer after 50 ms) at
  sms_per_second=300, concurrency=16, checking the fake never saw more than 300 requests in any one-second window;
- with --postgres URL: the texts on a fresh PostgreSQL database, and the same full tick (--pg-clients) by one worker
  process, then by three at once (forked, started together; each in one process), and with --rounds 2 by three
  then one again, and the means (target: three take at most 0.6x one's time).

Targets (2 cores, SQLite): tick >= 5,000 messages/s, tick/floor >= 0.5, idle < 50 ms, peak RSS < 300 MB,
1,000 texts < 5 s (first to last request); PostgreSQL, three workers <= 0.6x one worker's time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Column, MetaData, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy import Table as DbTable
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outreach.channels.base import OutgoingMessage, Transport  # noqa: E402
from outreach.channels.registry import transports as configured_transports  # noqa: E402
from outreach.context import Context  # noqa: E402
from outreach.db import engine_for, make_engine  # noqa: E402
from outreach.models import Client, ConsentEvent, Message, ProgressEntry, Visit  # noqa: E402
from outreach.rendering import message_context  # noqa: E402
from outreach.settings import Secrets, Settings  # noqa: E402
from outreach.policy.consent import CHOOSABLE_STREAMS  # noqa: E402
from outreach.signed_links import (  # noqa: E402
    make_preference_token,
    make_unsubscribe_token,
    one_click_headers,
    preferences_url,
    unsubscribe_url,
)
from outreach.sending.sharing import available_cpus, process_count  # noqa: E402
from outreach.sending.worker import dispatch, plan_and_send, settle_memory, tick  # noqa: E402
from tests.fakes import twilio  # noqa: E402
from tests.fakes.server import Fault, busiest_second  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402
from tests.sending.worker_process import seed_due_messages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago, 10:00 in Los Angeles
ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles")
NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "June")
CHUNK = 10_000
TEXTS_PER_SECOND, TEXT_CONCURRENCY, ANSWER_AFTER, WORKERS = 300, 16, 0.05, 3
ONE_PROCESS = {"processes": 1}  # the rows that compare worker processes start them themselves
MESSAGE_COLUMNS = {column.name for column in Message.__table__.columns} - {"id"}
console = Console(stderr=True)


@dataclass(frozen=True)
class Target:
    label: str
    key: str
    limit: float
    at_least: bool

    def met(self, results: dict) -> bool:
        value = results[self.key]
        return value >= self.limit if self.at_least else value < self.limit


TARGETS = (
    Target("full tick, messages/s", "tick_messages_per_s", 5000, True),
    Target("tick / floor", "tick_over_floor", 0.5, True),
    Target("idle tick, ms", "idle_tick_ms", 50, False),
    Target("peak RSS after the tick, MB", "peak_rss_mb", 300, False),
    Target("1,000 texts by 3 workers, first to last, s", "texts_seconds", 5, False),
    Target("PostgreSQL: 3 workers' time / 1 worker's", "pg_three_over_one", 0.6, False),
)


def context(directory: Path, **sections) -> Context:
    sections.setdefault("database", {"url": f"sqlite:///{directory / 'outreach.db'}"})
    settings = Settings(outbox={"directory": str(directory / "outbox")}, **sections)
    ctx = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates")
    ctx.upgrade_schema()
    return ctx


# --- seeding -----------------------------------------------------------------------------------------------


def seed_clients(ctx: Context, count: int, bar: Progress) -> None:
    """Clients with consent, visits (some booked ahead) and pain scores, written CHUNK clients at a time."""
    task = bar.add_task("Seeding clients", total=count)
    rng = random.Random(7)
    for first in range(0, count, CHUNK):
        numbers = range(first, min(first + CHUNK, count))
        with ctx.engine.begin() as conn:
            ids = [
                row.id
                for row in conn.execute(
                    insert(Client.__table__).returning(Client.__table__.c.id, sort_by_parameter_order=True),
                    [client_row(n, rng) for n in numbers],
                )
            ]
            histories = [history(cid, rng) for cid in ids]
            conn.execute(insert(ConsentEvent.__table__), [row for h in histories for row in h["consent"]])
            conn.execute(insert(Visit.__table__), [row for h in histories for row in h["visits"]])
            scores = [row for h in histories for row in h["scores"]]
            if scores:
                conn.execute(insert(ProgressEntry.__table__), scores)
        bar.advance(task, len(numbers))


def client_row(n: int, rng: random.Random) -> dict:
    has_phone = rng.random() < 0.85
    return {
        "external_id": f"B{n:07d}",
        "first_name": rng.choice(NAMES),
        "last_name": f"Family{n}",
        "email": f"client{n}@example.com",
        "phone": f"+1612{3000000 + n:07d}" if has_phone else None,
        "timezone": rng.choice(ZONES),
        "status": "active" if rng.random() < 0.96 else "paused",
        "email_consent": rng.random() < 0.9,
        "sms_consent": has_phone and rng.random() < 0.75,
        "reminders_opt_out": False,
        "phone_invalid": False,
        "next_plan_at": NOW - timedelta(minutes=5),
        "created_at": NOW - timedelta(days=120),
        "updated_at": NOW - timedelta(days=120),
    }


def history(client_id: int, rng: random.Random) -> dict:
    """A few months of weekly-to-monthly visits with a score at each; a third have a visit booked soon."""
    visits, scores = [], []
    gap = rng.choice((7, 7, 14, 28))
    count = rng.randint(1, 10)
    start = NOW - timedelta(days=gap * count + rng.randint(0, 40), hours=rng.randint(0, 8))
    pain, trend = rng.randint(5, 9), rng.choice((-1, -1, 0, 1))
    for k in range(count):
        at = start + timedelta(days=gap * k)
        visits.append(
            {
                "client_id": client_id,
                "starts_at": at,
                "status": "attended" if rng.random() < 0.92 else "no_show",
                "source": "import",
                "created_at": at,
                "updated_at": at,
            }
        )
        scores.append({"client_id": client_id, "recorded_at": at, "pain": pain, "source": "import"})
        pain = max(0, min(10, pain + trend * rng.randint(0, 1)))
    if rng.random() < 0.33:
        at = (NOW + timedelta(days=rng.randint(1, 10))).replace(hour=15, minute=0)
        visits.append(
            {
                "client_id": client_id,
                "starts_at": at,
                "status": "booked",
                "source": "import",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    consent = [
        {"client_id": client_id, "channel": channel, "granted": True, "at": start, "source": "import", "note": ""}
        for channel in ("email", "sms")
    ]
    return {"visits": visits, "scores": scores, "consent": consent}


# --- measurements --------------------------------------------------------------------------------------------


@contextmanager
def stopwatch(results: dict, key: str) -> Iterator[None]:
    """Wall seconds under `key`, and this process's CPU seconds (every thread) under `key`_cpu: on a shared
    machine the CPU figure is the steadier one. Starts once the files earlier phases wrote are on disk: the tick and
    the floor each write about a gigabyte of outbox files at 100,000 clients, and the kernel's writeback of one
    phase's files would otherwise land in the next one's time."""
    os.sync()
    started, cpu, kernel = time.perf_counter(), time.process_time() + children_cpu_s(), kernel_cpu_s()
    yield
    results[key] = time.perf_counter() - started
    results[f"{key}_cpu"] = time.process_time() + children_cpu_s() - cpu
    results[f"{key}_kernel"] = kernel_cpu_s() - kernel


def children_cpu_s() -> float:
    """CPU seconds of the helper processes a pass shared its work with, once they have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def kernel_cpu_s() -> float:
    """The system part of the CPU seconds, this process's and its ended helpers': mostly creating files."""
    return sum(resource.getrusage(who).ru_stime for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def file_creation_us(directory: Path, count: int = 2000) -> float:
    """Microseconds to create one 7 KB file in `directory`, as the outbox channel does. On this machine's disk it
    ranged from 11 to 250 µs on the same day, by folder and by how recently many files there were deleted
    (benchmarks/README.md): the tick's rate moves with it, so the report shows it. The files are left in place
    (deleting them would slow what follows)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = b"x" * 7000
    os.sync()
    started = time.perf_counter()
    for number in range(count):
        fd = os.open(directory / f"{number:08d}.eml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return (time.perf_counter() - started) / count * 1e6


def full_tick(ctx: Context, bar: Progress, profile: Path | None) -> dict:
    """The worker's plan pass (sending what falls due) then its dispatch pass at NOW, everything due, through the
    embedded outbox channel."""
    results: dict = {}
    task = bar.add_task("Full tick (plan, then dispatch)", total=2)
    settle_memory()  # as the worker process does once it has started
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    with stopwatch(results, "plan_s"):
        planned = plan_and_send(ctx, NOW)
    bar.advance(task)
    with stopwatch(results, "dispatch_s"):
        sent = dispatch(ctx, NOW)
    bar.advance(task)
    plan = planned.plan
    results["sent_while_planning"] = planned.dispatch.sent
    sent.add(planned.dispatch)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    results.update(
        clients_planned=plan.clients,
        messages_planned=plan.planned,
        messages_skipped=plan.skipped,
        messages_sent=sent.sent,
        messages_deferred=sent.deferred + plan.deferred,
        tick_s=results["plan_s"] + results["dispatch_s"],
    )
    return results


def tick_and_floor(
    ctx: Context, directory: Path, rounds: int, bar: Progress, profile: Path | None
) -> tuple[Context, dict]:
    """The full tick and the floor, as tick, floor (rounds=1), or tick, floor, floor, tick from the same seeded
    database (rounds=2), whose means cancel a steady drift in the machine's speed. Details are the first tick's;
    times, rates and each run's seconds are over all. Returns the context of the database as the last tick left it."""
    seeded = directory / "seeded.db"
    copy_database(database_path(ctx), seeded)
    file_us = [file_creation_us(directory / "file-probe-1")]
    ticks = [full_tick(ctx, bar, profile)]
    results = {**ticks[0], "peak_rss_mb": peak_rss_mb()}  # seeding and the tick; the floor is not the product
    floors = [floor(ctx, directory / f"floor-{n}", bar) for n in range(1, rounds + 1)]
    if rounds == 2:
        ctx = fresh_from(ctx, seeded)
        ticks.append(full_tick(ctx, bar, None))
        assert ticks[1]["messages_sent"] == ticks[0]["messages_sent"], "the two ticks sent different messages"
    file_us.append(file_creation_us(directory / "file-probe-2"))
    for runs, keys in (
        (
            ticks,
            ("plan_s", "plan_s_cpu", "plan_s_kernel", "dispatch_s", "dispatch_s_cpu", "dispatch_s_kernel", "tick_s"),
        ),
        (floors, ("floor_s", "floor_s_cpu", "floor_s_kernel")),
    ):
        results.update({key: sum(run[key] for run in runs) / len(runs) for key in keys})
    sent = results["messages_sent"]
    tick_cpu_s = results["plan_s_cpu"] + results["dispatch_s_cpu"]
    results.update(
        plan_messages_per_s=results["sent_while_planning"] / results["plan_s"],
        tick_messages_per_s=sent / results["tick_s"],
        floor_messages_per_s=sent / results["floor_s"],
        tick_over_floor=results["floor_s"] / results["tick_s"],  # the same messages on both sides
        tick_over_floor_cpu=results["floor_s_cpu"] / tick_cpu_s,
        tick_kernel_s=results["plan_s_kernel"] + results["dispatch_s_kernel"],
        file_creation_us=file_us,
        runs_in_order=[("tick", ticks[0]["tick_s"])]
        + [("floor", run["floor_s"]) for run in floors]
        + [("tick", run["tick_s"]) for run in ticks[1:]],
    )
    return ctx, results


def database_path(ctx: Context) -> Path:
    return Path(make_url(ctx.settings.database.url).database)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy, whatever is still in the source's write-ahead log."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def fresh_from(ctx: Context, seeded: Path) -> Context:
    """A new context on the seeded database and an empty outbox, as the first tick found them. The first tick's
    outbox is moved aside, not deleted: deleting a gigabyte of files slows creating them for minutes after."""
    ctx.engine.dispose()
    database = database_path(ctx)
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    copy_database(seeded, database)
    outbox = ctx.settings.outbox.directory
    if outbox.exists():
        outbox.rename(outbox.with_name(f"{outbox.name}-{uuid.uuid4().hex[:8]}"))
    return context(database.parent, worker=ctx.settings.worker.model_dump())


def floor(ctx: Context, directory: Path, bar: Progress) -> dict:
    """The sent rows again, the least work possible: a render each, the same bytes the outbox channel writes,
    and one executemany insert. Its files (a gigabyte at 100,000 clients) go with the working folder at the end."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(Message.__table__, Client.first_name, Client.timezone)
            .join(Client, Client.id == Message.client_id)
            .where(Message.status == "sent")
        ).all()
    task = bar.add_task("Floor: render + one insert", total=len(rows))
    directory.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{directory / 'floor.db'}")
    table = DbTable(
        "message",
        MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key, unique=c.unique) for c in Message.__table__.columns),
    )
    table.metadata.create_all(engine)
    public = ctx.settings.web.public_url
    results: dict = {}
    outbox = floor_outbox(ctx, directory / "floor-outbox")
    with stopwatch(results, "floor_s"):
        written = render_all(ctx, rows, public, outbox, bar, task)
        with engine.begin() as conn:
            conn.execute(insert(table), written)
    bar.update(task, completed=len(rows))
    engine.dispose()
    return results


def floor_outbox(ctx: Context, directory: Path) -> dict[str, Transport]:
    """The embedded channel's transports, writing into `directory`."""
    floor_ctx = Context(
        ctx.settings.model_copy(update={"outbox": ctx.settings.outbox.model_copy(update={"directory": directory})}),
        campaigns_dir=ctx.campaigns_dir,
        templates_dir=ctx.templates_dir,
    )
    return configured_transports(floor_ctx)


def render_all(ctx: Context, rows: list, public: str, outbox: dict[str, Transport], bar: Progress, task) -> list[dict]:  # noqa: ANN001
    written = []
    for message in rows:
        first_name, zone = message.first_name, message.timezone
        campaign = ctx.catalog.get(message.campaign)
        email = message.channel == "email"
        # The same signing the tick does: an email's one-click link names its stream; only emails print the
        # preference link, which names the address and when it was sent.
        stream = campaign.stream if email and campaign.stream in CHOOSABLE_STREAMS else ""
        token = make_unsubscribe_token(ctx.secret_key, message.client_id, message.channel, campaign.name, stream)
        preferences = (
            make_preference_token(ctx.secret_key, message.client_id, "email", message.to_address, NOW) if email else ""
        )
        values = message_context(
            ctx.settings,
            first_name=first_name,
            phase="establishing",
            interval_days=7,
            visit_at_local=visit_at(message.cycle, zone),
            today=NOW.astimezone(ZoneInfo(zone)).date(),
            unsubscribe_url=unsubscribe_url(public, token),
            preferences_url=preferences_url(public, preferences) if email else "",
            stop_notice=True,
        )
        rendered = ctx.renderer.render(campaign, campaign.step(message.step), message.channel, values)
        headers = one_click_headers(values["unsubscribe_url"], ctx.settings.email.unsubscribe_mailto) if email else {}
        outbox[message.channel].send(
            OutgoingMessage(
                message.id,
                message.key,
                message.channel,
                message.to_address,
                rendered.text,
                rendered.subject,
                rendered.html,
                headers,
                campaign.name,
            )
        )
        row = {name: value for name, value in message._mapping.items() if name in MESSAGE_COLUMNS}
        row["reason"] = rendered.subject[:10]
        written.append(row)
        if len(written) % 5000 == 0:
            bar.update(task, completed=len(written))
    return written


def visit_at(cycle: str, zone: str) -> datetime | None:
    """The visit a reminder's cycle names ("visit-20260305T1500", UTC), in the client's zone."""
    if not cycle.startswith("visit-"):
        return None
    return datetime.strptime(cycle, "visit-%Y%m%dT%H%M").replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone))


def idle_tick(ctx: Context, bar: Progress) -> dict:
    """Let the clients the full tick woke settle, then time a tick with nothing due."""
    task = bar.add_task("Idle tick", total=3)
    settle = tick(ctx, NOW + timedelta(minutes=1))
    bar.advance(task)
    tick(ctx, NOW + timedelta(minutes=2))  # anything the settling pass deferred by a minute
    bar.advance(task)
    times = []
    for minute in range(3, 8):
        started = time.perf_counter()
        idle = tick(ctx, NOW + timedelta(minutes=minute))
        times.append(time.perf_counter() - started)
        assert idle.plan.clients == 0 and idle.dispatch.claimed == 0, idle.summary()
    bar.advance(task)
    return {"idle_tick_ms": 1000 * min(times), "settle_tick_clients": settle.plan.clients}


def texts(directory: Path, count: int, bar: Progress, database_url: str | None) -> dict:
    """`count` texts sent by three worker processes through the fake Twilio, sharing one rate."""
    task = bar.add_task(f"{count:,} texts, {WORKERS} workers, to a fake Twilio (50 ms answers)", total=1)
    with fresh_database(database_url, directory) as url:
        ctx = context(directory, database={"url": url}, worker=ONE_PROCESS)
        seed_due_messages(ctx, count, NOW)
        ctx.engine.dispose()
        with FakeTwilio() as fake:
            fake.add_rule(Fault.delay(ANSWER_AFTER))
            settings = ctx.settings.model_copy(
                update={
                    "email": ctx.settings.email.model_copy(update={"backend": "null"}),
                    "sms": ctx.settings.sms.model_copy(update={"backend": "twilio"}),
                    "twilio": ctx.settings.twilio.model_copy(
                        update={
                            "account_sid": twilio.ACCOUNT_SID,
                            "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
                            "base_url": fake.url,
                        }
                    ),
                    "dispatch": ctx.settings.dispatch.model_copy(
                        update={"sms_per_second": TEXTS_PER_SECOND, "concurrency": TEXT_CONCURRENCY}
                    ),
                }
            )
            seconds = run_workers(settings, WORKERS, Secrets(twilio_auth_token=twilio.AUTH_TOKEN))
            accepted = fake.accepted
    bar.advance(task)
    moments = [request.arrived for request in accepted]
    return {
        "texts_seconds": max(moments) - min(moments),
        "texts_wall_seconds": seconds,
        "texts_accepted": len(accepted),
        "texts_busiest_second": busiest_second(accepted),
        "texts_rate_limit": TEXTS_PER_SECOND,
        "texts_concurrency": TEXT_CONCURRENCY,
        "texts_database": "PostgreSQL" if database_url else "SQLite",
    }


def run_workers(settings: Settings, workers: int, secrets: Secrets | None = None) -> float:
    """Seconds for `workers` forked processes, started together once each has loaded campaigns and templates,
    to finish one tick at NOW each."""
    processes = multiprocessing.get_context("fork")
    ready = processes.Barrier(workers + 1)
    children = [
        processes.Process(target=_worker_tick, args=(settings, secrets or Secrets(), ready)) for _ in range(workers)
    ]
    for child in children:
        child.start()
    ready.wait()
    started = time.perf_counter()
    for child in children:
        child.join()
    if any(child.exitcode for child in children):
        raise RuntimeError(f"a worker failed: exit codes {[child.exitcode for child in children]}")
    return time.perf_counter() - started


def _worker_tick(settings: Settings, secrets: Secrets, ready) -> None:  # noqa: ANN001
    engine_for.cache_clear()  # never share the parent's connections
    ctx = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates", secrets=secrets)
    ctx.catalog, ctx.renderer  # noqa: B018  (loaded before the start)
    settle_memory()  # as `outreach tick` and the worker do
    ready.wait()
    tick(ctx, NOW)


@contextmanager
def fresh_database(admin_url: str | None, directory: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in `directory`, or one created on the PostgreSQL server and dropped."""
    if not admin_url:
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{directory / 'outreach.db'}"
        return
    import psycopg

    name = f"outreach_bench_{uuid.uuid4().hex[:10]}"
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        engine_for.cache_clear()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_workers(admin_url: str, directory: Path, clients: int, bar: Progress, rounds: int) -> dict:
    """The same full tick on PostgreSQL by one worker process, then by three at once; with rounds=2, by three
    then one again (the means of each, as for the tick and the floor)."""
    results: dict = {"pg_clients": clients}
    order = (1, WORKERS) if rounds == 1 else (1, WORKERS, WORKERS, 1)
    seconds: dict[int, list[float]] = {1: [], WORKERS: []}
    for run, workers in enumerate(order):
        task = bar.add_task(f"PostgreSQL: {clients:,} clients, {workers} worker(s)", total=1)
        with fresh_database(admin_url, directory) as url:
            ctx = context(
                directory / f"pg-{run}",
                database={"url": url},
                worker=ONE_PROCESS,
                dispatch={"concurrency": TEXT_CONCURRENCY},
            )
            seed_clients(ctx, clients, bar)
            ctx.engine.dispose()
            settle_postgres(url)
            seconds[workers].append(run_workers(ctx.settings, workers))
            results[f"pg_sent_{workers}"] = outbox_size(ctx)["outbox_by_status"].get("sent", 0)
            ctx.engine.dispose()
        bar.advance(task)
    results.update({f"pg_tick_s_{workers}": sum(times) / len(times) for workers, times in seconds.items()})
    results["pg_runs_in_order"] = [
        (workers, seconds[workers][order[:run].count(workers)]) for run, workers in enumerate(order)
    ]
    results["pg_three_over_one"] = results[f"pg_tick_s_{WORKERS}"] / results["pg_tick_s_1"]
    return results


def settle_postgres(url: str) -> None:
    """The seeded database vacuumed and analysed, and earlier phases' files on disk, before a timed run: three
    workers keep both CPUs busy, so an autovacuum of the seeding's rows or the kernel's writeback landing in their
    run (and not in one worker's, which leaves a CPU idle) would be counted against them."""
    import psycopg

    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")
    os.sync()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def outbox_size(ctx: Context) -> dict:
    with Session(ctx.engine) as session:
        counts = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    return {"outbox_rows": sum(counts.values()), "outbox_by_status": counts}


# --- report ----------------------------------------------------------------------------------------------------


def report(results: dict) -> Table:
    table = Table(
        title=f"outreach benchmark: {results['clients']:,} clients, SQLite, {results['cpus']} CPUs, "
        f"a pass of {results['share_from']:,}+ due in {results['processes']} process(es)"
    )
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = (
        ("clients planned", f"{results['clients_planned']:,}", "", ""),
        ("messages planned (skipped)", f"{results['messages_planned']:,} ({results['messages_skipped']:,})", "", ""),
        ("messages sent / deferred", f"{results['messages_sent']:,} / {results['messages_deferred']:,}", "", ""),
        (
            "plan pass (sends what falls due)",
            f"{results['plan_s']:.1f} s ({results['plan_s_cpu']:.1f} s CPU), "
            f"{results['sent_while_planning']:,} sent, "
            f"{results['plan_messages_per_s']:,.0f}/s",
            "",
            "",
        ),
        (
            "dispatch pass (the rest)",
            f"{results['dispatch_s']:.1f} s ({results['dispatch_s_cpu']:.1f} s CPU), "
            f"{results['messages_sent'] - results['sent_while_planning']:,} sent",
            "",
            "",
        ),
        (
            "floor (render + write + 1 insert)",
            f"{results['floor_s']:.1f} s ({results['floor_s_cpu']:.1f} s CPU), "
            f"{results['floor_messages_per_s']:,.0f}/s",
            "",
            "",
        ),
        ("runs, in order", ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results["runs_in_order"]), "", ""),
        ("peak RSS, whole run (with the floor)", f"{results['peak_rss_whole_run_mb']:,.0f} MB", "", ""),
        ("tick / floor, by CPU seconds", f"{results['tick_over_floor_cpu']:.2f}", "", ""),
        ("of the tick's CPU, in the kernel", f"{results['tick_kernel_s']:.1f} s", "", ""),
        (
            "creating a 7 KB file here, before / after",
            " / ".join(f"{us:.0f} µs" for us in results["file_creation_us"]),
            "",
            "",
        ),
        ("load average at the end", f"{os.getloadavg()[0]:.1f}", "", ""),
    )
    if "texts_busiest_second" in results:
        rows += (
            (
                "texts, 3 workers: busiest second",
                f"{results['texts_busiest_second']} requests",
                f"<= {results['texts_rate_limit']}",
                "yes" if results["texts_busiest_second"] <= results["texts_rate_limit"] else "NO",
            ),
            (
                "texts, 3 workers: wall, start to all done",
                f"{results['texts_wall_seconds']:.1f} s ({results['texts_database']})",
                "",
                "",
            ),
        )
    if "pg_tick_s_1" in results:
        rows += (
            (
                f"PostgreSQL tick, {results['pg_clients']:,} clients: 1 / 3 workers",
                f"{results['pg_tick_s_1']:.1f} s / {results[f'pg_tick_s_{WORKERS}']:.1f} s "
                f"({results['pg_sent_1']:,} / {results[f'pg_sent_{WORKERS}']:,} sent)",
                "",
                "",
            ),
            (
                "PostgreSQL runs, in order",
                ", ".join(f"{workers} worker(s) {seconds:.1f} s" for workers, seconds in results["pg_runs_in_order"]),
                "",
                "",
            ),
        )
    for row in rows:
        table.add_row(*row)
    for target in (target for target in TARGETS if target.key in results):
        value = results[target.key]
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        table.add_row(
            target.label,
            shown,
            f"{'>=' if target.at_least else '<'} {target.limit:g}",
            "yes" if target.met(results) else "NO",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--clients", type=int, default=100_000, help="clients to seed for the full tick (100,000)")
    parser.add_argument(
        "--texts", type=int, default=1000, help="texts for the three-worker rate row (1,000; 0 skips it)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        choices=(1, 2),
        default=2,
        help="1: tick then floor; 2: tick, floor, floor, tick, and their means (default)",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the (first) full tick here (pstats)")
    parser.add_argument(
        "--json", type=Path, default=Path("bench-results.json"), help="write every figure here (bench-results.json)"
    )
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temporary one)")
    parser.add_argument(
        "--postgres",
        help="a PostgreSQL server URL (a database is created on it and dropped) for "
        "the texts and the one-vs-three workers rows",
    )
    parser.add_argument(
        "--pg-clients", type=int, default=20_000, help="clients for the PostgreSQL workers row (20,000)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="processes the full tick may use, as [worker] processes: 0 for one per CPU (default), 1 for one process",
    )
    args = parser.parse_args()

    directory = args.keep or Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    results: dict = {"clients": args.clients, "cpus": available_cpus(), "now": NOW.isoformat()}
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            ctx = context(directory / "tick", worker={"processes": args.processes})
            results.update(processes=process_count(ctx.settings.worker), share_from=ctx.settings.worker.share_from)
            seed_clients(ctx, args.clients, bar)
            ctx, measured = tick_and_floor(ctx, directory, args.rounds, bar, args.profile)
            results.update(measured)
            results.update(idle_tick(ctx, bar))
            results.update(outbox_size(ctx))
            ctx.engine.dispose()
            if args.texts:
                results.update(texts(directory / "texts", args.texts, bar, args.postgres))
            if args.postgres:
                results.update(postgres_workers(args.postgres, directory, args.pg_clients, bar, args.rounds))
        results["peak_rss_whole_run_mb"] = peak_rss_mb()
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    Console().print(report(results))
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"Results written to {args.json}")


if __name__ == "__main__":
    main()
