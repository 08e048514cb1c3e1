"""Week-by-week line charts for the reports: inline SVG drawn on the server, like the pain chart (chart.py).

The <title> and <desc> say in words what the lines show; each point has its own <title>; the same numbers are
in the table beside the chart (its id is given to aria-describedby), so nothing depends on seeing the picture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 24, 70
SERIES_CLASSES = 6  # dashboard.css colours series-0 … series-5


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int | float, ...]


def trend_chart(name: str, title: str, weeks: list[date], series: list[Series], table_id: str) -> Markup:
    top = _nice_top(max((v for s in series for v in s.values if v is not None), default=0))
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{name}-title '
        f'{name}-desc" aria-describedby="{table_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<desc id="{name}-desc">{escape(describe(weeks, series))}</desc>',
        *_grid(weeks, top),
        *(part for index, line in enumerate(series) for part in _line(index, line, weeks, top)),
        *_legend(series),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def describe(weeks: list[date], series: list[Series]) -> str:
    if not weeks:
        return "No weeks in this period."
    sentences = [f"Weekly, {len(weeks)} weeks from the week of {_day(weeks[0])} to the week of {_day(weeks[-1])}."]
    for line in series:
        values = [v or 0 for v in line.values]
        peak = max(range(len(values)), key=values.__getitem__)
        sentences.append(
            f"{line.label}: {_number(sum(values))} in all, most ({_number(values[peak])}) "
            f"in the week of {_day(weeks[peak])}, latest {_number(values[-1])}."
        )
    return " ".join(sentences)


def _nice_top(largest: float) -> float:
    """A round upper bound for the y axis: 1, 2 or 5 times a power of ten."""
    if largest <= 4:
        return 4  # whole numbers on every tick
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= largest:
                return step * factor
        step *= 10


def _x(index: int, count: int) -> float:
    share = index / (count - 1) if count > 1 else 0.5
    return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)


def _y(value: float, top: float) -> float:
    return round(TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM), 1)


def _grid(weeks: list[date], top: float) -> list[str]:
    parts = []
    for tick in range(5):
        value = top * tick / 4
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


def _line(index: int, line: Series, weeks: list[date], top: float) -> list[str]:
    kind = f"series-{index % SERIES_CLASSES}"
    points = [(_x(i, len(weeks)), _y(v or 0, top)) for i, v in enumerate(line.values)]
    parts = [f'<polyline class="trend-line {kind}" points="{" ".join(f"{x},{y}" for x, y in points)}"/>']
    for (x, y), week, value in zip(points, weeks, line.values, strict=False):
        parts.append(
            f'<circle class="trend-point {kind}" cx="{x}" cy="{y}" r="3.5">'
            f"<title>{escape(line.label)}, week of {_day(week)}: {_number(value or 0)}</title></circle>"
        )
    return parts


def _legend(series: list[Series]) -> list[str]:
    parts, x, y = [], LEFT, HEIGHT - 12
    for index, line in enumerate(series):
        kind = f"series-{index % SERIES_CLASSES}"
        parts.append(f'<line class="trend-line {kind}" x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}"/>')
        parts.append(f'<text class="axis" x="{x + 28}" y="{y}">{escape(line.label)}</text>')
        x += 28 + len(line.label) * 7 + 24  # about 7 units per character at the axis font size
    return parts


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
