"""How fast the sending side is: a full tick with every client due, the same rows produced by a raw floor,
an idle tick, peak memory, and 1,000 texts through a fake Twilio that answers in 50 ms. Never part of the tests.

    .venv/bin/python benchmarks/bench.py [--clients 100000] [--texts 1000] [--profile tick.pstats]
                                         [--json bench-results.json] [--keep DIR]

Seeds N clients with visit and progress histories into a fresh SQLite file (Core executemany), then, at a fixed
`now` (a Monday, noon in Chicago):

- full tick: plan_due then dispatch_due with the embedded outbox channel, everything due at once;
- floor: the messages the tick sent, rendered by the same Renderer and templates, written as the same outbox
  files (.eml, sms.jsonl) by the same channel, then one executemany insert;
- idle tick: a tick once everything has settled, when nothing is due (must cost O(due), not O(clients));
- texts: 1,000 texts to the fake Twilio (every answer after 50 ms) at sms_per_second=300, concurrency=16,
  checking the fake never saw more than 300 requests in any one-second window.

Targets (2 cores, SQLite): tick >= 5,000 messages/s, tick/floor >= 0.5, idle < 50 ms, peak RSS < 300 MB,
1,000 texts < 5 s.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Column, MetaData, func, insert, select
from sqlalchemy import Table as DbTable
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outreach.channels.base import OutgoingMessage, Transport  # noqa: E402
from outreach.channels.outbox import NullTransport  # noqa: E402
from outreach.channels.registry import transports as configured_transports  # noqa: E402
from outreach.channels.twilio import TwilioSms  # noqa: E402
from outreach.context import Context  # noqa: E402
from outreach.db import make_engine  # noqa: E402
from outreach.dispatch import dispatch_due, email_headers  # noqa: E402
from outreach.models import Client, ConsentEvent, Message, ProgressEntry, Visit  # noqa: E402
from outreach.planner import plan_due  # noqa: E402
from outreach.rendering import message_context  # noqa: E402
from outreach.settings import Secrets, Settings  # noqa: E402
from outreach.tokens import make_unsubscribe_token, preferences_url, unsubscribe_url  # noqa: E402
from outreach.worker import tick  # noqa: E402
from tests.fakes import twilio  # noqa: E402
from tests.fakes.server import Fault, Request  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402
from tests.worker_process import seed_due_messages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago, 10:00 in Los Angeles
ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles")
NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "June")
CHUNK = 10_000
TEXTS_PER_SECOND, TEXT_CONCURRENCY, ANSWER_AFTER = 300, 16, 0.05
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
    Target("1,000 texts, s", "texts_seconds", 5, False),
)


def context(directory: Path, **sections) -> Context:
    settings = Settings(database={"url": f"sqlite:///{directory / 'outreach.db'}"},
                        outbox={"directory": str(directory / "outbox")}, **sections)
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
            ids = [row.id for row in conn.execute(
                insert(Client.__table__).returning(Client.__table__.c.id, sort_by_parameter_order=True),
                [client_row(n, rng) for n in numbers])]
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
        "external_id": f"B{n:07d}", "first_name": rng.choice(NAMES), "last_name": f"Family{n}",
        "email": f"client{n}@example.com", "phone": f"+1612{3000000 + n:07d}" if has_phone else None,
        "timezone": rng.choice(ZONES), "status": "active" if rng.random() < 0.96 else "paused",
        "email_consent": rng.random() < 0.9, "sms_consent": has_phone and rng.random() < 0.75,
        "reminders_opt_out": False, "phone_invalid": False, "next_plan_at": NOW - timedelta(minutes=5),
        "created_at": NOW - timedelta(days=120), "updated_at": NOW - timedelta(days=120),
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
        visits.append({"client_id": client_id, "starts_at": at, "status": "attended" if rng.random() < 0.92 else "no_show",
                       "source": "import", "created_at": at, "updated_at": at})
        scores.append({"client_id": client_id, "recorded_at": at, "pain": pain, "source": "import"})
        pain = max(0, min(10, pain + trend * rng.randint(0, 1)))
    if rng.random() < 0.33:
        at = (NOW + timedelta(days=rng.randint(1, 10))).replace(hour=15, minute=0)
        visits.append({"client_id": client_id, "starts_at": at, "status": "booked", "source": "import",
                       "created_at": NOW, "updated_at": NOW})
    consent = [{"client_id": client_id, "channel": channel, "granted": True, "at": start, "source": "import", "note": ""}
               for channel in ("email", "sms")]
    return {"visits": visits, "scores": scores, "consent": consent}


# --- measurements --------------------------------------------------------------------------------------------

@contextmanager
def stopwatch(results: dict, key: str) -> Iterator[None]:
    """Wall seconds under `key`, and this process's CPU seconds (every thread) under `key`_cpu: on a shared
    machine the CPU figure is the steadier one."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    results[key] = time.perf_counter() - started
    results[f"{key}_cpu"] = time.process_time() - cpu


