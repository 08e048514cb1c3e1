"""Properties of the pure rules, checked on thousands of generated cases: the taper, send windows and caps."""

from __future__ import annotations

import heapq
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings, strategies as st

from outreach.campaigns import Campaign
from outreach.policy.cadence import (
    ESTABLISHING,
    MAINTAINING,
    TAPERING,
    Score,
    assess,
    baseline_of,
    interval_for,
    level_of,
    progress_level,
)
from outreach.policy.caps import DAY, WEEK, cap_delay
from outreach.policy.schedule import window_deferral
from outreach.policy.windows import WEEKDAYS, SendWindow, next_allowed
from outreach.settings import Cadence, Settings

START = datetime(2026, 1, 5, 15, tzinfo=timezone.utc)
ZONES = sorted(available_timezones())

# --- strategies ------------------------------------------------------------------------------------------

pains = st.integers(min_value=0, max_value=10)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(timezone.utc)
)
zones = st.sampled_from(ZONES)


@st.composite
def cadences(draw) -> Cadence:
    """Any valid [cadence] settings: intervals that grow, a maintain threshold at least the taper one."""
    establishing = draw(st.integers(1, 30))
    tapering = draw(st.integers(establishing, 60))
    maintaining = draw(st.integers(tapering, 120))
    taper_relative = draw(st.floats(0.05, 0.9))
    maintain_relative = draw(st.floats(taper_relative, 0.95))
    return Cadence(
        establishing_days=establishing,
        tapering_days=tapering,
        maintaining_days=maintaining,
        taper_relative=taper_relative,
        maintain_relative=maintain_relative,
        taper_points=draw(st.sampled_from([1, 1.5, 2, 3])),
        baseline_days=draw(st.integers(0, 14)),
    )


@st.composite
def score_histories(draw, min_size: int = 1) -> list[Score]:
    """Scores in time order, a few hours to a few weeks apart (so some fall inside the baseline days)."""
    values = draw(st.lists(pains, min_size=min_size, max_size=14))
    gaps = draw(st.lists(st.integers(1, 24 * 30), min_size=len(values), max_size=len(values)))
    at, history = START, []
    for value, hours in zip(values, gaps, strict=True):
        history.append(Score(at, value))
        at += timedelta(hours=hours)
    return history


