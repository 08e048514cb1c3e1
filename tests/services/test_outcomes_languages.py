"""The report's split by language: sent and delivered by the language each message went out in, rebooked by the
client's language; every language named; the same totals as the per-step table; a rollup counted before the split
is counted again."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from outreach.models import Message, ReportDay, ReportState
from outreach.services.conversations import REPLY_CAMPAIGN, REPLY_STREAM
from outreach.services.outcomes import Period
from tests.conftest import make_settings
from tests.helpers import add_client
from tests.services.test_outcomes import DAY, PERIOD, message, report, visit


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, languages={"served": ["en", "es"]})


@pytest.fixture
def spoken(ctx):
    """An English client and three Spanish ones; one Spanish client's nudge went out in English (no translation)."""
    ann, lucia, jose, maria = (
        add_client(ctx, external_id, at=DAY, phone=f"+1612555{i:04d}", language=language)
        for i, (external_id, language) in enumerate((("ann", "en"), ("lucia", "es"), ("jose", "es"), ("maria", "es")))
    )
    with Session(ctx.engine) as session:
        nudges = {
            ann: message(session, ann, language="en"),
            lucia: message(session, lucia, status="delivered", language="es"),
            jose: message(session, jose, language="es"),
            maria: message(session, maria, language="en"),
        }
        for client in (ann, lucia, maria):  # jose does not come back
            visit(session, client, nudges[client].sent_at + timedelta(days=2), "booked")
        message(
            session, lucia, "education", "pain-cycle", "delivered", channel="email", to="l@example.com", language="es"
        )
        message(session, jose, "education", "pain-cycle", "skipped", sent=False, reason="Capped", language="es")
        message(session, ann, "education", "circulation", language="")  # sent before languages were recorded
        message(session, jose, REPLY_CAMPAIGN, "reply", stream=REPLY_STREAM, language="")  # a person wrote it
        session.commit()
    return ann, lucia, jose, maria


def _by_language(ctx, period=PERIOD):
    return {row["language"]: row for row in report(ctx, period).languages.records()}


def test_sent_and_delivered_follow_the_message_and_rebooked_the_client(ctx, spoken):
    rows = _by_language(ctx)
    assert list(rows) == ["English", "Spanish", "Not recorded"]
    figures = {name: (r["tag"], r["sent"], r["delivered"], r["rebooked"]) for name, r in rows.items()}
    # English: Ann's nudge, María's nudge (sent in English) and a lesson sent before languages were recorded;
    # rebooked: Ann only, since María reads Spanish.
    assert figures["English"] == ("en", 3, 0, 1)
    # Spanish: Lucía's nudge and lesson (both delivered) and José's nudge; rebooked: Lucía and María.
    assert figures["Spanish"] == ("es", 3, 2, 2)
    assert figures["Not recorded"] == ("", 1, 0, 0)  # the reply a person wrote


def test_the_languages_add_up_to_the_steps(ctx, spoken):
    result = report(ctx)
    for name in ("sent", "delivered", "rebooked"):
        by_step = sum(row[name] or 0 for row in result.steps.records())
        assert sum(row[name] for row in result.languages.records()) == by_step, name


def test_every_served_language_has_a_row_and_others_follow_named(ctx, spoken):
    with Session(ctx.engine) as session:
        message(session, spoken[0], "education", "trigger-points", "delivered", language="fr")
        session.commit()
    rows = report(ctx).languages.records()
    assert [(r["language"], r["tag"]) for r in rows] == [
        ("English", "en"),
        ("Spanish", "es"),
        ("French", "fr"),
        ("Not recorded", ""),
    ]
    empty = report(ctx, Period(date(2026, 1, 5), date(2026, 1, 11))).languages.records()
    assert [(r["language"], r["sent"], r["delivered"], r["rebooked"]) for r in empty] == [
        ("English", 0, 0, 0),
        ("Spanish", 0, 0, 0),
    ]


def test_a_language_recorded_later_reaches_the_report(ctx, spoken):
    assert _by_language(ctx)["Spanish"]["delivered"] == 2
    with Session(ctx.engine) as session:
        changed = session.exec(select(Message).where(Message.client_id == spoken[2], Message.step == "nudge")).one()
        changed.status, changed.updated_at = "delivered", DAY + timedelta(days=1)
        session.add(changed)
        session.commit()
    assert _by_language(ctx)["Spanish"]["delivered"] == 3


def test_a_rollup_counted_before_the_split_is_counted_again(ctx, spoken):
    report(ctx)
    with Session(ctx.engine) as session:
        # As an older version left it: sent, delivered and rebooked counted without a language, and its own mark.
        split = session.exec(select(ReportDay).where(ReportDay.metric.in_(("sent", "delivered", "rebooked")))).all()
        whole = Counter()
        for row in split:
            whole[row.day, row.campaign, row.step, row.metric] += row.count
            session.delete(row)
        session.flush()
        for (day, campaign, step, metric), count in whole.items():
            session.add(ReportDay(day=day, campaign=campaign, step=step, metric=metric, detail="", count=count))
        mark = session.get(ReportState, "rollup:counting")
        reports = ctx.settings.reports
        mark.value = f"{ctx.settings.clinic.timezone}|{reports.attribution_days}|{reports.visits_window_days}"
        session.add(mark)
        session.commit()
    rows = _by_language(ctx)
    assert (rows["Spanish"]["sent"], rows["Spanish"]["rebooked"], rows["English"]["sent"]) == (3, 2, 3)
