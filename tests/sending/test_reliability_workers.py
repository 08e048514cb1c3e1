"""Several dispatchers on one database: every due message is claimed by exactly one of them and sent once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select, text

from outreach.channels.outbox import NullTransport
from outreach.channels.twilio import TwilioSms
from outreach.sending.dispatch import claim, dispatch_due
from outreach.models import WorkerRun
from outreach.settings import Secrets
from tests.fakes import twilio
from tests.sending.worker_process import finish, seed_due_messages, start_tick, status_counts, statuses, worker_env

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago: inside every send window
on_postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def twilio_transports(ctx, url: str) -> dict:
    settings = ctx.settings.model_copy(
        update={
            "sms": ctx.settings.sms.model_copy(update={"backend": "twilio"}),
            "twilio": ctx.settings.twilio.model_copy(
                update={
                    "account_sid": twilio.ACCOUNT_SID,
                    "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
                    "base_url": url,
                }
            ),
        }
    )
    return {"sms": TwilioSms(settings, Secrets(twilio_auth_token=twilio.AUTH_TOKEN)), "email": NullTransport("email")}


def fast(ctx, **dispatch):
    """The context with [dispatch] overridden (no pacing to speak of, unless asked)."""
    values = {"sms_per_second": 100000, **dispatch}
    ctx.settings = ctx.settings.model_copy(update={"dispatch": ctx.settings.dispatch.model_copy(update=values)})
    return ctx


def sent_once_each(fake, seeded, rows) -> None:
    """Each seeded text reached the fake exactly once, and its row holds that request's sid."""
    accepted = Counter(request.to for request in fake.accepted)
    assert {address: accepted[address] for address in seeded.addresses.values()} == {
        address: 1 for address in seeded.addresses.values()
    }
    assert max(accepted.values()) == 1
    sids = {request.to: request.answer["sid"] for request in fake.accepted}
    assert all(rows[mid].provider_id == sids[address] for mid, address in seeded.addresses.items())
    assert fake.violations == []


def test_it_locks_due_rows_with_skip_locked_on_postgresql_then_marks_exactly_those(ctx):
    seeded = seed_due_messages(ctx, 3, NOW)
    statements = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    assert claim(ctx, NOW, "w1", 10) == seeded.ids

    (select_due,) = [s for s in statements if s.lstrip().upper().startswith("SELECT MESSAGE.ID")]
    (update,) = [s for s in statements if s.lstrip().upper().startswith("UPDATE MESSAGE")]
    assert ("FOR UPDATE SKIP LOCKED" in select_due) == (ctx.engine.dialect.name == "postgresql")
    assert "WHERE message.id IN (" in update and "SELECT" not in update  # the ids locked, nothing re-evaluated


@on_postgres_only
def test_it_skips_rows_another_transaction_holds_instead_of_waiting(ctx):
    seeded = seed_due_messages(ctx, 20, NOW)
    held = seeded.ids[:5]
    claimed: list[int] = []
    with ctx.engine.connect() as other:
        other.execute(text("SELECT id FROM message WHERE id = ANY(:ids) FOR UPDATE"), {"ids": held})
        claimer = threading.Thread(target=lambda: claimed.extend(claim(ctx, NOW, "w1", 10)))
        claimer.start()
        claimer.join(timeout=10)
        finished_while_locked = not claimer.is_alive()
        other.rollback()
    claimer.join()
    assert finished_while_locked
    assert claimed and set(claimed).isdisjoint(held)


def test_a_claim_never_takes_more_than_the_batch_size(ctx):
    seeded = seed_due_messages(ctx, 20, NOW)

    first, second = claim(ctx, NOW, "w1", 10), claim(ctx, NOW, "w2", 10)

    assert (first, second) == (seeded.ids[:10], seeded.ids[10:])


def test_two_threads_dispatching_together_send_each_message_once(ctx, twilio_fake):
    fast(ctx, batch_size=25, concurrency=4)
    seeded = seed_due_messages(ctx, 400, NOW)
    start = threading.Barrier(2)
    results, errors = {}, []

    def dispatcher(name: str) -> None:
        transports = twilio_transports(ctx, twilio_fake.url)
        start.wait()
        try:
            results[name] = dispatch_due(ctx, NOW, transports, worker=name)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            transports["sms"].close()

    threads = [threading.Thread(target=dispatcher, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result.sent for result in results.values()) == 400
    assert all(result.sent > 0 for result in results.values()), "both dispatchers should have taken a share"
    assert status_counts(ctx.engine, seeded.ids) == {"sent": 400}
    sent_once_each(twilio_fake, seeded, statuses(ctx.engine, seeded.ids))


@pytest.mark.slow
def test_three_worker_processes_send_each_due_text_exactly_once(ctx, twilio_fake):
    # 5,000 on PostgreSQL, the several-workers database; fewer on SQLite, where one worker is the norm.
    count = 5000 if ctx.engine.dialect.name == "postgresql" else 1500
    seeded = seed_due_messages(ctx, count, NOW)
    env = worker_env(ctx, twilio_fake.url, batch_size=100)
    ctx.engine.dispose()  # the workers have the database to themselves

    workers = [start_tick(env, NOW) for _ in range(3)]
    for worker in workers:
        finish(worker)

    with ctx.engine.connect() as conn:
        runs = conn.execute(select(WorkerRun.worker, WorkerRun.counts).where(WorkerRun.kind == "dispatch")).all()
    assert len(runs) == 3 and sum(counts["sent"] for _, counts in runs) == count
    assert status_counts(ctx.engine, seeded.ids) == {"sent": count}
    rows = statuses(ctx.engine, seeded.ids)
    assert len({row.claimed_by for row in rows.values()}) == 3, "all three workers should have taken a share"
    assert all(row.attempts == 1 for row in rows.values())
    sent_once_each(twilio_fake, seeded, rows)