@st.composite
def windows(draw) -> SendWindow:
    """Local hours at least two long (a shorter one could fall wholly inside a DST gap) on some weekdays."""
    start = draw(st.integers(0, 22 * 60 - 1))
    end = draw(st.integers(start + 120, 24 * 60 - 1))
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    return SendWindow(time(start // 60, start % 60), time(end // 60, end % 60), tuple(days))


def phase_after(history: list[Score], cadence: Cadence) -> str:
    """The phase just after the last score (no visits: never lapsed)."""
    return assess((), history, history[-1].recorded_at + timedelta(hours=1), cadence).phase


LEVEL_OF_PHASE = {ESTABLISHING: 0, TAPERING: 1, MAINTAINING: 2}

# --- the taper ---------------------------------------------------------------------------------------------


@given(score_histories(min_size=2), cadences())
def test_it_never_skips_from_establishing_to_maintaining_without_two_substantial_checkins_in_a_row(history, cadence):
    for count in range(2, len(history) + 1):
        before, after = phase_after(history[: count - 1], cadence), phase_after(history[:count], cadence)
        if (before, after) == (ESTABLISHING, MAINTAINING):
            baseline, checkins = baseline_of(history[:count], cadence)
            assert len(checkins) >= 2
            assert [level_of(s.pain, baseline, cadence) for s in checkins[-2:]] == [2, 2]


@given(score_histories(min_size=2), cadences())
def test_it_moves_up_a_phase_only_when_the_new_level_held_over_the_last_two_checkins(history, cadence):
    for count in range(2, len(history) + 1):
        before = LEVEL_OF_PHASE[phase_after(history[: count - 1], cadence)]
        after = LEVEL_OF_PHASE[phase_after(history[:count], cadence)]
        if after > before:
            baseline, checkins = baseline_of(history[:count], cadence)
            assert min(level_of(s.pain, baseline, cadence) for s in checkins[-2:]) >= after


@given(st.lists(pains, min_size=1, max_size=4), st.lists(st.integers(0, 10), max_size=12), cadences())
def test_it_never_tapers_while_every_checkin_is_at_or_above_baseline(initial, worse_by, cadence):
    first_days = [Score(START + timedelta(hours=i), pain) for i, pain in enumerate(initial)]
    baseline, _ = baseline_of(first_days, cadence.model_copy(update={"baseline_days": 1}))
    floor = -(-baseline // 1)  # the smallest whole score at or above the baseline
    later = [Score(START + timedelta(days=2 + 7 * i), int(min(10, floor + extra))) for i, extra in enumerate(worse_by)]
    state = assess((), first_days + later, START + timedelta(days=400), cadence.model_copy(update={"baseline_days": 1}))
    assert (state.phase, state.interval_days) == (ESTABLISHING, cadence.establishing_days)


@given(score_histories(), cadences())
def test_the_interval_follows_the_phase_and_grows_with_it(history, cadence):
    state = assess((), history, history[-1].recorded_at + timedelta(hours=1), cadence)
    intervals = [interval_for(phase, cadence) for phase in (ESTABLISHING, TAPERING, MAINTAINING)]
    assert intervals == sorted(intervals)
    assert state.interval_days == interval_for(state.phase, cadence)


@given(score_histories(), cadences())
def test_the_level_walk_and_the_phase_agree(history, cadence):
    level, _, _ = progress_level(history, cadence)
    assert LEVEL_OF_PHASE[phase_after(history, cadence)] == level


# --- send windows and quiet hours ----------------------------------------------------------------------------


@settings(max_examples=300)
@given(instants, zones, windows())
def test_the_next_allowed_instant_is_never_early_always_inside_the_window_and_within_eight_days(at, zone, window):
    allowed = next_allowed(at, zone, window)
    local = allowed.astimezone(ZoneInfo(zone))
    assert allowed.tzinfo is not None and allowed.utcoffset() == timedelta(0)
    assert at <= allowed < at + timedelta(days=8)
    assert window.start <= local.time() < window.end
    assert WEEKDAYS[local.weekday()] in window.weekdays


@given(instants, zones, windows())
def test_an_allowed_instant_is_allowed_as_it_is(at, zone, window):
    allowed = next_allowed(at, zone, window)
    assert next_allowed(allowed, zone, window) == allowed


@given(instants, zones)
def test_a_text_is_deferred_exactly_when_it_falls_in_quiet_hours(at, zone):
    campaign = Campaign.model_validate(
        {
            "name": "lessons",
            "title": "Lessons",
            "stream": "education",
            "steps": [{"key": "one", "template": "one", "channels": ["sms"]}],
        }
    )
    quiet = Settings().quiet_hours
    local = at.astimezone(ZoneInfo(zone)).time()
    deferred = window_deferral(campaign, "sms", zone, at, Settings())
    assert (deferred is None) == (quiet.start <= local < quiet.end)
    if deferred is not None:
        until, reason = deferred
        assert until > at and quiet.start <= until.astimezone(ZoneInfo(zone)).time() < quiet.end
        assert zone in reason


# --- frequency caps ---------------------------------------------------------------------------------------


def simulate_sends(requests: list[tuple[datetime, str]], per_week: int, per_day: int) -> list[tuple[datetime, str]]:
    """Send each request as soon as the caps allow, earliest due first, as the dispatcher would."""
    queue = [(due, n, channel) for n, (due, channel) in enumerate(requests)]
    heapq.heapify(queue)
    sent: list[tuple[datetime, str]] = []
    while queue:
        due, n, channel = heapq.heappop(queue)
        held = cap_delay([t for t, _ in sent], [t for t, c in sent if c == "sms"], channel, due, per_week, per_day)
        if held is None:
            sent.append((due, channel))
            continue
        until, _ = held
        assert until > due, "a held message must be released later, or it would spin"
        heapq.heappush(queue, (until, n, channel))
    return sent


def most_in_any_window(times: list[datetime], window: timedelta) -> int:
    """The largest number of instants in any rolling (t - window, t]."""
    return max((sum(1 for other in times if t - window < other <= t) for t in times), default=0)


@st.composite
def send_requests(draw) -> list[tuple[datetime, str]]:
    offsets = draw(st.lists(st.integers(0, 60 * 24 * 21), min_size=1, max_size=25))
    channels = draw(st.lists(st.sampled_from(["sms", "email"]), min_size=len(offsets), max_size=len(offsets)))
    return [(START + timedelta(minutes=m), c) for m, c in zip(offsets, channels, strict=True)]


@settings(max_examples=200)
@given(send_requests(), st.integers(1, 5), st.integers(1, 3))
def test_simulated_sends_never_exceed_the_caps_in_any_rolling_window(requests, per_week, per_day):
    sent = simulate_sends(requests, per_week, per_day)
    assert len(sent) == len(requests)
    assert most_in_any_window([t for t, _ in sent], WEEK) <= per_week
    assert most_in_any_window([t for t, c in sent if c == "sms"], DAY) <= per_day


@given(st.integers(1, 5), st.integers(1, 3), st.data())
def test_nothing_is_held_back_while_the_caps_have_room(per_week, per_day, data):
    emails = data.draw(st.integers(0, per_week - 1))
    texts = min(per_day, per_week - emails)
    offsets = data.draw(st.lists(st.integers(0, 60 * 24 * 6), min_size=emails + texts, max_size=emails + texts))
    requests = [(START + timedelta(minutes=m), "email" if n < emails else "sms") for n, m in enumerate(offsets)]
    sent = simulate_sends(requests, per_week, per_day)
    assert sorted(t for t, _ in sent) == sorted(d for d, _ in requests)


@given(st.text(max_size=3000))
def test_the_outbox_writes_base64_as_the_email_package_does(body):
    import base64

    from outreach.channels.outbox import _base64

    assert _base64(body) == base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
