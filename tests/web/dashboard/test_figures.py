"""The report tables' figures: a whole number reads as one ("27 days", never "27.00"), shares as percentages."""

from __future__ import annotations

import pytest

from outreach.web.dashboard.routes.pages import templates


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("median", 27.0, "27"),
        ("median", 27.5, "27.5"),
        ("visits_per_client", 1.25, "1.25"),
        ("visits_per_client", 2.0 / 3, "0.67"),
        ("clients", 1234, "1,234"),
        ("quartile_1", 1234.5, "1,234.5"),
        ("improved_share", 0.25, "25.0%"),
    ],
)
def test_a_figure_reads_as_written_by_hand(name, value, shown):
    figures = templates.env.get_template("dashboard/figures.html").module

    assert str(figures.cell(name, value)) == shown
