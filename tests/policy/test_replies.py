"""When a reply from the front desk may go: the conversation window, quiet hours, consent."""

from __future__ import annotations

from datetime import time, timedelta

from outreach.policy.consent import Reachability
from outreach.policy.replies import reply_blocker, reply_deferral
from outreach.policy.windows import SendWindow
from tests.conftest import utc

QUIET = SendWindow(time(8), time(20))
ZONE = "America/Chicago"
NIGHT = utc(2026, 3, 3, 4, 0)  # 22:00 in Chicago


def reach(**changes) -> Reachability:
    values = dict(
        status="active",
        email=None,
        phone="+16125550100",
        email_consent=False,
        sms_consent=True,
        phone_invalid=False,
        suppressed=frozenset(),
    )
    return Reachability(**{**values, **changes})


def test_a_reply_within_the_conversation_goes_at_once_even_at_night():
    assert reply_deferral(NIGHT - timedelta(minutes=59), NIGHT, ZONE, NIGHT, QUIET, 60) is None


def test_a_reply_outside_the_conversation_waits_for_the_morning():
    until, reason = reply_deferral(NIGHT - timedelta(minutes=61), NIGHT, ZONE, NIGHT, QUIET, 60)
    assert until == utc(2026, 3, 3, 14, 0) and "quiet hours" in reason


def test_a_reply_with_no_text_from_the_client_is_an_ordinary_text():
    assert reply_deferral(None, NIGHT, ZONE, NIGHT, QUIET, 60) is not None
    assert reply_deferral(None, utc(2026, 3, 2, 18), ZONE, utc(2026, 3, 2, 18), QUIET, 60) is None


def test_a_conversation_reply_held_up_past_the_window_is_no_longer_immediate():
    written = NIGHT - timedelta(minutes=90)
    assert reply_deferral(written - timedelta(minutes=5), written, ZONE, NIGHT, QUIET, 60) is not None


def test_who_may_be_answered():
    assert reply_blocker(reach()) is None
    assert reply_blocker(reach(status="paused")) is None  # a conversation they started
    assert "opted out" in reply_blocker(reach(suppressed=frozenset({"sms"})))
    assert "consent" in reply_blocker(reach(sms_consent=False))
    assert reply_blocker(reach(phone=None)) == "No phone number"
    assert reply_blocker(reach(status="archived")) == "Client archived"
