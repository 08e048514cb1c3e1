"""Campaign outcomes on a seeded history with known answers: exact counts, skips by reason, replies credited to
the last text, the attribution window's boundaries, and a rollup that follows later changes."""

from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest
from sqlmodel import Session

from outreach.models import DeliveryEvent, HeldOutOccasion, InboundMessage, Message, Visit
from outreach.services.outcomes import Period, outcomes_report
from tests.helpers import add_client

DAY = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # Monday 2 March, noon in Chicago
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))
_ids = count(1)


def message(
    session,
    client_id,
    campaign="rebook",
    step="nudge",
    status="sent",
    *,
    at=DAY,
    channel="sms",
    reason="",
    stream=None,
    sent=True,
    to="+16125550100",
    **extra,
) -> Message:
    row = Message(
        key=f"{client_id}:{campaign}:{step}:{next(_ids)}",
        client_id=client_id,
        campaign=campaign,
        step=step,
        cycle="1",
        stream=stream or campaign,
        channel=channel,
        to_address=to,
        status=status,
        due_at=at,
        sent_at=at if sent else None,
        reason=reason,
        created_at=at,
        updated_at=at,
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def visit(session, client_id, starts_at, status="attended") -> None:
    session.add(Visit(client_id=client_id, starts_at=starts_at, status=status, created_at=DAY, updated_at=DAY))


def report(ctx, period=PERIOD):
    with Session(ctx.engine) as session:
        return outcomes_report(session, ctx.settings, ctx.catalog, period)


def row_of(table, campaign, step):
    return next(r for r in table.records() if r["campaign"] == campaign and r["step"] == step)


@pytest.fixture
def seeded(ctx):
    clients = [add_client(ctx, f"c{i}", at=DAY, phone=f"+1612555{i:04d}") for i in range(6)]
    with Session(ctx.engine) as session:
        nudges = [message(session, c) for c in clients[:4]]
        message(session, clients[4], status="delivered")
        message(session, clients[5], status="failed", reason="Twilio failed: 30003", sent=False)
        message(session, clients[0], "education", "pain-cycle", "delivered", channel="email", to="a@example.com")
        message(session, clients[1], "education", "pain-cycle", "delivered", channel="email", to="b@example.com")
        message(session, clients[2], "education", "pain-cycle", "skipped", reason="No email consent", sent=False, to="")
        message(
            session, clients[3], "education", "pain-cycle", "skipped", reason="Capped: 3 messages in 7 days", sent=False
        )
        message(session, clients[4], "education", "pain-cycle", "skipped", reason="No email consent", sent=False)
        message(
            session,
            clients[5],
            "education",
            "pain-cycle",
            "planned",
            sent=False,
            reason="Deferred: send window until 09:00 America/Chicago",
        )
        message(session, clients[0], "education", "pain-cycle", at=DAY - timedelta(days=1))  # before the period
        message(session, None, "education", "pain-cycle", is_test=True)
        email = message(session, clients[0], "education", "tension-and-nerves", "delivered", channel="email")
        for n, kind in enumerate(("open", "open", "click", "unsubscribe")):
            session.add(
                DeliveryEvent(message_id=email.id, provider="sendgrid", provider_event_id=f"e{n}", event=kind, at=DAY)
            )
        for n, (client, handled_as) in enumerate(
            ((clients[0], "stop"), (clients[1], "other"), (clients[2], "progress"))
        ):
            session.add(
                InboundMessage(
                    provider_id=f"in{n}",
                    client_id=client,
                    from_address="+1",
                    body="x",
                    handled_as=handled_as,
                    received_at=DAY + timedelta(hours=2),
                )
            )
        # Rebooks: starts exactly at the nudge (in), one second before the window closes (in), exactly when it
        # closes (out), and a cancelled visit (out).
        window = timedelta(days=ctx.settings.reports.attribution_days)
        visit(session, clients[0], nudges[0].sent_at)
        visit(session, clients[1], nudges[1].sent_at + window - timedelta(seconds=1), "booked")
        visit(session, clients[2], nudges[2].sent_at + window)
        visit(session, clients[3], nudges[3].sent_at + timedelta(days=2), "cancelled")
        session.commit()
    return clients


def test_each_step_has_exact_counts(seeded, ctx):
    steps = report(ctx).steps
    nudge = row_of(steps, "rebook", "nudge")
    assert (nudge["planned"], nudge["sent"], nudge["delivered"], nudge["failed"]) == (6, 5, 1, 1)
    assert (nudge["stop"], nudge["replies"], nudge["rebooked"]) == (1, 2, 2)
    lesson = row_of(steps, "education", "pain-cycle")
    assert (lesson["planned"], lesson["sent"], lesson["delivered"], lesson["skipped"], lesson["waiting"]) == (
        6,
        2,
        2,
        3,
        1,
    )
    assert lesson["rebooked"] is None  # rebooks are counted for rebook nudges only
    second = row_of(steps, "education", "tension-and-nerves")
    assert (second["opened"], second["clicked"], second["unsubscribed"]) == (1, 1, 1)


def test_skips_add_up_by_reason_and_weeks_by_monday(seeded, ctx):
    result = report(ctx)
    assert [(r["reason"], r["messages"]) for r in result.skipped.records()] == [
        ("No email consent", 2),
        ("Capped: 3 messages in 7 days", 1),
    ]
    weeks = result.weeks.records()
    assert [w["week_of"] for w in weeks] == ["2026-03-02", "2026-03-09"]
    assert (weeks[0]["sent"], weeks[0]["rebooked"], weeks[1]["sent"]) == (8, 2, 0)


def test_a_period_before_the_history_holds_nothing(seeded, ctx):
    earlier = report(ctx, Period(date(2026, 2, 1), date(2026, 3, 1))).steps
    assert [(r["campaign"], r["planned"]) for r in earlier.records()] == [("education", 1)]


def test_the_attribution_window_is_a_setting_and_changing_it_counts_again(seeded, ctx):
    assert row_of(report(ctx).steps, "rebook", "nudge")["rebooked"] == 2
    ctx.settings = ctx.settings.model_copy(
        update={"reports": ctx.settings.reports.model_copy(update={"attribution_days": 15})}
    )
    assert row_of(report(ctx).steps, "rebook", "nudge")["rebooked"] == 3


def test_later_changes_reach_the_report(seeded, ctx):
    assert row_of(report(ctx).steps, "rebook", "nudge")["rebooked"] == 2
    with Session(ctx.engine) as session:
        visit(session, seeded[3], DAY + timedelta(days=5), "booked")
        changed = session.get(Message, 6)
        changed.status, changed.updated_at = "delivered", DAY + timedelta(days=1)
        session.add(changed)
        session.commit()
    nudge = row_of(report(ctx).steps, "rebook", "nudge")
    assert (nudge["rebooked"], nudge["delivered"], nudge["failed"]) == (3, 2, 0)


def test_held_out_occasions_count_rebooks_the_same_way(seeded, ctx):
    with Session(ctx.engine) as session:
        session.add(HeldOutOccasion(client_id=seeded[4], campaign="rebook", step="nudge", cycle="x", due_at=DAY))
        visit(session, seeded[4], DAY + timedelta(days=3))
        session.commit()
    [result] = report(ctx).holdouts
    assert (result.campaign, result.step, result.since) == ("rebook", "nudge", date(2026, 3, 2))
    assert (result.comparison.held_out.occasions, result.comparison.held_out.rebooked) == (1, 1)
    assert (result.comparison.messaged.occasions, result.comparison.messaged.rebooked) == (6, 3)
    assert not result.comparison.enough_data
    assert "not enough data yet" in report(ctx).holdout_table.records()[0]["note"]


def test_the_command_prints_the_same_numbers_as_json(seeded, cli_env):
    import json

    from typer.testing import CliRunner

    from outreach.cli import app

    result = CliRunner().invoke(app, ["report", "--since", "2026-03-02", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    nudge = next(r for r in figures["steps"] if r["step"] == "nudge")
    assert (nudge["planned"], nudge["sent"], nudge["rebooked"], figures["from"]) == (6, 5, 2, "2026-03-02")
    assert {"skipped", "weeks", "holdout", "phases", "visits", "improvement", "taper"} <= set(figures)
    table = CliRunner().invoke(app, ["report", "--since", "2026-03-02"])
    assert table.exit_code == 0 and "Per campaign and step" in table.output
    bad = CliRunner().invoke(app, ["report", "--since", "March"])
    assert bad.exit_code == 2 and "'March' is not a date like 2026-03-02" in bad.output
