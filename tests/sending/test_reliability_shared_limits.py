"""Limits that hold for the whole deployment, not per worker: the provider's sending rate, and each client's
caps, with three worker processes on one PostgreSQL database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from outreach.models import Message
from outreach.sending.pacing import SharedPacer
from tests.fakes.server import Fault, busiest_second
from tests.sending.worker_process import finish, seed_due_messages, start_tick, status_counts, statuses, worker_env

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago: inside every send window
on_postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def run_three_workers(ctx, env: dict[str, str]) -> None:
    ctx.engine.dispose()  # the workers have the database to themselves
    workers = [start_tick(env, NOW) for _ in range(3)]
    for worker in workers:
        finish(worker)


class FakeClock:
    """Time that passes only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacers_sharing_a_database_take_turns_at_the_one_rate(ctx):
    clock = FakeClock()
    workers = [SharedPacer(ctx.engine, "sms", 10, clock=clock.time, sleep=clock.sleep) for _ in range(3)]
    moments = []
    for _ in range(10):
        for pacer in workers:  # three workers asking in turn, as fast as they can
            pacer.acquire()
            moments.append(clock.now)
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]
    assert min(gaps) >= 0.1  # 10 a second between them all, never 10 each
    assert moments[-1] - moments[0] >= 2.9


@on_postgres_only
def test_three_workers_together_never_text_faster_than_the_provider_rate(ctx, twilio_fake):
    rate, count = 10, 60
    seeded = seed_due_messages(ctx, count, NOW)
    run_three_workers(ctx, worker_env(ctx, twilio_fake.url, sms_per_second=rate, batch_size=4))

    assert status_counts(ctx.engine, seeded.ids) == {"sent": count}
    claimers = {row.claimed_by for row in statuses(ctx.engine, seeded.ids).values()}
    assert len(claimers) >= 2, "the workers should have sent side by side"
    assert busiest_second(twilio_fake.accepted) <= rate


@on_postgres_only
def test_three_workers_send_each_client_exactly_its_cap_when_more_is_due(ctx, twilio_fake):
    # Catching up after a two-day outage: texts in flight elsewhere were due before the 24-hour window began.
    # Small batches of slow answers: a client's rows would otherwise be in flight in several workers at once.
    clients, due_each, texts_per_day = 4, 4, 2
    seeded = seed_due_messages(ctx, clients, NOW, per_client=due_each, overdue=timedelta(days=2))
    twilio_fake.add_rule(Fault.delay(1.0))
    env = worker_env(ctx, twilio_fake.url, batch_size=2)
    env.update(OUTREACH_CAPS__TEXTS_PER_DAY=str(texts_per_day), OUTREACH_CAPS__MESSAGES_PER_WEEK="10")
    run_three_workers(ctx, env)

    texts = Counter(request.to for request in twilio_fake.accepted)
    assert texts == {address: texts_per_day for address in set(seeded.addresses.values())}
    assert status_counts(ctx.engine, seeded.ids) == {
        "sent": clients * texts_per_day,
        "planned": clients * (due_each - texts_per_day),
    }
    with ctx.engine.connect() as conn:
        owners = conn.execute(select(Message.client_id, Message.claimed_by).where(Message.id.in_(seeded.ids))).all()
    workers_per_client = Counter(client for client, _ in set(owners))
    assert set(workers_per_client.values()) == {1}, "each client's due rows went to one worker"
    assert len({worker for _, worker in owners}) >= 2, "the workers should have shared the clients"
