"""The holdout: a stable, uniform share of clients gets nothing from a campaign, each with one "held out" row in
the log; visit reminders are never held out, and `campaigns check` refuses a holdout on them."""

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from outreach.services.campaign_check import check_campaigns, errors
from outreach.campaigns import load_catalog
from outreach.models import HeldOutOccasion, Message
from outreach.sending.planner import plan_due
from outreach.policy.holdout import HOLDOUT_STEP, is_held_out
from outreach.services import facts
from outreach.settings import Settings
from tests.helpers import add_client, change
from tests.conftest import ROOT

ROOT = ROOT
NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # noon in Chicago


def with_holdout(tmp_path: Path, **percents: float) -> Path:
    """The shipped campaigns, with holdout_percent set on the named ones."""
    folder = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", folder)
    for name, percent in percents.items():
        path = folder / f"{name}.toml"
        path.write_text(path.read_text().replace("stream = ", f"holdout_percent = {percent}\nstream = ", 1))
    return folder


def test_the_share_held_out_of_2000_clients_is_within_binomial_tolerance():
    held = sum(is_held_out(client_id, "rebook", "rebook", 10) for client_id in range(1, 2001))
    # n = 2000, p = 0.1: mean 200, standard deviation 13.4; four of them either side.
    assert 146 <= held <= 254


def test_the_groups_are_stable_and_independent_between_campaigns():
    first = [is_held_out(i, "rebook", "rebook", 20) for i in range(1, 2001)]
    assert first == [is_held_out(i, "rebook", "rebook", 20) for i in range(1, 2001)]
    other = [is_held_out(i, "education", "education", 20) for i in range(1, 2001)]
    both = sum(a and b for a, b in zip(first, other, strict=True))
    assert 50 <= both <= 110  # independent: about 0.2 * 0.2 * 2000 = 80
    assert not any(is_held_out(i, "reminder", "reminder", 50) for i in range(1, 2001))
    assert not any(is_held_out(i, "rebook", "rebook", 0) for i in range(1, 2001))


@pytest.fixture
def held(ctx, tmp_path):
    ctx.__dict__["catalog"] = load_catalog(with_holdout(tmp_path, rebook=30, reminder=50))
    ids = []
    for i in range(60):
        client_id = add_client(
            ctx, f"c{i}", at=NOW - timedelta(days=20), phone=f"+1612555{i:04d}", email=f"c{i}@example.com"
        )
        visit_at = NOW - timedelta(days=10) if i % 2 else NOW + timedelta(days=1)
        change(ctx, client_id, facts.record_visit, visit_at, "attended" if i % 2 else "booked", "desk")
        ids.append(client_id)
    for day in range(0, 8):
        plan_due(ctx, NOW + timedelta(days=day))
    return ids


def _rows(ctx, campaign: str) -> list[Message]:
    with Session(ctx.engine) as session:
        return list(session.exec(select(Message).where(Message.campaign == campaign)))


def test_held_out_clients_receive_nothing_from_the_campaign_but_one_log_row(ctx, held):
    rebook = _rows(ctx, "rebook")
    out = {cid for cid in held if is_held_out(cid, "rebook", "rebook", 30)}
    due = set(held[1::2])  # the ones whose last visit is ten days old: a nudge is due at once
    assert out & due and due - out
    logged = [m.client_id for m in rebook if m.step == HOLDOUT_STEP]
    assert len(logged) == len(set(logged)) and out & due <= set(logged) <= out
    assert all(m.status == "skipped" and m.reason.startswith("Held out") for m in rebook if m.step == HOLDOUT_STEP)
    assert not [m for m in rebook if m.client_id in out and m.step != HOLDOUT_STEP]
    assert all("nudge" in {m.step for m in rebook if m.client_id == cid} for cid in due - out)
    with Session(ctx.engine) as session:
        occasions = session.exec(select(HeldOutOccasion.client_id, HeldOutOccasion.step)).all()
    assert {cid for cid, _ in occasions} == set(logged)
    assert {step for _, step in occasions} == {"nudge"}


def test_visit_reminders_are_never_held_out(ctx, held):
    reminded = {m.client_id for m in _rows(ctx, "reminder") if m.step != HOLDOUT_STEP}
    assert reminded == set(held[0::2])  # everyone with a booked visit, though the file asks for 50%
    assert all(m.step != HOLDOUT_STEP for m in _rows(ctx, "reminder"))


def test_campaigns_check_refuses_a_holdout_on_reminders(tmp_path):
    folder = with_holdout(tmp_path, rebook=10, reminder=5)
    problems = [str(f) for f in errors(check_campaigns(folder, ROOT / "templates", Settings()))]
    assert problems == [
        f"{folder}/reminder.toml:5: holdout_percent: a reminder campaign is never held out "
        "(visit reminders are service, not marketing); remove it"
    ]


def test_the_comparison_has_group_sizes_and_95_percent_intervals():
    from outreach.policy.comparison import Arm, Comparison
    from outreach.services.outcomes import HoldoutResult, holdout_table

    messaged, held_out = Arm(200, 80, {0: 50, 1: 100, 2: 50}), Arm(100, 20, {0: 50, 1: 40, 2: 10})
    comparison = Comparison(messaged, held_out, min_group_size=100)
    rate, difference = comparison.messaged.rebook_rate, comparison.rebook_difference
    assert (rate.estimate, round(rate.low, 4), round(rate.high, 4)) == (0.4, 0.3346, 0.4692)  # Wilson
    assert (difference.estimate, round(difference.low, 4), round(difference.high, 4)) == (0.2, 0.0897, 0.296)
    visits = comparison.visits_difference
    assert (round(visits.estimate, 4), round(visits.low, 4), round(visits.high, 4)) == (0.4, 0.2356, 0.5644)
    rows = holdout_table([HoldoutResult("rebook", "nudge", None, comparison)]).records()
    assert [(r["group"], r["nudges"], r["rebook_rate"]) for r in rows] == [
        ("messaged", 200, 0.4),
        ("held out", 100, 0.2),
        ("difference", None, 0.2),
    ]
    too_few = Comparison(messaged, Arm(99, 20, {0: 99}), min_group_size=100)
    assert not too_few.enough_data
    assert [r["rebook_rate"] for r in holdout_table([HoldoutResult("rebook", "nudge", None, too_few)]).records()] == [
        None,
        None,
    ]
