"""A worker killed with SIGKILL in the middle of a batch: nothing is lost and nothing is sent twice silently.
What the dead worker had in flight is marked unknown, with a reason, for the front desk to check."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, update

from outreach.channels.outbox import NullTransport
from outreach.sending.dispatch import dispatch_due
from outreach.models import Message
from outreach.policy.schedule import message_key
from tests.sending.worker_process import (
    finish,
    first_lesson,
    seed_due_messages,
    start_tick,
    status_counts,
    statuses,
    worker_env,
)

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll a real process's progress (there is no frozen clock to advance for another process)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.02)


def in_flight(fake) -> int:
    return sum(1 for request in fake.requests if not request.outcome)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(ctx, twilio_fake):
    seeded = seed_due_messages(ctx, 200, NOW)
    twilio_fake.latency = 0.2  # slow answers, so the kill lands with texts in flight
    env = worker_env(ctx, twilio_fake.url, batch_size=50)
    worker = start_tick(env, NOW)
    wait_for(lambda: len(twilio_fake.accepted) >= 50 and in_flight(twilio_fake) > 0)

    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    twilio_fake.wait_idle()
    twilio_fake.latency = 0
    stuck = status_counts(ctx.engine, seeded.ids).get("sending", 0)
    after_timeout = NOW + timedelta(seconds=ctx.settings.dispatch.sending_timeout_seconds + 1)
    finish(start_tick(env, after_timeout))

    rows = statuses(ctx.engine, seeded.ids)
    counts = Counter(row.status for row in rows.values())
    # Only what the dead worker had claimed is unknown; the restart sent everything else.
    assert set(counts) == {"sent", "unknown"} and counts["unknown"] == stuck > 0
    accepted = Counter(request.to for request in twilio_fake.accepted)
    assert max(accepted.values()) == 1, "a text went out twice"
    sids = {request.to: request.answer["sid"] for request in twilio_fake.accepted}
    for mid, address in seeded.addresses.items():
        row = rows[mid]
        if row.status == "sent":
            assert row.provider_id == sids[address]
        else:
            assert row.reason.startswith("Outcome unknown: the worker stopped while sending")
    unknown_but_delivered = [
        mid for mid, row in rows.items() if row.status == "unknown" and seeded.addresses[mid] in sids
    ]
    assert unknown_but_delivered, "the kill should have caught texts the provider went on to accept"


def test_a_text_that_may_have_gone_out_still_counts_toward_the_daily_cap(ctx):
    an_hour_ago = NOW - timedelta(hours=1)
    (maybe_sent,) = seed_due_messages(ctx, 1, an_hour_ago).ids
    campaign, first = first_lesson(ctx.catalog, "sms")
    second = next(step for step in campaign.steps if step != first and "sms" in step.channels)
    with ctx.engine.begin() as conn:
        row = conn.execute(select(Message.__table__).where(Message.id == maybe_sent)).mappings().one()
        conn.execute(
            update(Message)
            .where(Message.id == maybe_sent)
            .values(status="unknown", claimed_at=an_hour_ago, attempts=1, reason="Outcome unknown: the worker stopped")
        )
        conn.execute(
            insert(Message.__table__),
            {
                **{name: value for name, value in row.items() if name != "id"},
                "key": message_key(row["client_id"], campaign.name, second.key, "1"),
                "step": second.key,
                "due_at": NOW,
            },
        )

    result = dispatch_due(ctx, NOW, {"sms": NullTransport("sms"), "email": NullTransport("email")})

    assert (result.sent, result.deferred) == (0, 1)
