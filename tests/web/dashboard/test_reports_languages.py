"""The campaign report's split by language: each language named, in a table of its own and as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.desk import Desk, page_text
from tests.services.test_outcomes_languages import settings, spoken  # noqa: F401  (fixtures)


@pytest.fixture
def marketing(desk, spoken) -> Desk:  # noqa: F811
    return desk.sign_in_as("marketing")


def test_the_report_names_each_language_with_its_figures(marketing):
    response = marketing.get("/reports")
    text = page_text(response)
    assert response.status_code == 200
    section = text.split("By language", 1)[1]
    # language, tag, sent, delivered, rebooked
    assert re.search(r"English en 3 0 1 Spanish es 3 2 2 Not recorded 1 0 0", section), section[:300]
    assert 'id="table-languages"' in response.text


def test_the_languages_download_as_csv(marketing):
    response = marketing.get("/reports/languages.csv?from=2026-03-02&to=2026-03-15")
    assert response.status_code == 200
    assert 'filename="languages-2026-03-02-to-2026-03-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["language"], r["tag"], r["sent"], r["delivered"], r["rebooked"]) for r in rows] == [
        ("English", "en", "3", "0", "1"),
        ("Spanish", "es", "3", "2", "2"),
        ("Not recorded", "", "1", "0", "0"),
    ]