def full_tick(ctx: Context, bar: Progress, profile: Path | None) -> dict:
    """plan_due then dispatch_due at NOW, everything due, through the embedded outbox channel."""
    results: dict = {}
    task = bar.add_task("Full tick (plan, then dispatch)", total=2)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    with stopwatch(results, "plan_s"):
        plan = plan_due(ctx, NOW)
    bar.advance(task)
    with stopwatch(results, "dispatch_s"):
        sent = dispatch_due(ctx, NOW)
    bar.advance(task)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    tick_s = results["plan_s"] + results["dispatch_s"]
    results.update(
        clients_planned=plan.clients, messages_planned=plan.planned, messages_skipped=plan.skipped,
        messages_sent=sent.sent, messages_deferred=sent.deferred + plan.deferred,
        plan_messages_per_s=plan.planned / results["plan_s"],
        dispatch_messages_per_s=sent.sent / results["dispatch_s"],
        tick_messages_per_s=sent.sent / tick_s, tick_s=tick_s,
        tick_messages_per_cpu_s=sent.sent / (results["plan_s_cpu"] + results["dispatch_s_cpu"]),
    )
    return results


def floor(ctx: Context, directory: Path, bar: Progress) -> dict:
    """The sent rows again, the least work possible: a render each, the same bytes the outbox channel writes,
    and one executemany insert."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(Message.__table__, Client.first_name, Client.timezone)
                            .join(Client, Client.id == Message.client_id).where(Message.status == "sent")).all()
    task = bar.add_task("Floor: render + one insert", total=len(rows))
    engine = make_engine(f"sqlite:///{directory / 'floor.db'}")
    table = DbTable("message", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key, unique=c.unique)
                                           for c in Message.__table__.columns))
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
    return {**results, "floor_messages_per_s": len(rows) / results["floor_s"]}


def floor_outbox(ctx: Context, directory: Path) -> dict[str, Transport]:
    """The embedded channel's transports, writing into `directory`."""
    floor_ctx = Context(ctx.settings.model_copy(update={"outbox": ctx.settings.outbox.model_copy(
        update={"directory": directory})}), campaigns_dir=ctx.campaigns_dir, templates_dir=ctx.templates_dir)
    return configured_transports(floor_ctx)


def render_all(ctx: Context, rows: list, public: str, outbox: dict[str, Transport], bar: Progress,
               task) -> list[dict]:  # noqa: ANN001
    written = []
    for message in rows:
        first_name, zone = message.first_name, message.timezone
        campaign = ctx.catalog.get(message.campaign)
        token = make_unsubscribe_token(ctx.secret_key, message.client_id, message.channel, campaign.name)
        values = message_context(ctx.settings, first_name=first_name, phase="establishing", interval_days=7,
                                 visit_at_local=visit_at(message.cycle, zone), today=NOW.astimezone(ZoneInfo(zone)).date(),
                                 unsubscribe_url=unsubscribe_url(public, token),
                                 preferences_url=preferences_url(public, token), stop_notice=True)
        rendered = ctx.renderer.render(campaign, campaign.step(message.step), message.channel, values)
        headers = email_headers(ctx, values["unsubscribe_url"]) if message.channel == "email" else {}
        outbox[message.channel].send(OutgoingMessage(
            message.id, message.key, message.channel, message.to_address, rendered.text, rendered.subject,
            rendered.html, headers, campaign.name))
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


class TimedTwilio(FakeTwilio):
    """The fake Twilio, noting when each request arrived."""

    def parse(self, request: Request) -> None:
        request.arrived = time.monotonic()
        super().parse(request)


