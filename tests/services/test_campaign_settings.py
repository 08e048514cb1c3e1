"""Marketing changes a campaign's enabled state, window or holdout in the dashboard: checked like the file,
audited, and used by the worker's next pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.sending.worker import tick
from tests.conftest import utc
from tests.helpers import add_client, messages
from tests.desk import Desk, audit_entries, page_text

NOON = utc(2026, 3, 2, 18, 0)


@pytest.fixture
def marketing(ctx) -> Desk:
    return Desk(ctx, NOON).sign_in_as("marketing")


def test_disabling_a_campaign_stops_its_messages_from_the_next_pass(marketing, ctx):
    add_client(ctx, at=NOON - timedelta(days=3))
    response = marketing.post("/campaigns/education/settings", {"holdout_percent": "0"})  # "enabled" unticked
    assert response.status_code == 303
    tick(ctx, NOON)  # what the worker does on its next beat
    assert {m.campaign for m in messages(ctx)} and "education" not in {m.campaign for m in messages(ctx)}
    [entry] = audit_entries(ctx, "campaign.settings")
    assert entry.actor == "marketing" and "education: enabled" in entry.detail and "-> disabled" in entry.detail
    assert "disabled" in page_text(marketing.get("/campaigns"))


def test_a_window_and_holdout_are_saved_and_shown(marketing, ctx):
    response = marketing.post(
        "/campaigns/rebook/settings",
        {
            "enabled": "yes",
            "holdout_percent": "10",
            "window_start": "09:00",
            "window_end": "17:00",
            "weekdays": ["mon", "tue", "wed"],
        },
    )
    assert response.status_code == 303
    page = page_text(marketing.get("/campaigns"))
    assert "sends 09:00–17:00 on mon, tue, wed" in page and "holds out 10% of clients" in page


@pytest.mark.parametrize(
    "form, problem",
    [
        ({"enabled": "yes", "holdout_percent": "10"}, "holdout_percent: a reminder campaign is never held out"),
        ({"enabled": "yes", "holdout_percent": "80"}, "holdout_percent"),
        ({"enabled": "yes", "holdout_percent": "ten"}, "holdout_percent: a number from 0 to 50"),
        ({"enabled": "yes", "window_start": "18:00", "window_end": "09:00"}, "window"),
        ({"enabled": "yes", "window_start": "09:00", "window_end": "17:00", "weekdays": ["someday"]}, "weekday"),
    ],
)
def test_a_setting_the_file_could_not_have_is_refused_and_nothing_changes(marketing, ctx, form, problem):
    response = marketing.post("/campaigns/reminder/settings", form)
    assert response.status_code == 400
    assert problem in page_text(response)
    assert audit_entries(ctx, "campaign.settings") == []
    assert "holds out" not in page_text(marketing.get("/campaigns"))


def test_the_front_desk_cannot_change_campaigns(ctx):
    desk = Desk(ctx, NOON).sign_in_as("front_desk")
    assert desk.post("/campaigns/education/settings", {"holdout_percent": "0"}).status_code == 403
    assert audit_entries(ctx, "campaign.settings") == []
