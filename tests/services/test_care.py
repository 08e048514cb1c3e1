"""Care outcomes on three clients with known histories: phases week by week, visits per month by phase, the
share improved by the taper's thresholds, and the days to tapering; stored and served again within the cache."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st
from sqlmodel import Session, select

from outreach.models import ProgressEntry, Visit
from outreach.policy.cadence import Score, VisitFact, assess, phases_at
from outreach.services.care import History, care_report, compute_care
from outreach.services.outcomes import Period
from outreach.settings import Cadence, Settings
from tests.helpers import add_client

MONDAY = datetime(2026, 3, 2, 16, tzinfo=timezone.utc)  # 10:00 in Chicago
NOW = datetime(2026, 3, 23, 18, tzinfo=timezone.utc)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 22))


def weekly(*pains: int, start: datetime = MONDAY) -> History:
    days = [start + timedelta(weeks=i) for i in range(len(pains))]
    scores = tuple(Score(d, p) for d, p in zip(days, pains, strict=True))
    return History(tuple(VisitFact(d, "attended") for d in days), scores)


CLIENTS = {
    "improving": weekly(8, 5, 4),  # 37.5% then 50% better: a moderate gain holds on 16 March, 14 days in
    "steady": weekly(6, 6, 5),
    "unscored": History((VisitFact(MONDAY + timedelta(days=1), "attended"),), ()),
}


def test_each_table_has_the_known_answer():
    report = compute_care(iter(CLIENTS.values()), Settings(), PERIOD, NOW)
    assert report.phases.records() == [
        {"week_of": "2026-03-02", "establishing": 3, "tapering": 0, "maintaining": 0, "lapsed": 0},
        {"week_of": "2026-03-09", "establishing": 3, "tapering": 0, "maintaining": 0, "lapsed": 0},
        {"week_of": "2026-03-16", "establishing": 2, "tapering": 1, "maintaining": 0, "lapsed": 0},
    ]
    march = [r for r in report.visits.records() if r["clients"]]
    assert march == [
        {"month": "2026-03", "phase": "establishing", "clients": 3, "visits": 7, "visits_per_client": 2.33}
    ]
    assert report.improvement.rows == [("at least 30%", 1, 2, 0.5), ("at least 50%", 1, 2, 0.5)]
    assert report.taper.rows == [(1, 14.0, 14.0, 14.0)]


def test_a_client_not_yet_seen_is_not_counted():
    later = weekly(7, start=MONDAY + timedelta(weeks=2))
    report = compute_care(iter([later]), Settings(), PERIOD, NOW)
    assert [r["establishing"] for r in report.phases.records()] == [0, 0, 1]


def test_the_report_is_stored_and_served_again_until_it_is_stale(ctx):
    client_id = add_client(ctx, at=MONDAY)
    with Session(ctx.engine) as session:
        for i, pain in enumerate((8, 5, 4)):
            at = MONDAY + timedelta(weeks=i)
            session.add(Visit(client_id=client_id, starts_at=at, status="attended"))
            session.add(ProgressEntry(client_id=client_id, recorded_at=at, pain=pain))
        session.commit()
        first = care_report(session, ctx.settings, PERIOD, NOW)
        assert first.taper.rows == [(1, 14.0, 14.0, 14.0)]
        session.add(Visit(client_id=client_id, starts_at=MONDAY + timedelta(days=1), status="attended"))
        session.commit()
        cached = care_report(session, ctx.settings, PERIOD, NOW + timedelta(minutes=5))
        assert cached.visits.rows == first.visits.rows and cached.computed_at == NOW
        fresh = care_report(session, ctx.settings, PERIOD, NOW + timedelta(hours=2))
        assert fresh.visits.records()[0]["visits"] == 4


def test_the_workers_refresh_leaves_the_default_period_ready(ctx):
    from outreach.models import ReportState
    from outreach.services.care import refresh_default_reports

    add_client(ctx, at=MONDAY)
    refresh_default_reports(ctx.engine, ctx.settings, NOW)
    with Session(ctx.engine) as session:
        keys = {row.key for row in session.exec(select(ReportState))}
    assert "care:2025-12-30:2026-03-23" in keys and "rollup:messages" in keys


visit_facts = st.lists(
    st.tuples(st.integers(0, 200), st.sampled_from(["attended", "booked", "cancelled", "no_show"])), max_size=15
)
score_facts = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 10)), max_size=15)


@given(
    visit_facts,
    score_facts,
    st.lists(st.integers(-10, 260), min_size=1, max_size=10),
    st.integers(0, 14),
    st.integers(20, 90),
)
@settings(max_examples=400, deadline=None)
def test_phases_at_each_moment_are_what_assess_says(visits, scores, moments, baseline_days, lapsed_after):
    cadence = Cadence(baseline_days=baseline_days, lapsed_after_days=lapsed_after)
    visit_list = [VisitFact(MONDAY + timedelta(days=d), status) for d, status in visits]
    score_list = [Score(MONDAY + timedelta(days=d, hours=i), pain) for i, (d, pain) in enumerate(scores)]
    instants = [MONDAY + timedelta(days=d) for d in moments]
    assert phases_at(visit_list, score_list, instants, cadence) == [
        assess(visit_list, score_list, at, cadence).phase for at in instants
    ]
