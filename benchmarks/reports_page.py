"""How fast the reports page is over a large history: seed a SQLite file (messages, clients, visits, provider
events, replies, held-out occasions) with Core executemany, build the rollup once, then time /reports through
FastAPI's TestClient: warm, after a dispatch-sized change (the incremental refresh), and over a whole year.

    .venv/bin/python benchmarks/reports_page.py [--messages 1000000] [--clients 100000]
                                                [--path var/bench/reports.db] [--reuse] [--repeat 15] [--care]

--care also times /care once cold (it reads every client's history) and then warm (served from its cache).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from log_page import _count, bench_file, signed_in  # noqa: E402  (the log benchmark's sign-in and file)

from outreach.context import Context  # noqa: E402
from outreach.models import (
    Client,
    DeliveryEvent,
    HeldOutOccasion,
    InboundMessage,
    Message,  # noqa: E402
    ProgressEntry,
    Visit,
)
from outreach.services import rollup  # noqa: E402

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=365)
BATCH = 50_000
STEPS = (
    ("education", "pain-cycle", "email"),
    ("education", "circulation", "email"),
    ("rebook", "nudge", "sms"),
    ("rebook", "follow-up", "sms"),
    ("checkin", "pain-checkin", "sms"),
    ("reminder", "day-before", "sms"),
)
STATUSES = (("delivered", 70), ("sent", 10), ("skipped", 8), ("planned", 5), ("failed", 4), ("bounced", 2.7))
REASONS = {
    "skipped": ("No SMS consent", "Capped: 3 messages in 7 days", "No longer needed: a visit is booked"),
    "failed": ("Twilio undelivered: 30003",),
    "bounced": ("bounce: 550",),
}


def seed(ctx: Context, messages: int, clients: int) -> None:
    rng = random.Random(13)
    start = NOW - SPAN
    _insert(
        ctx,
        Client,
        (
            {
                "external_id": f"C{n:06d}",
                "first_name": "Client",
                "last_name": f"Family{n}",
                "email": f"c{n}@example.com",
                "phone": f"+1612{n:07d}",
                "timezone": "America/Chicago",
                "status": "active",
                "email_consent": True,
                "sms_consent": True,
                "reminders_opt_out": False,
                "phone_invalid": False,
                "next_plan_at": NOW,
                "created_at": start,
                "updated_at": start,
            }
            for n in range(clients)
        ),
    )
    _insert(ctx, Message, _messages(rng, messages, clients, start))
    _insert(
        ctx,
        Visit,
        (
            {
                "client_id": 1 + n % clients,
                "starts_at": start + SPAN * rng.random(),
                "status": rng.choice(("attended", "attended", "attended", "booked", "cancelled")),
                "source": "bench",
                "created_at": start,
                "updated_at": start,
            }
            for n in range(messages // 2)
        ),
        unique=True,
    )
    _insert(
        ctx,
        ProgressEntry,
        (
            {
                "client_id": 1 + n % clients,
                "recorded_at": start + timedelta(days=7 * (n // clients)),
                "pain": rng.randint(2, 8),
                "source": "bench",
            }
            for n in range(clients * 4)
        ),
    )
    _insert(
        ctx,
        DeliveryEvent,
        (
            {
                "message_id": rng.randrange(1, messages + 1),
                "provider": "sendgrid",
                "provider_event_id": f"ev{n}",
                "event": rng.choice(("open", "open", "click")),
                "at": NOW,
                "detail": "",
                "payload": {},
            }
            for n in range(messages // 10)
        ),
    )
    _insert(
        ctx,
        InboundMessage,
        (
            {
                "provider_id": f"in{n}",
                "client_id": 1 + n % clients,
                "from_address": "+1",
                "body": "ok",
                "handled_as": rng.choice(("other", "progress", "stop")),
                "received_at": start + SPAN * rng.random(),
                "replied": False,
            }
            for n in range(messages // 100)
        ),
    )
    _insert(
        ctx,
        HeldOutOccasion,
        (
            {
                "client_id": 1 + n * 10 % clients,
                "campaign": "rebook",
                "step": "nudge",
                "cycle": str(n),
                "due_at": start + SPAN * rng.random(),
                "created_at": start,
            }
            for n in range(messages // 60)
        ),
    )


def _messages(rng: random.Random, count: int, clients: int, start: datetime):  # noqa: ANN202
    statuses, weights = zip(*STATUSES, strict=True)
    for n in range(count):
        created = start + SPAN * n / count
        campaign, step, channel = rng.choice(STEPS)
        status = rng.choices(statuses, weights)[0]
        yield {
            "key": f"m{n}",
            "client_id": rng.randrange(1, clients + 1),
            "campaign": campaign,
            "step": step,
            "cycle": str(n),
            "stream": campaign,
            "priority": 50,
            "channel": channel,
            "to_address": "+16125550100" if channel == "sms" else "c@example.com",
            "status": status,
            "due_at": created,
            "reason": rng.choice(REASONS.get(status, ("",))),
            "error_code": "",
            "attempts": 1,
            "sent_at": created if status in ("sent", "delivered", "bounced") else None,
            "is_test": False,
            "created_at": created,
            "updated_at": created,
        }


def _insert(ctx: Context, model, rows, unique: bool = False) -> None:  # noqa: ANN001
    table = model.__table__
    statement = insert(table).prefix_with("OR IGNORE") if unique else insert(table)
    batch, total = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            total += _flush(ctx, statement, batch)
    _flush(ctx, statement, batch)
    print(f"  seeded {table.name}", file=sys.stderr)


def _flush(ctx: Context, statement, batch: list) -> int:  # noqa: ANN001
    if batch:
        with ctx.engine.begin() as conn:
            conn.execute(statement, batch)
    count = len(batch)
    batch.clear()
    return count


def time_page(client, path: str, repeat: int) -> tuple[float, float, float]:  # noqa: ANN001
    """Median wall time, median CPU time of this process (the app runs in it: on a busy machine the fairer
    figure), and p90 wall time."""
    client.get(path)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        assert client.get(path).status_code == 200, path
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    return statistics.median(walls), statistics.median(cpus), walls[math.ceil(len(walls) * 0.9) - 1]


def touch_a_batch(ctx: Context, at: datetime, size: int = 500) -> None:
    """What one dispatch pass does: a batch of recent messages moves on."""
    with ctx.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE message SET status = 'delivered', updated_at = :at WHERE id IN "
                "(SELECT id FROM message ORDER BY created_at DESC LIMIT :size)"
            ),
            {"at": at.replace(tzinfo=None).isoformat(sep=" "), "size": size},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--path", type=Path, default=Path("var/bench/reports.db"))
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded file")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--care", action="store_true", help="also time /care, cold then warm")
    args = parser.parse_args()

    ctx = bench_file(args.path, args.reuse)
    if _count(ctx, "message") == 0:
        started = time.perf_counter()
        seed(ctx, args.messages, args.clients)
        print(
            f"seeded {args.messages:,} messages and {args.clients:,} clients in {time.perf_counter() - started:.0f} s"
        )
    started = time.perf_counter()
    with Session(ctx.engine) as session:
        days = rollup.refresh(session, ctx.settings)
    print(
        f"rollup: {days} days built in {time.perf_counter() - started:.1f} s "
        f"({_count(ctx, 'report_day'):,} rows in report_day)"
    )
    client = signed_in(ctx)
    print(
        f"{_count(ctx, 'message'):,} messages, {_count(ctx, 'client'):,} clients; {args.repeat} requests each: "
        "median wall time, median CPU time, p90 wall time"
    )
    year = f"/reports?from={(NOW - SPAN).date()}&to={NOW.date()}"
    for label, path in (
        ("/reports (last 12 weeks)", "/reports"),
        ("/reports (a whole year)", year),
        ("/reports/steps.csv (a year)", year.replace("/reports?", "/reports/steps.csv?")),
    ):
        wall, cpu, p90 = time_page(client, path, args.repeat)
        print(f"  {label:<40} {wall * 1000:8.1f} ms  cpu {cpu * 1000:8.1f} ms  p90 {p90 * 1000:8.1f} ms")
    walls, cpus = [], []
    for minute in range(1, 6):
        touch_a_batch(ctx, NOW + timedelta(minutes=minute))
        wall, cpu = time.perf_counter(), time.process_time()
        assert client.get("/reports").status_code == 200
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"  {'/reports after a 500-message batch':<40} {statistics.median(walls) * 1000:8.1f} ms  "
        f"cpu {statistics.median(cpus) * 1000:8.1f} ms"
    )
    if args.care:
        with ctx.engine.begin() as conn:  # cold means cold, even with --reuse
            conn.execute(text("DELETE FROM report_state WHERE key LIKE 'care:%'"))
        for label in ("cold", "warm"):
            wall, cpu = time.perf_counter(), time.process_time()
            assert client.get("/care").status_code == 200
            print(
                f"  {'/care (' + label + ')':<40} {(time.perf_counter() - wall) * 1000:8.1f} ms  "
                f"cpu {(time.process_time() - cpu) * 1000:8.1f} ms"
            )


if __name__ == "__main__":
    main()
