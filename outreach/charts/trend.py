"""Week-by-week line charts for the reports: inline SVG drawn on the server, like the pain chart (chart.py).

The <title> and <desc> say in words what the lines show; each point has its own <title>; the same numbers are
in the table beside the chart (its id is given to aria-describedby), so nothing depends on seeing the picture."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 24, 70
SERIES_CLASSES = 6  # dashboard.css colours series-0 … series-5
MAX_TICKS = 5


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int | float, ...]


def trend_chart(
    name: str,
    title: str,
    weeks: list[date],
    series: list[Series],
    table_id: str,
    partial: frozenset[int] = frozenset(),
) -> Markup:
    """`partial`: the indexes of weeks the figures cover only part of (the current week, say), drawn dashed."""
    top, step = _scale(max((v for s in series for v in s.values if v is not None), default=0))
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{name}-title '
        f'{name}-desc" aria-describedby="{table_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<desc id="{name}-desc">{escape(describe(weeks, series, partial))}</desc>',
        *_grid(weeks, top, step),
        *(part for index, line in enumerate(series) for part in _line(index, line, weeks, top, partial)),
        *_legend(series, bool(partial)),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def partial_weeks(weeks: list[date], first_day: date, last_day: date) -> frozenset[int]:
    """The weeks (by the Monday that starts them) not wholly inside first_day…last_day."""
    return frozenset(
        index for index, monday in enumerate(weeks) if monday < first_day or monday + timedelta(days=6) > last_day
    )


def describe(weeks: list[date], series: list[Series], partial: frozenset[int] = frozenset()) -> str:
    if not weeks:
        return "No weeks in this period."
    sentences = [f"Weekly, {len(weeks)} weeks from the week of {_day(weeks[0])} to the week of {_day(weeks[-1])}."]
    if partial:
        named = ", ".join(f"the week of {_day(weeks[index])}" for index in sorted(partial))
        sentences.append(f"Partial, counting only the days in the period: {named}.")
    for line in series:
        values = [v or 0 for v in line.values]
        peak = max(range(len(values)), key=values.__getitem__)
        sentences.append(
            f"{line.label}: {_number(sum(values))} in all, most ({_number(values[peak])}) "
            f"in the week of {_day(weeks[peak])}, latest {_number(values[-1])}."
        )
    return " ".join(sentences)


def _scale(largest: float) -> tuple[int, int]:
    """The y axis's top and tick step: counts, so whole numbers, the step 1, 2 or 5 times a power of ten, at most
    MAX_TICKS steps."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            step = power * factor
            steps = max(1, math.ceil(largest / step))
            if steps <= MAX_TICKS:
                return step * steps, step
        power *= 10


def _x(index: int, count: int) -> float:
    share = index / (count - 1) if count > 1 else 0.5
    return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)


def _y(value: float, top: float) -> float:
    return round(TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM), 1)


def _grid(weeks: list[date], top: int, step: int) -> list[str]:
    parts = []
    for value in range(0, top + 1, step):
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{_number(value)}</text>')
    every = max(1, len(weeks) // 6)
    last = len(weeks) - 1
    for index in range(0, len(weeks), every):
        anchor = "start" if index == 0 else "end" if index == last else "middle"
        parts.append(
            f'<text class="axis" x="{_x(index, len(weeks))}" y="{HEIGHT - BOTTOM + 20}" '
            f'text-anchor="{anchor}">{_day(weeks[index])}</text>'
        )
    return parts


def _line(index: int, line: Series, weeks: list[date], top: float, partial: frozenset[int]) -> list[str]:
    kind = f"series-{index % SERIES_CLASSES}"
    points = [(_x(i, len(weeks)), _y(v or 0, top)) for i, v in enumerate(line.values)]
    parts = []
    # A segment touching a partial week is dashed: its fall is the week not being over, not fewer messages.
    for i in range(1, len(points)):
        (x1, y1), (x2, y2) = points[i - 1], points[i]
        dashed = " partial" if {i - 1, i} & partial else ""
        parts.append(f'<line class="trend-line {kind}{dashed}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    for i, ((x, y), week, value) in enumerate(zip(points, weeks, line.values, strict=False)):
        so_far = " so far (a partial week)" if i in partial else ""
        parts.append(
            f'<circle class="trend-point {kind}{" partial" if so_far else ""}" cx="{x}" cy="{y}" r="3.5">'
            f"<title>{escape(line.label)}, week of {_day(week)}{so_far}: {_number(value or 0)}</title></circle>"
        )
    return parts


def _legend(series: list[Series], with_partial: bool) -> list[str]:
    entries = [(f"series-{index % SERIES_CLASSES}", line.label) for index, line in enumerate(series)]
    if with_partial:
        entries.append(("series-5 partial", "partial week"))
    parts, x, y = [], LEFT, HEIGHT - 12
    for kind, label in entries:
        parts.append(f'<line class="trend-line {kind}" x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}"/>')
        parts.append(f'<text class="axis" x="{x + 28}" y="{y}">{escape(label)}</text>')
        x += 28 + len(label) * 7 + 24  # about 7 units per character at the axis font size
    return parts


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
