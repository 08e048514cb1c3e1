"""The reports' week-by-week chart: whole counts on the y axis, and a week the period covers only in part drawn as
partial rather than as a fall."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta

import pytest

from outreach.charts.trend import Series, partial_weeks, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
MONDAYS = [date(2026, 3, 2) + timedelta(weeks=i) for i in range(4)]


def parse(values: tuple[int, ...], partial: frozenset[int] = frozenset()) -> ElementTree.Element:
    chart = trend_chart("c", "Clients", MONDAYS[: len(values)], [Series("Clients", values)], "t", partial)
    return ElementTree.fromstring(str(chart))


def y_labels(svg: ElementTree.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end" and t.get("y") != "250"]


@pytest.mark.parametrize("largest", [0, 1, 3, 5, 7, 13, 38, 99, 1234])
def test_every_y_tick_is_a_whole_count_and_the_top_holds_the_largest(largest):
    labels = y_labels(parse((0, largest)))

    numbers = [int(label.replace(",", "")) for label in labels]  # int() refuses "3.75"
    assert numbers[0] == 0 and numbers[-1] >= largest
    assert 2 <= len(numbers) <= 6
    assert len({b - a for a, b in zip(numbers, numbers[1:], strict=False)}) == 1  # evenly spaced


def test_a_partial_week_is_dashed_and_said_to_be_partial():
    svg = parse((4, 6, 5, 1), partial=frozenset({3}))

    dashed = [line for line in svg.iter(f"{SVG}line") if "partial" in line.get("class", "")]
    solid = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "trend-line series-0"]
    points = [c for c in svg.iter(f"{SVG}circle") if "partial" in c.get("class", "")]
    assert len(dashed) == 2  # the segment into the last week, and the legend's sample
    assert len(solid) == 3  # two whole segments and the legend's line
    assert [p.find(f"{SVG}title").text for p in points] == ["Clients, week of 23 Mar 2026 so far (a partial week): 1"]
    assert "Partial, counting only the days in the period: the week of 23 Mar 2026." in svg.find(f"{SVG}desc").text
    assert any(t.text == "partial week" for t in svg.iter(f"{SVG}text"))


def test_without_partial_weeks_nothing_is_dashed():
    svg = parse((4, 6, 5, 1))

    assert not [e for e in svg.iter() if "partial" in (e.get("class") or "")]


def test_the_weeks_a_period_covers_only_in_part():
    # From Wednesday 4 March to Tuesday 24 March: the first and the last week are cut.
    assert partial_weeks(MONDAYS, date(2026, 3, 4), date(2026, 3, 24)) == {0, 3}
    assert partial_weeks(MONDAYS, date(2026, 3, 2), date(2026, 3, 29)) == frozenset()
