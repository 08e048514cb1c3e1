"""What is due for one client: the planner's pure core, with a frozen `now`."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outreach.campaigns import Catalog, load_catalog
from outreach.policy.cadence import Score, VisitFact
from outreach.policy.consent import Reachability
from outreach.policy.schedule import ClientFacts, Existing, plan_client, stale_reason
from outreach.settings import Settings
from tests.conftest import FIXTURES

CATALOG = load_catalog(FIXTURES / "worker" / "campaigns")
SETTINGS = Settings()
CHICAGO = ZoneInfo("America/Chicago")
MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=CHICAGO).astimezone(timezone.utc)


def client(**changes) -> ClientFacts:
    reach = Reachability("active", "ann@example.com", "+16125550100", True, True, False, frozenset())
    base = ClientFacts(id=7, first_name="Ann", timezone="America/Chicago", reach=reach)
    return replace(base, **changes)


def keys(plan):
    return sorted(m.key for m in plan.messages)


def sent(campaign, step, cycle, at, channel="email"):
    return Existing(campaign, step, cycle, "sent", at, at, channel)


def test_a_new_client_gets_the_first_lesson_and_a_checkin_at_once():
    plan = plan_client(client(), CATALOG, SETTINGS, MONDAY_NOON)
    assert keys(plan) == ["7:checkin:pain-checkin:1", "7:education:one:1"]
    lesson = next(m for m in plan.messages if m.campaign == "education")
    assert (lesson.channel, lesson.to_address, lesson.status) == ("email", "ann@example.com", "planned")
    assert set(plan.enrolments) == {"education", "rebook", "checkin", "reminder"}


def test_the_first_rebook_nudge_wakes_the_planner_a_week_after_enrolment():
    plan = plan_client(client(), CATALOG, SETTINGS, MONDAY_NOON)
    assert plan.wake_at == MONDAY_NOON + timedelta(days=7)


def test_the_next_lesson_follows_one_interval_after_the_last_went_out():
    facts = client(messages=(sent("education", "one", "1", MONDAY_NOON),), enrolments={"education": MONDAY_NOON})
    six_days = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=6))
    assert not [m for m in six_days.messages if m.campaign == "education"]
    seven_days = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=7))
    assert "7:education:two:1" in keys(seven_days)


def test_an_improving_client_gets_lessons_every_two_weeks():
    scores = tuple(Score(MONDAY_NOON - timedelta(weeks=w), p) for w, p in ((3, 8), (2, 5), (1, 5)))
    facts = client(
        scores=scores, messages=(sent("education", "one", "1", MONDAY_NOON),), enrolments={"education": MONDAY_NOON}
    )
    assert "7:education:two:1" not in keys(plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=7)))
    assert "7:education:two:1" in keys(plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=14)))


def test_nothing_new_while_a_lesson_is_still_waiting_to_go():
    waiting = Existing("education", "one", "1", "planned", MONDAY_NOON)
    facts = client(messages=(waiting,), enrolments={"education": MONDAY_NOON - timedelta(days=30)})
    plan = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=30))
    assert not [m for m in plan.messages if m.campaign == "education"]


def test_without_consent_the_message_is_recorded_as_skipped_with_the_reason():
    reach = Reachability("active", "ann@example.com", "+16125550100", False, False, False, frozenset())
    plan = plan_client(client(reach=reach), CATALOG, SETTINGS, MONDAY_NOON)
    lesson = next(m for m in plan.messages if m.campaign == "education")
    assert lesson.status == "skipped"
    assert lesson.reason == "email: no email consent; sms: no sms consent"


def test_an_unreachable_client_gets_one_skipped_message_per_campaign_not_one_per_occurrence():
    reach = Reachability("active", "ann@example.com", "+16125550100", False, False, False, frozenset())
    first = plan_client(client(reach=reach, visits=(visit(1),)), CATALOG, SETTINGS, MONDAY_NOON)
    history = tuple(Existing(m.campaign, m.step, m.cycle, m.status, m.due_at) for m in first.messages)
    later = plan_client(
        client(reach=reach, visits=(visit(1),), messages=history, enrolments=first.enrolments),
        CATALOG,
        SETTINGS,
        MONDAY_NOON + timedelta(weeks=3),
    )
    assert [m.campaign for m in later.messages] == ["rebook"]  # its first occurrence; the others were said already
    consented = replace(reach, sms_consent=True)
    resumed = plan_client(
        client(reach=consented, visits=(visit(1),), messages=history, enrolments=first.enrolments),
        CATALOG,
        SETTINGS,
        MONDAY_NOON + timedelta(weeks=3),
    )
    assert "7:checkin:pain-checkin:2" in keys(resumed)


def test_sms_only_consent_falls_back_to_the_text_version():
    reach = Reachability("active", "ann@example.com", "+16125550100", False, True, False, frozenset())
    lesson = next(
        m
        for m in plan_client(client(reach=reach), CATALOG, SETTINGS, MONDAY_NOON).messages
        if m.campaign == "education"
    )
    assert (lesson.channel, lesson.to_address) == ("sms", "+16125550100")


def test_a_text_due_at_night_is_deferred_to_eight_in_the_clients_own_zone():
    night_in_denver = datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("America/Denver")).astimezone(timezone.utc)
    facts = client(timezone="America/Denver", visits=(visit(1),))
    plan = plan_client(facts, CATALOG, SETTINGS, night_in_denver)
    checkin = next(m for m in plan.messages if m.campaign == "checkin")
    assert checkin.due_at == datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("America/Denver"))
    assert checkin.reason == "Deferred: quiet hours in America/Denver until Tue 08:00"
    email = next(m for m in plan.messages if m.campaign == "education")
    assert email.due_at == night_in_denver and email.reason == ""  # email is not held by texting hours


def visit(days_ago, status="attended"):
    return VisitFact(MONDAY_NOON - timedelta(days=days_ago), status)


def test_a_rebook_nudge_comes_when_the_last_visit_is_one_interval_old():
    facts = client(visits=(visit(7),), enrolments={"rebook": MONDAY_NOON - timedelta(days=30)})
    plan = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON)
    assert [m.step for m in plan.messages if m.campaign == "rebook"] == ["nudge"]


def test_no_nudge_when_a_visit_is_booked():
    facts = client(visits=(visit(7), visit(-2, "booked")))
    assert not [m for m in plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON).messages if m.campaign == "rebook"]


def test_one_follow_up_three_days_after_the_nudge_then_nothing_until_the_next_visit():
    anchor = MONDAY_NOON - timedelta(days=7)
    cycle = f"{anchor:%Y%m%dT%H%M}"
    nudged = client(
        visits=(VisitFact(anchor, "attended"),), messages=(sent("rebook", "nudge", cycle, MONDAY_NOON, "sms"),)
    )
    assert not [
        m
        for m in plan_client(nudged, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=2)).messages
        if m.campaign == "rebook"
    ]
    later = plan_client(nudged, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=3))
    assert [m.step for m in later.messages if m.campaign == "rebook"] == ["follow-up"]
    done = replace(nudged, messages=nudged.messages + (sent("rebook", "follow-up", cycle, MONDAY_NOON, "sms"),))
    assert not [
        m
        for m in plan_client(done, CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=20)).messages
        if m.campaign == "rebook"
    ]


def test_lapsed_clients_get_a_monthly_check_in_at_most_three_times():
    facts = client(visits=(visit(61),))
    plan = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON)
    assert plan.state.phase == "lapsed"
    lapsed = [m for m in plan.messages if m.campaign == "rebook"]
    assert [m.step for m in lapsed] == ["lapsed-checkin"]
    assert not [m for m in plan.messages if m.campaign in ("education", "checkin")]  # paused while lapsed
    cycle = lapsed[0].cycle
    prefix = cycle.rsplit("-", 1)[0]
    history = tuple(
        sent("rebook", "lapsed-checkin", f"{prefix}-{i}", MONDAY_NOON + timedelta(days=30 * (i - 1))) for i in (1, 2, 3)
    )
    much_later = plan_client(replace(facts, messages=history), CATALOG, SETTINGS, MONDAY_NOON + timedelta(days=400))
    assert not [m for m in much_later.messages if m.campaign == "rebook"]


def test_a_visit_reminder_goes_at_ten_the_day_before_in_the_clients_zone():
    visit_at = datetime(2026, 3, 3, 15, tzinfo=CHICAGO)
    facts = client(visits=(VisitFact(visit_at.astimezone(timezone.utc), "booked"),))
    booked_then = plan_client(facts, CATALOG, SETTINGS, datetime(2026, 3, 1, 9, tzinfo=CHICAGO))
    reminder = next(m for m in booked_then.messages if m.campaign == "reminder")  # written ahead, due at ten
    assert reminder.cycle == "visit-20260303T2100" and reminder.channel == "sms"
    assert (reminder.status, reminder.due_at) == ("planned", datetime(2026, 3, 2, 10, 0, tzinfo=CHICAGO))


def test_no_reminder_goes_to_clients_who_turned_reminders_off_on_every_channel():
    visit_at = datetime(2026, 3, 3, 15, tzinfo=CHICAGO).astimezone(timezone.utc)
    off = frozenset({("reminder", "sms"), ("reminder", "email")})
    reach = Reachability("active", "ann@example.com", "+16125550100", True, True, False, frozenset(), off)
    facts = client(visits=(VisitFact(visit_at, "booked"),), reach=reach)
    plan = plan_client(facts, CATALOG, SETTINGS, datetime(2026, 3, 2, 12, tzinfo=CHICAGO))
    reminders = [m for m in plan.messages if m.campaign == "reminder"]
    assert reminders and all(m.status == "skipped" for m in reminders)
    assert "stream turned off: reminder by sms" in reminders[0].reason


def test_a_stream_off_on_one_channel_falls_back_to_the_other():
    visit_at = datetime(2026, 3, 3, 15, tzinfo=CHICAGO).astimezone(timezone.utc)
    off = frozenset({("reminder", "sms")})
    reach = Reachability("active", "ann@example.com", "+16125550100", True, True, False, frozenset(), off)
    facts = client(visits=(VisitFact(visit_at, "booked"),), reach=reach)
    plan = plan_client(facts, CATALOG, SETTINGS, datetime(2026, 3, 2, 10, tzinfo=CHICAGO))
    reminders = [m for m in plan.messages if m.campaign == "reminder"]
    assert reminders and all(m.channel == "email" and m.status == "planned" for m in reminders)


def test_a_pause_defers_lessons_but_not_reminders_of_booked_visits():
    now = datetime(2026, 3, 2, 12, tzinfo=CHICAGO)
    visit_at = datetime(2026, 3, 3, 15, tzinfo=CHICAGO).astimezone(timezone.utc)
    until = now + timedelta(weeks=2)
    reach = Reachability(
        "active", "ann@example.com", "+16125550100", True, True, False, frozenset(), paused_until=until
    )
    plan = plan_client(client(visits=(VisitFact(visit_at, "booked"),), reach=reach), CATALOG, SETTINGS, now)
    reminders = [m for m in plan.messages if m.stream == "reminder"]
    others = [m for m in plan.messages if m.stream != "reminder"]
    assert reminders and all(m.due_at < until for m in reminders)
    assert others and all(m.due_at >= until and m.reason.startswith("Paused by the client") for m in others)


def test_a_possible_opt_out_holds_texts_but_not_emails():
    now = datetime(2026, 3, 2, 12, tzinfo=CHICAGO)
    since = now - timedelta(hours=1)
    reach = Reachability("active", "ann@example.com", "+16125550100", True, True, False, frozenset(), held_since=since)
    plan = plan_client(client(reach=reach, visits=(visit(1),)), CATALOG, SETTINGS, now, sending=True)
    texts = [m for m in plan.messages if m.channel == "sms"]
    emails = [m for m in plan.messages if m.channel == "email"]
    assert texts and all(m.status == "planned" and m.reason.startswith("Held: possible opt-out since") for m in texts)
    assert all(not m.reason.startswith("Held") for m in emails)


@pytest.mark.parametrize("status", ["paused", "archived"])
def test_paused_and_archived_clients_get_nothing(status):
    reach = Reachability(status, "ann@example.com", "+16125550100", True, True, False, frozenset())
    assert plan_client(client(reach=reach), CATALOG, SETTINGS, MONDAY_NOON).messages == []


def test_a_nudge_goes_stale_once_a_visit_is_booked():
    rebook = CATALOG.get("rebook")
    anchor = MONDAY_NOON - timedelta(days=7)
    cycle = f"{anchor:%Y%m%dT%H%M}"
    facts = client(visits=(VisitFact(anchor, "attended"),))
    assert stale_reason(rebook, rebook.step("nudge"), cycle, facts, MONDAY_NOON, SETTINGS) is None
    booked = replace(facts, visits=facts.visits + (visit(-3, "booked"),))
    assert stale_reason(rebook, rebook.step("nudge"), cycle, booked, MONDAY_NOON, SETTINGS) == (
        "No longer needed: a visit is booked"
    )


def test_a_reminder_goes_stale_when_the_visit_is_cancelled():
    reminder = CATALOG.get("reminder")
    visit_at = datetime(2026, 3, 3, 15, tzinfo=CHICAGO).astimezone(timezone.utc)
    facts = client(visits=(VisitFact(visit_at, "cancelled"),))
    assert (
        stale_reason(reminder, reminder.step("day-before"), "visit-20260303T2100", facts, MONDAY_NOON, SETTINGS)
        == "No longer needed: the visit was cancelled or moved"
    )


def test_a_plan_that_sends_holds_back_what_the_caps_would_and_lets_the_highest_priority_through():
    # One slot left this week and no text today: of the nudge (priority 20), the check-in text (30) and the
    # first lesson (40), all due now, the nudge goes; the others wait until the caps free, as a batch would.
    history = tuple(sent("other", f"s{n}", "1", MONDAY_NOON - timedelta(days=days)) for n, days in ((1, 2), (2, 5)))
    facts = client(visits=(VisitFact(MONDAY_NOON - timedelta(days=8), "attended", 1),), messages=history)

    plan = plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON, sending=True)

    due_now = {m.key: m for m in plan_client(facts, CATALOG, SETTINGS, MONDAY_NOON).messages}
    held = {m.key: m for m in plan.messages if m.due_at > MONDAY_NOON}
    going = [m.key for m in plan.messages if m.due_at <= MONDAY_NOON]
    assert all(m.due_at <= MONDAY_NOON for m in due_now.values()) and set(due_now) == {*going, *held}
    assert going == ["7:rebook:nudge:" + f"{MONDAY_NOON - timedelta(days=8):%Y%m%dT%H%M}"]
    assert set(held) == {"7:checkin:pain-checkin:1", "7:education:one:1"}
    assert {m.due_at for m in held.values()} == {MONDAY_NOON + timedelta(days=2)}
    assert all(m.reason.startswith("Capped") and m.status == "planned" for m in held.values())


def test_a_plan_that_sends_lets_a_visit_reminder_past_the_caps():
    ten = MONDAY_NOON - timedelta(hours=2)  # the reminder's moment
    history = tuple(sent("other", f"s{n}", "1", ten - timedelta(hours=n), "sms") for n in (1, 2, 3))
    facts = client(visits=(VisitFact(MONDAY_NOON + timedelta(days=1), "booked", 1),), messages=history)

    plan = plan_client(facts, CATALOG, SETTINGS, ten, sending=True)

    [reminder] = [m for m in plan.messages if m.campaign == "reminder"]
    others = [m for m in plan.messages if m.campaign != "reminder"]
    assert reminder.due_at <= ten and not reminder.reason and reminder.status == "planned"
    assert others and all(m.reason.startswith("Capped") and m.due_at > ten for m in others)


# Issue 31: reminders of visits booked too late, and one skipped reminder per visit.
REMINDERS = Catalog((CATALOG.get("reminder"),), {})
TOO_LATE = "Booked too late for the day-before reminder"


def reminder_rows(facts, now, catalog=REMINDERS):
    return [m for m in plan_client(facts, catalog, SETTINGS, now).messages if m.campaign == "reminder"]


def as_existing(rows):
    return tuple(Existing(m.campaign, m.step, m.cycle, m.status, m.due_at, channel=m.channel) for m in rows)


def test_a_visit_booked_after_its_reminders_moment_gets_one_skipped_row_and_no_reminder():
    visit_at = datetime(2026, 3, 3, 10, tzinfo=CHICAGO).astimezone(timezone.utc)  # reminder: Monday 10:00
    facts = client(visits=(VisitFact(visit_at, "booked"),))

    [row] = reminder_rows(facts, datetime(2026, 3, 3, 7, tzinfo=CHICAGO))  # booked the morning of the visit

    assert (row.status, row.reason, row.cycle) == ("skipped", TOO_LATE, "visit-20260303T1600")
    assert reminder_rows(replace(facts, messages=as_existing([row])), datetime(2026, 3, 3, 8, tzinfo=CHICAGO)) == []


def test_a_visit_booked_before_the_moment_or_seen_within_one_planning_pass_of_it_gets_its_reminder():
    visit_at = datetime(2026, 3, 3, 10, tzinfo=CHICAGO)
    facts = client(visits=(VisitFact(visit_at, "booked"),))
    moment = datetime(2026, 3, 2, 10, tzinfo=CHICAGO)
    one_pass = timedelta(seconds=SETTINGS.worker.plan_every_seconds)

    [ahead] = reminder_rows(facts, moment - timedelta(hours=3))
    [on_time] = reminder_rows(facts, moment + one_pass)
    [late] = reminder_rows(facts, moment + one_pass + timedelta(seconds=1))

    assert (ahead.status, ahead.reason, ahead.due_at) == ("planned", "", moment)
    assert (on_time.status, on_time.reason, on_time.due_at) == ("planned", "", moment)
    assert (late.status, late.reason) == ("skipped", TOO_LATE)


def test_an_unreachable_client_gets_one_skipped_reminder_per_visit_not_one_per_step():
    reminder = CATALOG.get("reminder")
    week_before = reminder.steps[0].model_copy(update={"key": "week-before", "days_before": 7})
    two_steps = Catalog((reminder.model_copy(update={"steps": (week_before, *reminder.steps)}),), {})
    reach = Reachability("active", "ann@example.com", "+16125550100", False, False, False, frozenset())
    december = [datetime(2026, 12, day, 15, tzinfo=CHICAGO).astimezone(timezone.utc) for day in (3, 17)]
    facts = client(reach=reach, visits=tuple(VisitFact(at, "booked") for at in december))

    first = reminder_rows(facts, datetime(2026, 11, 27, 12, tzinfo=CHICAGO), two_steps)
    second = reminder_rows(
        replace(facts, messages=as_existing(first)), datetime(2026, 12, 11, 12, tzinfo=CHICAGO), two_steps
    )
    again = reminder_rows(
        replace(facts, messages=as_existing(first + second)), datetime(2026, 12, 16, 12, tzinfo=CHICAGO), two_steps
    )

    assert [(m.cycle, m.step, m.status) for m in first + second] == [
        ("visit-20261203T2100", "week-before", "skipped"),
        ("visit-20261217T2100", "week-before", "skipped"),
    ]
    assert all(m.reason == "sms: no sms consent; email: no email consent" for m in first + second)
    assert again == []
