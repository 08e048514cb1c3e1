"""The report pages: campaign outcomes for marketing and admins, care outcomes for the front desk and admins,
figures only, accessible charts, and every table as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.services.test_outcomes import seeded  # noqa: F401  (fixture)
from tests.desk import Desk, page_text


@pytest.fixture
def marketing(desk, seeded) -> Desk:  # noqa: F811
    return desk.sign_in_as("marketing")


def test_marketing_sees_each_step_in_figures_and_no_client(marketing):
    response = marketing.get("/reports")
    text = page_text(response)
    assert response.status_code == 200
    row = re.search(r"rebook nudge ([\d ]+)", text).group(1).split()
    assert row[:4] == ["6", "5", "1", "1"]  # planned, sent, delivered, failed
    assert "No email consent 2" in text
    assert "Ann" not in text and "+1612555" not in text and "/clients/" not in response.text


def test_each_chart_says_what_it_shows_and_points_at_its_table(marketing):
    page = marketing.get("/reports").text
    charts = re.findall(r"<svg [^>]*>", page)
    assert len(charts) == 2
    for chart in charts:
        assert 'role="img"' in chart and 'aria-describedby="table-weeks"' in chart
    assert 'id="table-weeks"' in page
    assert re.search(
        r"<desc id=\"sent-chart-desc\">Weekly, 13 weeks .*Sent: 9 in all, most \(8\) in the week of "
        r"2 Mar 2026",
        page,
    )


def test_every_table_downloads_as_csv(marketing):
    for name in ("steps", "skipped", "weeks", "holdout"):
        response = marketing.get(f"/reports/{name}.csv?from=2026-03-02&to=2026-03-15")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert f'filename="{name}-2026-03-02-to-2026-03-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(marketing.get("/reports/steps.csv").text)))
    nudge = next(r for r in rows if r["step"] == "nudge")
    assert (nudge["planned"], nudge["sent"], nudge["rebooked"]) == ("6", "5", "2")
    assert marketing.get("/reports/nothing.csv").status_code == 404


def test_a_bad_period_is_named(marketing):
    response = marketing.get("/reports?from=2026-03-09&to=2026-03-01")
    assert response.status_code == 400
    assert "ends (2026-03-01) before it starts (2026-03-09)" in page_text(response)


def test_who_sees_which_report(desk, seeded):  # noqa: F811
    desk.sign_in_as("front_desk")
    assert desk.get("/reports").status_code == 403
    care = desk.get("/care")
    assert care.status_code == 200 and "Clients per phase" in care.text
    assert desk.get("/care/phases.csv").text.startswith("week_of,establishing,tapering,maintaining,lapsed")


def test_marketing_cannot_open_care_outcomes(marketing):
    assert marketing.get("/care").status_code == 403
    assert marketing.get("/care/improvement.csv").status_code == 403


def test_the_campaign_list_says_which_campaign_holds_clients_out(marketing):
    from outreach.simulation import with_holdout

    marketing.ctx.__dict__["catalog"] = with_holdout(marketing.ctx.catalog, "rebook", 10)
    text = page_text(marketing.get("/campaigns"))
    assert text.count("holds out 10% of clients to measure it") == 1