def busiest_second(moments: list[float]) -> int:
    """The most requests in any one-second window."""
    ordered = sorted(moments)
    return max((bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def texts(directory: Path, count: int, bar: Progress) -> dict:
    task = bar.add_task(f"{count:,} texts to a fake Twilio (50 ms answers)", total=1)
    ctx = context(directory, dispatch={"sms_per_second": TEXTS_PER_SECOND, "concurrency": TEXT_CONCURRENCY})
    seed_due_messages(ctx, count, NOW)
    with TimedTwilio() as fake:
        fake.add_rule(Fault.delay(ANSWER_AFTER))
        settings = ctx.settings.model_copy(update={"twilio": ctx.settings.twilio.model_copy(update={
            "account_sid": twilio.ACCOUNT_SID, "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
            "base_url": fake.url})})
        channels = {"sms": TwilioSms(settings, Secrets(twilio_auth_token=twilio.AUTH_TOKEN)),
                    "email": NullTransport("email")}
        started = time.perf_counter()
        result = dispatch_due(ctx, NOW, channels)
        seconds = time.perf_counter() - started
        channels["sms"].close()
        accepted = fake.accepted
    bar.advance(task)
    ctx.engine.dispose()
    return {"texts_seconds": seconds, "texts_sent": result.sent, "texts_accepted": len(accepted),
            "texts_busiest_second": busiest_second([r.arrived for r in accepted]),
            "texts_rate_limit": TEXTS_PER_SECOND, "texts_concurrency": TEXT_CONCURRENCY}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def outbox_size(ctx: Context) -> dict:
    with Session(ctx.engine) as session:
        counts = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    return {"outbox_rows": sum(counts.values()), "outbox_by_status": counts}


# --- report ----------------------------------------------------------------------------------------------------

def report(results: dict) -> Table:
    table = Table(title=f"outreach benchmark: {results['clients']:,} clients, SQLite, {results['cpus']} CPUs")
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = (
        ("clients planned", f"{results['clients_planned']:,}", "", ""),
        ("messages planned (skipped)", f"{results['messages_planned']:,} ({results['messages_skipped']:,})", "", ""),
        ("messages sent / deferred", f"{results['messages_sent']:,} / {results['messages_deferred']:,}", "", ""),
        ("plan pass", f"{results['plan_s']:.1f} s ({results['plan_s_cpu']:.1f} s CPU), "
                      f"{results['plan_messages_per_s']:,.0f} planned/s", "", ""),
        ("dispatch pass", f"{results['dispatch_s']:.1f} s ({results['dispatch_s_cpu']:.1f} s CPU), "
                          f"{results['dispatch_messages_per_s']:,.0f} sent/s", "", ""),
        ("floor (render + write + 1 insert)", f"{results['floor_s']:.1f} s ({results['floor_s_cpu']:.1f} s CPU), "
                                      f"{results['floor_messages_per_s']:,.0f}/s", "", ""),
        ("peak RSS, whole run (with the floor)", f"{results['peak_rss_whole_run_mb']:,.0f} MB", "", ""),
        ("tick / floor, by CPU seconds", f"{results['tick_over_floor_cpu']:.2f}", "", ""),
        ("load average at the end", f"{os.getloadavg()[0]:.1f}", "", ""),
        ("texts: busiest second", f"{results['texts_busiest_second']} requests",
         f"<= {results['texts_rate_limit']}", "yes" if results["texts_busiest_second"] <= results["texts_rate_limit"] else "NO"),
    )
    for row in rows:
        table.add_row(*row)
    for target in TARGETS:
        value = results[target.key]
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        table.add_row(target.label, shown, f"{'>=' if target.at_least else '<'} {target.limit:g}",
                      "yes" if target.met(results) else "NO")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the full tick here (pstats)")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temporary one)")
    args = parser.parse_args()

    directory = args.keep or Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    results: dict = {"clients": args.clients, "cpus": os.cpu_count(), "now": NOW.isoformat()}
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            ctx = context(directory / "tick")
            seed_clients(ctx, args.clients, bar)
            results.update(full_tick(ctx, bar, args.profile))
            results["peak_rss_mb"] = peak_rss_mb()  # seeding and the tick; the floor below is not the product
            results.update(floor(ctx, directory, bar))
            results.update(idle_tick(ctx, bar))
            results.update(outbox_size(ctx))
            ctx.engine.dispose()
            results.update(texts(directory / "texts", args.texts, bar))
        results["tick_over_floor"] = results["tick_messages_per_s"] / results["floor_messages_per_s"]
        results["tick_over_floor_cpu"] = results["tick_messages_per_cpu_s"] / (
            results["messages_sent"] / results["floor_s_cpu"])
        results["peak_rss_whole_run_mb"] = peak_rss_mb()
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    Console().print(report(results))
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"Results written to {args.json}")


if __name__ == "__main__":
    main()
