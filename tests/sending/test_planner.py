"""The planning pass over the database: idempotent, O(due), woken by changing facts."""

import threading
from datetime import datetime, timedelta, timezone

import pytest

from outreach.campaigns import load_catalog
from outreach.sending.planner import plan_due
from outreach.services import facts
from tests.helpers import add_client, change, messages
from tests.conftest import FIXTURES

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # noon in Chicago
FIXTURE_CAMPAIGNS = FIXTURES / "worker" / "campaigns"


@pytest.fixture
def planning(ctx):
    ctx.__dict__["catalog"] = load_catalog(FIXTURE_CAMPAIGNS)
    return ctx


def test_planning_the_same_instant_twice_creates_nothing_new(planning):
    add_client(planning, at=NOW)
    first = plan_due(planning, NOW)
    keys = [m.key for m in messages(planning)]
    assert first.planned == 2 and len(keys) == 2
    change(planning, 1, facts.set_status, "active", "test")  # no change, no wake
    assert plan_due(planning, NOW).planned == 0
    assert [m.key for m in messages(planning)] == keys


def test_an_idle_pass_reads_no_clients(planning):
    for i in range(20):
        add_client(planning, f"c{i}", at=NOW, phone=f"+1612555{i:04d}")
    assert plan_due(planning, NOW).clients == 20
    idle = plan_due(planning, NOW + timedelta(minutes=5))
    assert idle.clients == 0 and idle.planned == 0


def test_recording_a_visit_wakes_the_client(planning):
    client_id = add_client(planning, at=NOW)
    plan_due(planning, NOW)
    later = NOW + timedelta(hours=1)
    assert plan_due(planning, later).clients == 0
    change(planning, client_id, facts.record_visit, NOW + timedelta(days=1), "booked", "desk")
    woken = plan_due(planning, later)
    assert woken.clients == 1


def test_a_client_without_consent_gets_skipped_rows_with_reasons(planning):
    add_client(planning, at=NOW, email_consent=False, sms_consent=False)
    plan_due(planning, NOW)
    rows = {m.campaign: m for m in messages(planning)}
    assert rows["education"].status == "skipped"
    assert rows["education"].reason == "email: no email consent; sms: no sms consent"
    assert rows["checkin"].reason == "No SMS consent"


def test_two_planners_at_once_never_duplicate_a_message(planning):
    for i in range(30):
        add_client(planning, f"c{i}", at=NOW, phone=f"+1612555{i:04d}")
    barrier = threading.Barrier(2)
    errors = []

    def run():
        barrier.wait()
        try:
            plan_due(planning, NOW)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = [m.key for m in messages(planning)]
    assert len(keys) == len(set(keys)) == 60
