"""How fast the delivery log is with a million messages: seed a SQLite file with Core executemany, then time the
home page, filtered pages, a deep page, the status page and a CSV export through FastAPI's TestClient.

    .venv/bin/python benchmarks/log_page.py [--rows 1000000] [--path var/bench/log_page.db] [--reuse]
                                            [--with-indexes] [--repeat 15] [--explain]

--with-indexes adds the indexes proposed for the migration (PROPOSED_INDEXES) before timing, to compare.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from outreach.context import Context
from outreach.models import Client, Message, StaffUser
from outreach.services.delivery_log import LogFilter, log_page, log_query
from outreach.settings import Settings
from outreach.web.app import create_app

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=730)
CLIENTS = 5000
BATCH = 50_000
PASSWORD = "benchmark passphrase"
STATUSES = (
    ("delivered", 70),
    ("sent", 10),
    ("skipped", 8),
    ("planned", 5),
    ("failed", 4),
    ("bounced", 2.7),
    ("unknown", 0.2),
    ("sending", 0.1),
)
CAMPAIGNS = (
    ("education", "pain-cycle"),
    ("education", "circulation"),
    ("rebook", "nudge"),
    ("rebook", "follow-up"),
    ("checkin", "pain-checkin"),
    ("reminder", "day-before"),
)
REASONS = {
    "failed": "Number opted out of texts (21610)",
    "bounced": "Mailbox does not exist (550)",
    "skipped": "No SMS consent",
    "unknown": "Timed out after sending: not resent",
    "planned": "Deferred: quiet hours in America/Denver until 08:00",
}
PROPOSED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_message_status_created ON message (status, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_message_campaign_created ON message (campaign, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_message_client_created ON message (client_id, created_at)",
)


def seed(ctx: Context, rows: int) -> None:
    rng = random.Random(11)
    start = NOW - SPAN
    with ctx.engine.begin() as conn:
        conn.execute(
            insert(Client.__table__),
            [
                {
                    "external_id": f"C{n:05d}",
                    "first_name": rng.choice(("Ana", "Ben", "Chloe", "Dev", "Elif")),
                    "last_name": f"Family{n}",
                    "email": f"client{n}@example.com",
                    "phone": f"+1612555{n:04d}",
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
                for n in range(CLIENTS)
            ],
        )
    statuses, weights = zip(*STATUSES, strict=True)
    step = SPAN / rows
    for first in range(0, rows, BATCH):
        batch = []
        for n in range(first, min(first + BATCH, rows)):
            created = start + step * n
            status = rng.choices(statuses, weights)[0]
            campaign, step_key = rng.choice(CAMPAIGNS)
            channel = "sms" if rng.random() < 0.4 else "email"
            batch.append(
                {
                    "key": f"m{n}",
                    "client_id": rng.randrange(1, CLIENTS + 1),
                    "campaign": campaign,
                    "step": step_key,
                    "cycle": str(n),
                    "stream": campaign,
                    "priority": 50,
                    "channel": channel,
                    "to_address": "+16125550100" if channel == "sms" else "client@example.com",
                    "status": status,
                    "due_at": created,
                    "reason": REASONS.get(status, ""),
                    "error_code": "",
                    "attempts": 1,
                    "sent_at": created if status in ("sent", "delivered", "bounced") else None,
                    "is_test": False,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        with ctx.engine.begin() as conn:
            conn.execute(insert(Message.__table__), batch)
        print(f"  seeded {min(first + BATCH, rows):,} messages", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def signed_in(ctx: Context) -> TestClient:
    if _count(ctx, "staff_user") == 0:
        with Session(ctx.engine) as session:
            session.add(StaffUser(username="bench", role="admin", password_hash=PasswordHasher().hash(PASSWORD)))
            session.commit()
    app = create_app(ctx)
    app.state.clock = lambda: NOW
    client = TestClient(app, base_url="http://127.0.0.1")
    login = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    response = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def pages(ctx: Context) -> dict[str, str]:
    zone = ZoneInfo(ctx.settings.clinic.timezone)
    with Session(ctx.engine) as session:
        cursor = None
        for _ in range(200):  # 200 pages in: 10,000 rows back
            cursor = log_page(session, LogFilter(), zone, before=cursor).older
        one_client = session.get(Client, 1234).last_name
    last_month = (NOW - timedelta(days=30)).astimezone(zone).date()
    return {
        "home": "/",
        "status=failed": "/?status=failed",
        "status=unknown (rare)": "/?status=unknown",
        "channel=sms & campaign=rebook": "/?channel=sms&campaign=rebook",
        "date range (a week, a year ago)": "/?from=2025-03-01&to=2025-03-07",
        "client search (one client)": f"/?client={one_client}",
        "client search (phone digits)": "/?client=6125551234",
        "page 201 (keyset)": f"/?before={cursor.encode()}",
        "status page": "/status",
        f"CSV export: failed since {last_month}": f"/export.csv?status=failed&from={last_month}",
    }


def time_page(client: TestClient, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm the page cache and the template
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[math.ceil(len(samples) * 0.9) - 1], len(response.content)


def explain(ctx: Context) -> None:
    zone = ZoneInfo(ctx.settings.clinic.timezone)
    for params in ({}, {"status": "unknown"}, {"campaign": "rebook", "channel": "sms"}, {"client": "Family1234"}):
        query = (
            log_query(LogFilter.parse(params), zone).order_by(Message.created_at.desc(), Message.id.desc()).limit(51)
        )
        compiled = query.compile(ctx.engine, compile_kwargs={"literal_binds": True})
        with ctx.engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
        print(f"{params or 'no filter'}:\n  " + "\n  ".join(row[-1] for row in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--path", type=Path, default=Path("var/bench/log_page.db"))
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded file")
    parser.add_argument("--with-indexes", action="store_true", help="add PROPOSED_INDEXES first")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print SQLite's query plans")
    args = parser.parse_args()

    ctx = bench_file(args.path, args.reuse)
    existing = _count(ctx, "message")
    if existing == 0:
        started = time.perf_counter()
        seed(ctx, args.rows)
        print(f"seeded {args.rows:,} messages in {time.perf_counter() - started:.0f} s")
    with ctx.engine.begin() as conn:
        if args.with_indexes:
            for statement in PROPOSED_INDEXES:
                conn.exec_driver_sql(statement)
        else:
            for statement in PROPOSED_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {statement.split()[5]}")
    if args.explain:
        explain(ctx)
    client = signed_in(ctx)
    print(
        f"{existing or args.rows:,} messages, {'with' if args.with_indexes else 'without'} the proposed indexes; "
        f"median and p90 of {args.repeat} requests"
    )
    for label, path in pages(ctx).items():
        median, p90, size = time_page(client, path, args.repeat)
        print(f"  {label:<40} {median * 1000:8.1f} ms  p90 {p90 * 1000:8.1f} ms  {size / 1024:7.1f} KiB")


def bench_file(path: Path, reuse: bool) -> Context:
    """A context on the SQLite file at `path`, migrated; emptied first unless `reuse` (an already seeded file)."""
    if not reuse and path.exists():
        path.unlink()
    ctx = Context(Settings(database={"url": f"sqlite:///{path}"}, outbox={"directory": str(path.parent / "outbox")}))
    ctx.upgrade_schema()
    return ctx


def _count(ctx: Context, table: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


if __name__ == "__main__":
    main()
