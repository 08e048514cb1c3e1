"""Quiet hours in the client's own time zone (DST included), and caps across campaigns."""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outreach.policy.caps import cap_delay, free_at
from outreach.policy.consent import Reachability, blocker, first_open
from outreach.policy.windows import SendWindow, deferral_reason, next_allowed

QUIET = SendWindow(time(8), time(20))


def local(zone, *args):
    return datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    "zone",
    [
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "Pacific/Honolulu",
        "America/New_York",
        "Europe/London",
    ],
)
def test_a_text_due_at_night_waits_for_eight_in_the_clients_zone(zone):
    due = local(zone, 2026, 3, 3, 22, 30)
    allowed = next_allowed(due, zone, QUIET)
    assert allowed.astimezone(ZoneInfo(zone)) == local(zone, 2026, 3, 4, 8, 0)


def test_inside_the_window_it_goes_at_once():
    due = local("America/Chicago", 2026, 3, 3, 12, 0)
    assert next_allowed(due, "America/Chicago", QUIET) == due


def test_early_morning_waits_until_eight_the_same_day():
    due = local("America/Denver", 2026, 3, 3, 6, 59)
    assert next_allowed(due, "America/Denver", QUIET) == local("America/Denver", 2026, 3, 3, 8, 0)


def test_the_window_end_is_exclusive():
    due = local("America/Chicago", 2026, 3, 3, 20, 0)
    assert next_allowed(due, "America/Chicago", QUIET) == local("America/Chicago", 2026, 3, 4, 8, 0)


@pytest.mark.parametrize("day", [8, 9])  # 2026-03-08: US clocks spring forward; 2026-11-01: fall back
def test_dst_changes_keep_eight_oclock_local(day):
    zone = "America/Chicago"
    for month, date in ((3, day), (11, day - 7)):
        due = local(zone, 2026, month, date, 1, 30)
        allowed = next_allowed(due, zone, QUIET).astimezone(ZoneInfo(zone))
        assert (allowed.hour, allowed.minute) == (8, 0)


def test_utc_instants_are_read_in_the_clients_zone():
    # 14:00 UTC is 08:00 in Chicago in winter (CST, UTC-6) but only 07:00 in Denver (MST, UTC-7).
    due = datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc)
    assert next_allowed(due, "America/Chicago", QUIET) == due
    assert next_allowed(due, "America/Denver", QUIET) == datetime(2026, 1, 15, 15, 0, tzinfo=timezone.utc)


def test_a_campaign_window_narrows_quiet_hours_and_skips_days():
    window = QUIET.narrowed(SendWindow(time(9), time(19), ("mon", "tue", "wed", "thu", "fri")))
    saturday_noon = local("America/Chicago", 2026, 3, 7, 12, 0)
    assert next_allowed(saturday_noon, "America/Chicago", window) == local("America/Chicago", 2026, 3, 9, 9, 0)


def test_the_deferral_reason_names_the_zone_and_time():
    until = local("America/Denver", 2026, 3, 4, 8, 0)
    assert (
        deferral_reason("quiet hours", until, "America/Denver")
        == "Deferred: quiet hours in America/Denver until Wed 08:00"
    )


NOW = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)


def test_a_fourth_message_in_a_week_waits_until_the_oldest_ages_out():
    sent = [NOW - timedelta(days=6), NOW - timedelta(days=3), NOW - timedelta(hours=1)]
    assert free_at(sent, 3, timedelta(days=7), NOW) == NOW + timedelta(days=1)
    assert free_at(sent[1:], 3, timedelta(days=7), NOW) is None


def test_a_second_text_in_a_day_is_capped_but_an_email_is_not():
    sent = [NOW - timedelta(hours=2)]
    until, reason = cap_delay(sent, sent, "sms", NOW, 3, 1)
    assert until == NOW + timedelta(hours=22) and reason == "Capped: 1 text(s) in 24 hours"
    assert cap_delay(sent, sent, "email", NOW, 3, 1) is None


def test_the_weekly_cap_counts_every_campaign_and_channel():
    sent = [NOW - timedelta(days=5), NOW - timedelta(days=4), NOW - timedelta(days=2)]
    until, reason = cap_delay(sent, [], "email", NOW, 3, 1)
    assert reason == "Capped: 3 messages in 7 days" and until == NOW + timedelta(days=2)


def reachable(**changes):
    base = dict(
        status="active",
        email="a@example.com",
        phone="+16125550100",
        email_consent=True,
        sms_consent=True,
        phone_invalid=False,
        suppressed=frozenset(),
    )
    return Reachability(**{**base, **changes})


@pytest.mark.parametrize(
    "changes, channel, reason",
    [
        ({"sms_consent": False}, "sms", "No SMS consent"),
        ({"email_consent": False}, "email", "No email consent"),
        ({"phone": None}, "sms", "No phone number"),
        ({"suppressed": frozenset({"sms"})}, "sms", "Number opted out of texts"),
        ({"status": "paused"}, "email", "Client paused"),
        ({"phone_invalid": True}, "sms", "Phone number marked invalid"),
    ],
)
def test_each_closed_channel_says_why(changes, channel, reason):
    assert blocker(reachable(**changes), channel) == reason


def test_the_first_open_channel_in_order_of_preference_wins():
    assert first_open(reachable(sms_consent=False), ("sms", "email")) == ("email", "")
    assert first_open(reachable(sms_consent=False, email_consent=False), ("sms", "email")) == (
        None,
        "sms: no sms consent; email: no email consent",
    )
