"""The pain chart: well-formed SVG, scores placed where they belong, and words for screen readers."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from zoneinfo import ZoneInfo

from outreach.charts.pain import ChartData, Mark, Point
from outreach.charts.pain import describe, pain_chart
from tests.conftest import utc

SVG = "{http://www.w3.org/2000/svg}"
CHICAGO = ZoneInfo("America/Chicago")
NOW = utc(2026, 3, 2, 15, 0)


def weekly(*pains: int) -> tuple[Point, ...]:
    return tuple(Point(NOW - timedelta(weeks=len(pains) - 1 - i), pain) for i, pain in enumerate(pains))


def parse(data: ChartData, baseline: float | None = None) -> ElementTree.Element:
    return ElementTree.fromstring(str(pain_chart(data, CHICAGO, NOW, baseline)))


def test_it_draws_higher_pain_higher_up_and_later_scores_further_right():
    svg = parse(ChartData(weekly(8, 2, 5), (), ()))

    points = [
        (float(c.get("cx")), float(c.get("cy"))) for c in svg.iter(f"{SVG}circle") if c.get("class") == "pain-point"
    ]

    assert len(points) == 3
    assert points[0][0] < points[1][0] < points[2][0]
    assert points[0][1] < points[2][1] < points[1][1]  # 8 above 5 above 2


def test_it_gives_every_mark_a_tooltip():
    data = ChartData(
        weekly(6),
        (
            Mark(NOW - timedelta(days=2), "attended"),
            Mark(NOW + timedelta(days=5), "booked"),
            Mark(NOW - timedelta(days=9), "no_show"),
        ),
        (Mark(NOW - timedelta(days=1), "sms"),),
    )
    svg = parse(data)

    titles = [t.text for t in svg.iter(f"{SVG}title")]

    assert titles[0] == "Pain over time, with visits and messages"
    assert "2 Mar 2026: pain 6 of 10" in titles
    assert {
        "Visit attended, 28 Feb 2026",
        "Visit booked, 7 Mar 2026",
        "Visit no-show, 21 Feb 2026",
        "Text sent, 1 Mar 2026",
    } <= set(titles)


def test_it_describes_the_chart_in_words():
    data = ChartData(
        weekly(7, 5, 4), (Mark(NOW, "attended"), Mark(NOW, "attended"), Mark(NOW, "cancelled")), (Mark(NOW, "email"),)
    )

    assert describe(data, CHICAGO, 7.0) == (
        "3 pain scores (0 to 10) from 16 Feb 2026 to 2 Mar 2026: first 7, latest 4, baseline 7. "
        "Marked: 3 visits (2 attended, 1 cancelled) and 1 message sent."
    )


def test_it_says_so_when_there_is_nothing_to_draw():
    svg = parse(ChartData((), (), ()))

    assert svg.find(f"{SVG}desc").text == "Nothing recorded yet: no pain scores, visits or messages."
    assert not [c for c in svg.iter(f"{SVG}polyline")]


def test_it_marks_the_baseline():
    svg = parse(ChartData(weekly(6, 4), (), ()), baseline=6.0)

    lines = [
        line
        for line in svg.iter(f"{SVG}line")
        if line.get("class") == "baseline" and line.find(f"{SVG}title") is not None
    ]

    assert [line.find(f"{SVG}title").text for line in lines] == ["Baseline 6"]


def _shape(element: ElementTree.Element) -> tuple[str, str]:
    """What a reader tells marks apart by: the element drawn and its styling class (fill, stroke)."""
    return element.tag.removeprefix(SVG), [c for c in (element.get("class") or "").split() if c != "legend"][-1]


def test_every_legend_entry_has_a_shape_of_its_own_and_pain_scores_have_one():
    svg = parse(ChartData(weekly(6), (Mark(NOW + timedelta(days=5), "booked"),), ()))
    legend = [
        e
        for e in svg
        if e.tag != f"{SVG}title"
        and float(e.get("cy") or e.get("y") or e.get("y1") or 0) > 270
        and e.tag != f"{SVG}text"
    ]
    labels = [t.text for t in svg.iter(f"{SVG}text") if float(t.get("y")) > 270]
    booked = [e for e in svg.iter() if "visit-booked" in (e.get("class") or "")]

    assert "pain score" in labels and "booked" in labels
    assert len({_shape(e) for e in legend}) == len(legend)
    hollow_pain = _shape(next(e for e in svg.iter(f"{SVG}circle") if e.get("class") == "pain-point"))
    assert all(_shape(e)[0] != hollow_pain[0] for e in booked)
