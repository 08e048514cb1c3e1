"""Worker processes for the reliability tests: an outbox full of due messages to race over, and real
`outreach tick` subprocesses pointed at a fake Twilio through the environment, as an operator would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, func, insert, select

from outreach.campaigns import Campaign, Catalog, Step
from outreach.context import Context
from outreach.models import Client, ConsentEvent, Message
from outreach.policy.schedule import message_key
from tests.fakes import twilio
from tests.conftest import ROOT

ROOT = ROOT
# Clients live far ahead of any test's clock, so only the seeded messages are due (sending one wakes a client).
ASLEEP_UNTIL = datetime(2100, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Seeded:
    """What seed_due_messages wrote: message id -> recipient address."""

    addresses: dict[int, str]

    @property
    def ids(self) -> list[int]:
        return sorted(self.addresses)


def first_lesson(catalog: Catalog, channel: str) -> tuple[Campaign, Step]:
    """The first step of an education campaign that a new client may get on `channel`."""
    for campaign in catalog.enabled:
        if campaign.stream != "education" or "establishing" not in campaign.audience.phases:
            continue
        for step in campaign.steps:
            if channel in step.channels and (step.phases is None or "establishing" in step.phases):
                return campaign, step
    raise LookupError(f"no education step in the catalog goes by {channel}")


def phone_of(number: int) -> str:
    return f"+1612{2000000 + number:07d}"


def email_of(number: int) -> str:
    return f"client{number}@example.com"


def seed_due_messages(
    ctx: Context,
    count: int,
    now: datetime,
    channel: str = "sms",
    first: int = 0,
    per_client: int = 1,
    overdue: timedelta = timedelta(minutes=1),
    awake: bool = False,
) -> Seeded:
    """`count` consenting clients in Chicago, each with `per_client` planned lessons (cycles "1", "2", …) due
    `overdue` before `now`; the rows go cycle by cycle, so each client's rows lie far apart in the due order.
    `awake` clients are due for planning too (the planner adds a check-in text for each)."""
    campaign, step = first_lesson(ctx.catalog, channel)
    numbers = range(first, first + count)
    clients = [
        {
            "external_id": f"load-{n}",
            "first_name": f"Client{n}",
            "last_name": "Load",
            "email": email_of(n),
            "phone": phone_of(n),
            "timezone": "America/Chicago",
            "status": "active",
            "email_consent": True,
            "sms_consent": True,
            "checkin_channel": "",
            "phone_invalid": False,
            "next_plan_at": now - timedelta(minutes=1) if awake else ASLEEP_UNTIL,
            "created_at": now,
            "updated_at": now,
        }
        for n in numbers
    ]
    with ctx.engine.begin() as conn:
        ids = [
            row.id
            for row in conn.execute(
                insert(Client.__table__).returning(Client.__table__.c.id, sort_by_parameter_order=True), clients
            )
        ]
        conn.execute(
            insert(ConsentEvent.__table__),
            [
                {"client_id": cid, "channel": name, "granted": True, "at": now, "source": "import", "note": ""}
                for cid in ids
                for name in ("email", "sms")
            ],
        )
        rows = [
            {
                "key": message_key(cid, campaign.name, step.key, cycle),
                "client_id": cid,
                "campaign": campaign.name,
                "step": step.key,
                "cycle": cycle,
                "stream": campaign.stream,
                "priority": campaign.rank,
                "channel": channel,
                "to_address": phone_of(n) if channel == "sms" else email_of(n),
                "status": "planned",
                "due_at": now - overdue,
                "reason": "",
                "error_code": "",
                "attempts": 0,
                "is_test": False,
                "created_at": now,
                "updated_at": now,
            }
            for cycle in map(str, range(1, per_client + 1))
            for cid, n in zip(ids, numbers, strict=True)
        ]
        message_ids = [
            row.id
            for row in conn.execute(
                insert(Message.__table__).returning(Message.__table__.c.id, sort_by_parameter_order=True), rows
            )
        ]
    return Seeded({mid: row["to_address"] for mid, row in zip(message_ids, rows, strict=True)})


def statuses(engine: Engine, ids: list[int]) -> dict[int, Message]:
    """The seeded rows as they are now."""
    from sqlmodel import Session

    with Session(engine) as session:
        return {row.id: row for row in session.scalars(select(Message).where(Message.id.in_(ids)))}


def status_counts(engine: Engine, ids: list[int]) -> dict[str, int]:
    with engine.connect() as conn:
        query = select(Message.status, func.count()).where(Message.id.in_(ids)).group_by(Message.status)
        return dict(conn.execute(query).all())


def worker_env(ctx: Context, twilio_url: str, **dispatch: object) -> dict[str, str]:
    """The environment of a worker process texting through the fake Twilio; `dispatch` overrides [dispatch]."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OUTREACH_")}
    env.update(
        {
            "OUTREACH_DATABASE__URL": ctx.settings.database.url,
            "OUTREACH_OUTBOX__DIRECTORY": str(ctx.settings.outbox.directory),
            "OUTREACH_SECRET_KEY": "reliability-tests-signing-key-0123456789",
            "OUTREACH_EMAIL__BACKEND": "null",
            "OUTREACH_SMS__BACKEND": "twilio",
            "OUTREACH_WEB__PUBLIC_URL": "https://clinic.example",  # a real provider needs https
            "OUTREACH_TWILIO__BASE_URL": twilio_url,
            "OUTREACH_TWILIO__ACCOUNT_SID": twilio.ACCOUNT_SID,
            "OUTREACH_TWILIO__MESSAGING_SERVICE_SID": twilio.MESSAGING_SERVICE_SID,
            "TWILIO_AUTH_TOKEN": twilio.AUTH_TOKEN,
            "OUTREACH_DISPATCH__SMS_PER_SECOND": "100000",
            "OUTREACH_WORKER__PROCESSES": "1",  # each is one worker process (sharing has tests of its own)
        }
    )
    env.update({f"OUTREACH_DISPATCH__{name.upper()}": str(value) for name, value in dispatch.items()})
    return env


def start_tick(env: dict[str, str], now: datetime) -> subprocess.Popen:
    """`outreach tick --now NOW` in its own process, run from the project root as an operator would."""
    return subprocess.Popen(
        [sys.executable, "-m", "outreach", "tick", "--now", now.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 240) -> str:
    """Wait for a tick; its summary line, or an AssertionError with what it printed when it failed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"tick exited {process.returncode}:\n{out}\n{err}"
    return out.strip()
