"""The taper, as the front desk would describe it: weekly at first, less often as the client improves,
back to weekly (and flagged) when the gain is lost."""

from datetime import datetime, timedelta, timezone

import pytest

from outreach.policy.cadence import Score, VisitFact, assess, baseline_of, progress_level
from outreach.settings import Cadence

SETTINGS = Cadence()
START = datetime(2026, 1, 5, 15, tzinfo=timezone.utc)


def weekly(*pains: int) -> list[Score]:
    return [Score(START + timedelta(weeks=i), p) for i, p in enumerate(pains)]


def visits_each_week(weeks: int) -> list[VisitFact]:
    return [VisitFact(START + timedelta(weeks=i), "attended") for i in range(weeks)]


def state_after(pains, weeks=None):
    weeks = len(pains) if weeks is None else weeks
    now = START + timedelta(weeks=weeks - 1, hours=1)
    return assess(visits_each_week(weeks), weekly(*pains), now, SETTINGS)


def test_a_client_with_no_scores_is_establishing_weekly():
    state = state_after([], weeks=3)
    assert (state.phase, state.interval_days, state.worsening, state.baseline) == ("establishing", 7, False, None)


def test_one_score_sets_the_baseline_and_nothing_else():
    state = state_after([7])
    assert (state.phase, state.baseline) == ("establishing", 7)


def test_it_tapers_once_a_30_percent_gain_holds_over_two_checkins():
    assert state_after([8, 6]).phase == "establishing"  # one good check-in is not enough
    state = state_after([8, 6, 5])
    assert (state.phase, state.interval_days) == ("tapering", 14)


def test_two_points_count_as_moderate_even_below_30_percent():
    # 10 -> 8 is 20% but 2 points: IMMPACT's "or 2 points".
    assert state_after([10, 8, 8]).phase == "tapering"


def test_it_moves_to_maintaining_once_a_50_percent_gain_holds():
    assert state_after([8, 5, 5, 4]).phase == "tapering"
    state = state_after([8, 5, 5, 4, 3])
    assert (state.phase, state.interval_days) == ("maintaining", 28)


def test_a_single_bad_checkin_is_noise():
    state = state_after([8, 3, 3, 7, 3])
    assert (state.phase, state.worsening) == ("maintaining", False)


def test_losing_the_gain_steps_back_to_weekly_and_flags_worsening():
    state = state_after([8, 4, 4, 7, 8])
    assert (state.phase, state.interval_days, state.worsening) == ("establishing", 7, True)
    assert "Worsening" in state.explanation


def test_slipping_from_substantial_to_moderate_steps_back_one_phase_without_a_flag():
    state = state_after([8, 3, 3, 5, 5])
    assert (state.phase, state.worsening) == ("tapering", False)


def test_the_flag_clears_when_a_gain_holds_again():
    state = state_after([8, 4, 4, 8, 8, 5, 5])
    assert (state.phase, state.worsening) == ("tapering", False)


def test_getting_worse_than_baseline_flags_even_while_establishing():
    state = state_after([4, 6, 7])
    assert (state.phase, state.worsening) == ("establishing", True)


def test_baseline_is_the_median_of_the_first_days():
    scores = [
        Score(START, 9),
        Score(START + timedelta(days=2), 6),
        Score(START + timedelta(days=4), 7),
        Score(START + timedelta(days=10), 4),
    ]
    baseline, checkins = baseline_of(scores, SETTINGS)
    assert baseline == 7
    assert [s.pain for s in checkins] == [4]


def test_gaps_between_checkins_do_not_matter():
    scores = [Score(START, 8), Score(START + timedelta(days=60), 5), Score(START + timedelta(days=150), 5)]
    assert progress_level(scores, SETTINGS)[0] == 1


def test_a_zero_baseline_never_tapers_on_relative_gain():
    assert state_after([0, 0, 0]).phase == "establishing"


def test_scores_in_the_future_are_ignored():
    scores = weekly(8, 4, 4)
    state = assess(visits_each_week(1), scores, START + timedelta(days=1), SETTINGS)
    assert state.phase == "establishing" and state.latest == 8


def test_no_visit_for_60_days_and_none_booked_is_lapsed():
    visits = [VisitFact(START, "attended")]
    state = assess(visits, [], START + timedelta(days=60), SETTINGS)
    assert (state.phase, state.interval_days) == ("lapsed", None)


def test_a_booked_visit_keeps_a_long_absent_client_from_lapsing():
    visits = [VisitFact(START, "attended"), VisitFact(START + timedelta(days=70), "booked")]
    state = assess(visits, [], START + timedelta(days=65), SETTINGS)
    assert state.phase == "establishing"
    assert state.next_booked == START + timedelta(days=70)


def test_cancelled_and_no_show_visits_do_not_count_as_attended():
    visits = [
        VisitFact(START, "attended"),
        VisitFact(START + timedelta(days=30), "cancelled"),
        VisitFact(START + timedelta(days=40), "no_show"),
    ]
    state = assess(visits, [], START + timedelta(days=61), SETTINGS)
    assert state.last_attended == START and state.phase == "lapsed"


@pytest.mark.parametrize(
    "looser, stricter, pains",
    [
        (Cadence(taper_relative=0.2, taper_points=5), Cadence(taper_points=5), (10, 8, 8)),
        (Cadence(taper_points=1), Cadence(), (10, 9, 9)),
    ],
)
def test_every_threshold_is_a_setting(looser, stricter, pains):
    now = START + timedelta(weeks=2, hours=1)
    assert assess(visits_each_week(3), weekly(*pains), now, looser).phase == "tapering"
    assert assess(visits_each_week(3), weekly(*pains), now, stricter).phase == "establishing"
