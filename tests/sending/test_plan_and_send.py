"""The plan pass sends what falls due as it plans: once, with every due row of a client in one batch, and never
around a client another worker is claiming; what comes due later is left to the dispatch pass."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from outreach.sending.dispatch import CLAIM_LOCK_SPACE, dispatch_due
from outreach.context import Context
from outreach.models import Client, DeliveryEvent, Message
from outreach.sending.planner import plan_due
from outreach.services import facts
from outreach.sending.worker import plan_and_send
from tests.fakes.server import Fault
from tests.conftest import make_settings
from tests.helpers import add_client, change, messages
from tests.sending.worker_process import finish, seed_due_messages, start_tick, worker_env

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago
on_postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def test_it_sends_what_falls_due_and_leaves_what_comes_due_later(ctx):
    awake = add_client(ctx, "chicago", at=NOW - timedelta(minutes=5))
    asleep = add_client(
        ctx,
        "tokyo",
        at=NOW - timedelta(minutes=5),
        timezone="Asia/Tokyo",  # 03:00 there
        email="ken@example.com",
        phone="+16125550101",
    )

    result = plan_and_send(ctx, NOW)

    sent, later = messages(ctx, client_id=awake), messages(ctx, client_id=asleep)
    assert sent and {m.status for m in sent} == {"sent"} and None not in {m.claimed_by for m in sent}
    assert later and all(m.due_at > NOW for m in later)
    assert {(m.status, m.claimed_by) for m in later} == {("planned", None)}
    assert (result.plan.clients, result.dispatch.sent) == (2, len(sent))
    assert dispatch_due(ctx, NOW).claimed == 0, "nothing is left due for the dispatch pass"


def clinic(ctx, history: bool) -> None:  # noqa: ANN001
    """Three clients due for planning; with `history`, visits and scores behind them (lessons, check-ins, a
    rebook whose follow-up falls due once the nudge has gone), else new (a lesson and a check-in each)."""
    for n in range(3):
        cid = add_client(
            ctx, f"c{n}", at=NOW - timedelta(minutes=5), email=f"c{n}@example.com", phone=f"+1612555010{n}"
        )
        for weeks, pain in ((6, 8), (4, 7), (2, 5 + n)) if history else ():
            change(ctx, cid, facts.record_visit, NOW - timedelta(weeks=weeks), "attended", "desk")
            change(ctx, cid, facts.record_progress, NOW - timedelta(weeks=weeks), pain, "desk")


def outbox_and_wakes(ctx) -> tuple[set, dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(Message.key, Message.status, Message.due_at)).all()
        wakes = dict(conn.execute(select(Client.external_id, Client.next_plan_at)).all())
    return {tuple(row) for row in rows}, wakes


def until_quiet(ctx, one_pass) -> int:  # noqa: ANN001
    """Passes at NOW until one finds nothing to plan or send; the clients planned in all."""
    planned = 0
    for _ in range(10):
        plan, sent = one_pass(ctx)
        planned += plan.clients
        if plan.clients == 0 and sent.claimed == 0:
            return planned
    raise AssertionError("still planning after ten passes at one instant")


def sending_pass(ctx):  # noqa: ANN001, ANN201
    result = plan_and_send(ctx, NOW)
    return result.plan, result.dispatch


@pytest.mark.parametrize("history", [False, True])
def test_its_sends_leave_the_clients_as_planning_sending_and_planning_again_separately_would(ctx, tmp_path, history):
    # The same clinic twice: passes that plan, then send (each send waking its client to be planned again);
    # and passes that send as they plan, planning past their own sends.
    separate = Context(
        make_settings(f"sqlite:///{tmp_path / 'separate.db'}", tmp_path / "separate"),
        campaigns_dir=ctx.campaigns_dir,
        templates_dir=ctx.templates_dir,
    )
    separate.upgrade_schema()
    clinic(separate, history)
    clinic(ctx, history)

    replanning = until_quiet(separate, lambda c: (plan_due(c, NOW), dispatch_due(c, NOW)))
    first = plan_and_send(ctx, NOW)
    planning_ahead = first.plan.clients + until_quiet(ctx, sending_pass)

    assert first.plan.clients == 3 and first.dispatch.sent > 0
    assert outbox_and_wakes(ctx) == outbox_and_wakes(separate)
    # Each client is planned once: what falls due once its messages have gone is planned with them.
    assert planning_ahead == 3 < replanning
    sent = [m.key for m in messages(ctx, status="sent")]
    assert len(sent) == len(set(sent))


def test_a_clients_earlier_due_rows_go_in_the_same_batch_and_the_caps_see_them(ctx):
    seeded = seed_due_messages(ctx, 2, NOW, per_client=3, overdue=timedelta(days=2), awake=True)

    result = plan_and_send(ctx, NOW)

    rows = messages(ctx)
    assert result.dispatch.claimed == len(rows) and None not in {m.claimed_by for m in rows}
    texts_per_client = Counter(m.client_id for m in rows if m.status == "sent" and m.channel == "sms")
    assert set(texts_per_client.values()) == {ctx.settings.caps.texts_per_day}
    earlier = [m for m in rows if m.id in seeded.addresses]
    assert {m.status for m in earlier} == {"planned"} and all(m.due_at > NOW for m in earlier)
    assert all(m.reason.startswith("Capped") for m in earlier)


def test_what_the_caps_hold_back_is_written_deferred_with_its_event_and_never_claimed(ctx):
    ctx.settings.caps.__dict__["messages_per_week"] = 1
    cid = add_client(ctx, "chicago", at=NOW - timedelta(minutes=5))  # a check-in text and a lesson fall due

    result = plan_and_send(ctx, NOW)

    [sent] = messages(ctx, client_id=cid, status="sent")
    [held] = messages(ctx, client_id=cid, status="planned")
    assert result.dispatch.claimed == result.dispatch.sent == 1 and result.plan.deferred == 1
    assert (held.claimed_by, held.attempts) == (None, 0) and held.due_at > NOW and held.reason.startswith("Capped")
    with ctx.engine.connect() as conn:
        events = conn.execute(select(DeliveryEvent.event, DeliveryEvent.detail, DeliveryEvent.message_id)).all()
    assert [tuple(e) for e in events] == [("deferred", held.reason, held.id)]
    assert dispatch_due(ctx, held.due_at).sent == 1


@on_postgres_only
def test_it_writes_a_client_another_worker_is_claiming_as_planned_and_sends_the_rest(ctx):
    busy, free = (
        add_client(ctx, f"c{n}", at=NOW - timedelta(minutes=5), email=f"c{n}@example.com", phone=f"+1612555010{n}")
        for n in range(2)
    )
    with ctx.engine.connect() as other:  # another worker, part way through a claim of `busy`
        other.execute(text("SELECT pg_advisory_lock(:space, :id)"), {"space": CLAIM_LOCK_SPACE, "id": busy})
        result = plan_and_send(ctx, NOW)
        other.execute(text("SELECT pg_advisory_unlock(:space, :id)"), {"space": CLAIM_LOCK_SPACE, "id": busy})

    assert result.plan.clients == 2
    assert {(m.status, m.claimed_by) for m in messages(ctx, client_id=busy)} == {("planned", None)}
    assert {m.status for m in messages(ctx, client_id=free)} == {"sent"}
    later = dispatch_due(ctx, NOW)
    assert later.sent == len(messages(ctx, client_id=busy)) and {m.status for m in messages(ctx)} == {"sent"}


@on_postgres_only
def test_three_workers_planning_at_once_send_each_client_exactly_its_cap(ctx, twilio_fake):
    # Clients due for planning, each with texts overdue from an outage: the planner adds a check-in text, and
    # three `outreach tick` processes plan and send side by side, two clients to a batch, answers slow.
    clients, due_each, texts_per_day = 6, 3, 2
    seeded = seed_due_messages(ctx, clients, NOW, per_client=due_each, overdue=timedelta(days=2), awake=True)
    twilio_fake.add_rule(Fault.delay(0.5))
    env = worker_env(ctx, twilio_fake.url, batch_size=2)
    env.update(OUTREACH_CAPS__TEXTS_PER_DAY=str(texts_per_day), OUTREACH_CAPS__MESSAGES_PER_WEEK="10")
    ctx.engine.dispose()
    workers = [start_tick(env, NOW) for _ in range(3)]
    for worker in workers:
        finish(worker)

    texts = Counter(request.to for request in twilio_fake.accepted)
    assert texts == {address: texts_per_day for address in set(seeded.addresses.values())}
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(Message.key, Message.status, Message.claimed_by, Message.channel)).all()
    sent = [row.key for row in rows if row.status == "sent" and row.channel == "sms"]
    assert len(sent) == len(set(sent)) == len(twilio_fake.accepted)
    assert len({row.claimed_by for row in rows if row.status == "sent"}) >= 2, "the workers should share the clients"
