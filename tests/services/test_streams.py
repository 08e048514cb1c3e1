"""Stream choices beside consent (each recorded with its time and source, the latest of a pair holds) and the
client's own pause (what it pushed back comes forward when it ends early)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.models import AuditEntry, Client, Message, MessageStatus, StreamChoice
from outreach.policy.consent import PAUSED_PREFIX
from outreach.services.streams import choose_stream, pause, streams_off
from tests.conftest import utc
from tests.helpers import add_client, load

NOW = utc(2026, 3, 2, 15, 0)


def choose(ctx, client_id: int, stream: str, channel: str, enabled: bool, at=NOW, source: str = "test") -> bool:  # noqa: ANN001
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        changed = choose_stream(session, client, stream, channel, enabled, source, "client", at)
        session.commit()
        return changed


def off(ctx, client_id: int) -> frozenset:
    with Session(ctx.engine) as session:
        return streams_off(session, [client_id]).get(client_id, frozenset())


def history(ctx) -> list[tuple]:
    with Session(ctx.engine) as session:
        rows = session.exec(select(StreamChoice).order_by(StreamChoice.id))
        return [(c.stream, c.channel, c.enabled, c.at, c.source) for c in rows]


def load_audit(ctx) -> list[AuditEntry]:
    with Session(ctx.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def test_each_choice_is_kept_with_its_time_and_source_and_the_latest_of_a_pair_holds(ctx):
    ann = add_client(ctx, at=NOW)
    later = NOW + timedelta(days=3)

    assert choose(ctx, ann, "education", "email", False, source="unsubscribe-link")
    assert choose(ctx, ann, "rebook", "sms", False, source="preferences-page")
    assert choose(ctx, ann, "education", "email", True, at=later, source="preferences-page")

    assert off(ctx, ann) == {("rebook", "sms")}
    assert history(ctx) == [
        ("education", "email", False, NOW, "unsubscribe-link"),
        ("rebook", "sms", False, NOW, "preferences-page"),
        ("education", "email", True, later, "preferences-page"),
    ]
    details = [e.detail for e in load_audit(ctx) if e.action.startswith("stream.")]
    assert details == [
        "education by email via unsubscribe-link",
        "rebook by sms via preferences-page",
        "education by email via preferences-page",
    ]


def test_a_choice_that_changes_nothing_is_not_recorded(ctx):
    ann = add_client(ctx, at=NOW)

    assert not choose(ctx, ann, "reminder", "email", True)  # on until turned off
    assert choose(ctx, ann, "reminder", "email", False)
    assert not choose(ctx, ann, "reminder", "email", False)

    assert len(history(ctx)) == 1


def test_a_choice_is_one_clients_alone(ctx):
    ann, bo = add_client(ctx, "c1", at=NOW), add_client(ctx, "c2", at=NOW, email="bo@example.com")

    choose(ctx, ann, "checkin", "sms", False)

    assert off(ctx, ann) == {("checkin", "sms")} and off(ctx, bo) == frozenset()


def test_only_a_stream_a_client_can_choose_is_accepted(ctx):
    ann = add_client(ctx, at=NOW)

    with pytest.raises(ValueError, match="stream: 'reply' is not one of"):
        choose(ctx, ann, "reply", "sms", False)
    assert history(ctx) == []


def test_a_choice_wakes_the_client_to_be_planned_again(ctx):
    ann = add_client(ctx, at=NOW + timedelta(days=30))

    choose(ctx, ann, "education", "email", False)

    assert load(ctx, Client, ann).next_plan_at < NOW


def paused_row(ctx, client_id: int, due_at, reason: str = f"{PAUSED_PREFIX} until 2026-03-30") -> int:  # noqa: ANN001
    with Session(ctx.engine) as session:
        row = Message(
            key=f"{client_id}:education:pain-cycle:{due_at:%Y%m%d}",
            client_id=client_id,
            campaign="education",
            step="pain-cycle",
            cycle="1",
            stream="education",
            channel="email",
            to_address="ann@example.com",
            status=MessageStatus.planned,
            due_at=due_at,
            reason=reason,
        )
        session.add(row)
        session.commit()
        return row.id


def set_pause(ctx, client_id: int, until, at=NOW) -> None:  # noqa: ANN001
    with Session(ctx.engine) as session:
        pause(session, session.get(Client, client_id), until, "preferences-page", "client", at)
        session.commit()


def test_a_pause_is_recorded_on_the_client_and_audited(ctx):
    ann = add_client(ctx, at=NOW)
    until = NOW + timedelta(weeks=4)

    set_pause(ctx, ann, until)

    assert load(ctx, Client, ann).paused_until == until
    assert [(e.action, e.detail) for e in load_audit(ctx) if e.action.startswith("client.")] == [
        ("client.pause", "paused until 2026-03-30 via preferences-page")
    ]


def test_resuming_brings_forward_what_the_pause_pushed_back(ctx):
    ann = add_client(ctx, at=NOW)
    set_pause(ctx, ann, NOW + timedelta(weeks=4))
    pushed_back = paused_row(ctx, ann, NOW + timedelta(weeks=4))
    resumed_at = NOW + timedelta(days=2)

    set_pause(ctx, ann, None, at=resumed_at)

    row = load(ctx, Message, pushed_back)
    assert (row.due_at, row.reason, row.status) == (resumed_at, "", "planned")
    assert load(ctx, Client, ann).paused_until is None
    assert load_audit(ctx)[-1].detail == "resumed via preferences-page"


def test_a_shorter_pause_brings_them_forward_to_its_new_end_and_leaves_other_waits_alone(ctx):
    ann = add_client(ctx, at=NOW)
    set_pause(ctx, ann, NOW + timedelta(weeks=8))
    pushed_back = paused_row(ctx, ann, NOW + timedelta(weeks=8))
    quiet = paused_row(ctx, ann, NOW + timedelta(weeks=9), reason="Deferred: quiet hours")
    new_end = NOW + timedelta(weeks=2)

    set_pause(ctx, ann, new_end)

    assert load(ctx, Message, pushed_back).due_at == new_end
    assert load(ctx, Message, quiet).due_at == NOW + timedelta(weeks=9)
