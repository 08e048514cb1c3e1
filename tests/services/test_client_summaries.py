"""A client's summary columns (phase, last and next visit) follow a change at once: facts.wake marks the client,
and a session set to refresh_on_commit writes the planner's summary before it commits."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from outreach.models import Client
from outreach.services import facts
from outreach.services.clients import refresh_on_commit
from tests.conftest import utc
from tests.helpers import add_client, load

NOW = utc(2026, 3, 2, 15, 0)


def record(ctx, client_id: int, refresh: bool, action, *args, **kwargs) -> None:  # noqa: ANN001
    with Session(ctx.engine, expire_on_commit=False) as session:
        if refresh:
            refresh_on_commit(session, ctx.settings)
        action(session, session.get(Client, client_id), *args, **kwargs)
        session.commit()


def test_a_visit_and_a_score_refresh_the_summary_in_the_same_commit(ctx):
    ann = add_client(ctx, at=NOW - timedelta(days=30))

    record(ctx, ann, True, facts.record_visit, NOW - timedelta(days=7), "attended", "test", at=NOW)
    record(ctx, ann, True, facts.record_visit, NOW + timedelta(days=3), "booked", "test", at=NOW)
    for weeks, pain in ((3, 8), (2, 5), (1, 5)):
        record(ctx, ann, True, facts.record_progress, NOW - timedelta(weeks=weeks), pain, "test", at=NOW)
    client = load(ctx, Client, ann)

    assert client.last_visit_at == NOW - timedelta(days=7)
    assert client.next_visit_at == NOW + timedelta(days=3)
    assert client.phase == "tapering"
    assert client.next_plan_at == facts.ASAP  # the planner still looks at the client next pass


def test_lapsed_and_worsening_since_are_the_moment_of_the_change(ctx):
    ann = add_client(ctx, "c1", at=NOW - timedelta(days=200))
    bo = add_client(ctx, "c2", at=NOW - timedelta(days=200))

    record(ctx, ann, True, facts.record_visit, NOW - timedelta(days=90), "attended", "test", at=NOW)
    for weeks, pain in ((4, 8), (3, 4), (2, 4), (1, 8), (0, 8)):
        record(ctx, bo, True, facts.record_progress, NOW - timedelta(weeks=weeks), pain, "test", at=NOW)

    assert (load(ctx, Client, ann).phase, load(ctx, Client, ann).lapsed_since) == ("lapsed", NOW)
    assert load(ctx, Client, bo).worsening_since == NOW


def test_a_status_change_and_a_rolled_back_change_refresh_nothing_wrongly(ctx):
    ann = add_client(ctx, at=NOW - timedelta(days=30))
    with Session(ctx.engine, expire_on_commit=False) as session:
        refresh_on_commit(session, ctx.settings)
        facts.record_visit(session, session.get(Client, ann), NOW + timedelta(days=1), "booked", "test", at=NOW)
        session.rollback()
        session.commit()

    assert load(ctx, Client, ann).next_visit_at is None


def test_a_session_not_set_to_refresh_leaves_the_summary_to_the_planner(ctx):
    ann = add_client(ctx, at=NOW - timedelta(days=30))

    record(ctx, ann, False, facts.record_visit, NOW + timedelta(days=3), "booked", "test", at=NOW)

    assert load(ctx, Client, ann).next_visit_at is None
