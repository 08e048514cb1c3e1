"""The pain chart on a client's page: inline SVG drawn on the server, readable without JavaScript.

Scores (0-10) are a line; visits are marked along the bottom, messages along the top. The <title> and <desc>
say in words what the picture shows, for screen readers; each mark has its own <title> as a tooltip."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup


@dataclass(frozen=True)
class Point:
    at: datetime
    value: int


@dataclass(frozen=True)
class Mark:
    at: datetime
    kind: str  # a visit's status, or a message's channel


@dataclass(frozen=True)
class ChartData:
    scores: tuple[Point, ...]
    visits: tuple[Mark, ...]
    messages: tuple[Mark, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.scores or self.visits or self.messages)


LEFT, RIGHT, TOP, PLOT_BOTTOM = 48, 24, 36, 224  # the plot area's edges; the legend's rows go below it
MESSAGE_ROW, VISIT_ROW, DATE_ROW, LEGEND_ROW = TOP - 16, PLOT_BOTTOM + 16, PLOT_BOTTOM + 42, PLOT_BOTTOM + 60
LEGEND_LINE = 22
VISIT_WORDS = {"attended": "attended", "booked": "booked", "cancelled": "cancelled", "no_show": "no-show"}


@dataclass(frozen=True)
class Layout:
    """A drawing's width in SVG units, its date ticks, and its text's width per character (dashboard.css sets the
    font size: larger in the narrow drawing, which a phone shrinks less)."""

    width: int
    ticks: int
    char: float
    css: str = "chart"


WIDE = Layout(1000, 6, 7)
NARROW = Layout(440, 2, 8.6, "chart chart-narrow")


@dataclass(frozen=True)
class Frame:
    """Maps instants and scores to SVG coordinates."""

    start: datetime
    end: datetime
    width: int = WIDE.width

    def x(self, at: datetime) -> float:
        share = (at - self.start) / (self.end - self.start)
        return round(LEFT + share * (self.width - LEFT - RIGHT), 1)

    @staticmethod
    def y(pain: float) -> float:
        return round(TOP + (10 - pain) / 10 * (PLOT_BOTTOM - TOP), 1)


def pain_charts(data: ChartData, zone: ZoneInfo, now: datetime, baseline: float | None = None) -> Markup:
    """The chart drawn twice, for a wide screen and for a phone; dashboard.css shows the one that fits."""
    wide = pain_chart(data, zone, now, baseline, layout=replace(WIDE, css="chart chart-wide"))
    return wide + pain_chart(data, zone, now, baseline, name="pain-chart-narrow", layout=NARROW)


def pain_chart(
    data: ChartData,
    zone: ZoneInfo,
    now: datetime,
    baseline: float | None = None,
    name: str = "pain-chart",
    layout: Layout = WIDE,
) -> Markup:
    frame = _frame(data, now, layout.width)
    legend, height = _legend(layout)
    parts = [
        f'<svg class="{layout.css}" viewBox="0 0 {layout.width} {height}" role="img" '
        f'aria-labelledby="{name}-title {name}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{name}-title">Pain over time, with visits and messages</title>',
        f'<desc id="{name}-desc">{escape(describe(data, zone, baseline))}</desc>',
        *_grid(frame, zone, layout.ticks),
        *_today(frame, now),
        *_baseline(baseline, layout.width),
        *_scores(data, frame, zone),
        *(_visit(mark, frame, zone) for mark in data.visits),
        *(_message(mark, frame, zone) for mark in data.messages),
        *legend,
        "</svg>",
    ]
    return Markup("\n".join(parts))


def describe(data: ChartData, zone: ZoneInfo, baseline: float | None) -> str:
    """The chart in one or two sentences."""
    if data.is_empty:
        return "Nothing recorded yet: no pain scores, visits or messages."
    sentences = []
    if data.scores:
        first, last = data.scores[0], data.scores[-1]
        sentences.append(
            f"{_count(len(data.scores), 'pain score')} (0 to 10) from "
            f"{_day(first.at, zone)} to {_day(last.at, zone)}: first {first.value}, latest {last.value}"
            + (f", baseline {baseline:g}." if baseline is not None else ".")
        )
    else:
        sentences.append("No pain scores yet.")
    visits = Counter(VISIT_WORDS.get(mark.kind, mark.kind) for mark in data.visits)
    summary = ", ".join(f"{count} {word}" for word, count in sorted(visits.items()))
    visits_marked = f"{_count(len(data.visits), 'visit')} ({summary})" if data.visits else "no visits"
    messages_marked = f"{_count(len(data.messages), 'message')} sent" if data.messages else "no messages"
    sentences.append(f"Marked: {visits_marked} and {messages_marked}.")
    return " ".join(sentences)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _frame(data: ChartData, now: datetime, width: int) -> Frame:
    moments = [p.at for p in data.scores] + [m.at for m in data.visits] + [m.at for m in data.messages]
    end = max([*moments, now])
    start = min(moments, default=end)
    start = min(start, end - timedelta(days=7))
    pad = (end - start) * 0.03
    try:
        return Frame(start - pad, end + pad, width)
    except OverflowError:  # an imported date near year 1 or 9999: draw it at the edge rather than fail
        return Frame(start, end, width)


def _grid(frame: Frame, zone: ZoneInfo, ticks: int) -> list[str]:
    parts = []
    for pain in range(0, 11, 2):
        y = frame.y(pain)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{frame.width - RIGHT}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{pain}</text>')
    step = (frame.end - frame.start) / ticks
    for index in range(ticks + 1):
        at = frame.start + step * index
        anchor = "start" if index == 0 else "end" if index == ticks else "middle"
        parts.append(
            f'<text class="axis" x="{frame.x(at)}" y="{DATE_ROW}" text-anchor="{anchor}">{_day(at, zone)}</text>'
        )
    parts.append(f'<text class="axis label" x="{LEFT - 34}" y="{TOP - 20}">Pain</text>')
    return parts


def _today(frame: Frame, now: datetime) -> list[str]:
    x = frame.x(now)
    return [
        f'<line class="today" x1="{x}" y1="{TOP}" x2="{x}" y2="{PLOT_BOTTOM}"/>',
        f'<text class="axis" x="{x - 4}" y="{PLOT_BOTTOM - 6}" text-anchor="end">today</text>',
    ]


def _baseline(baseline: float | None, width: int) -> list[str]:
    if baseline is None:
        return []
    y = Frame.y(baseline)
    return [
        f'<line class="baseline" x1="{LEFT}" y1="{y}" x2="{width - RIGHT}" y2="{y}">'
        f"<title>Baseline {baseline:g}</title></line>"
    ]


def _scores(data: ChartData, frame: Frame, zone: ZoneInfo) -> list[str]:
    if not data.scores:
        return []
    points = " ".join(f"{frame.x(p.at)},{frame.y(p.value)}" for p in data.scores)
    parts = [f'<polyline class="pain-line" points="{points}"/>']
    for point in data.scores:
        parts.append(
            f'<circle class="pain-point" cx="{frame.x(point.at)}" cy="{frame.y(point.value)}" r="4">'
            f"<title>{escape(_day(point.at, zone))}: pain {point.value} of 10</title></circle>"
        )
    return parts


def _visit(mark: Mark, frame: Frame, zone: ZoneInfo) -> str:
    word = VISIT_WORDS.get(mark.kind, mark.kind)
    x, title = frame.x(mark.at), f"<title>Visit {escape(word)}, {escape(_day(mark.at, zone))}</title>"
    kind = escape(mark.kind)
    if mark.kind in ("cancelled", "no_show"):
        return f'<path class="visit visit-{kind}" d="M{x - 4},{VISIT_ROW - 4} l8,8 m0,-8 l-8,8">{title}</path>'
    if mark.kind == "booked":  # a hollow square: hollow circles are pain scores
        return f'<rect class="visit visit-booked" x="{x - 5}" y="{VISIT_ROW - 5}" width="10" height="10">{title}</rect>'
    return f'<circle class="visit visit-{kind}" cx="{x}" cy="{VISIT_ROW}" r="5">{title}</circle>'


def _message(mark: Mark, frame: Frame, zone: ZoneInfo) -> str:
    x, kind = frame.x(mark.at), escape(mark.kind)
    label = "Email" if mark.kind == "email" else "Text"
    return (
        f'<path class="message message-{kind}" d="M{x},{MESSAGE_ROW - 5} l5,5 l-5,5 l-5,-5 z">'
        f"<title>{label} sent, {escape(_day(mark.at, zone))}</title></path>"
    )


def _legend(layout: Layout) -> tuple[list[str], int]:
    """The legend's marks and words, in as many rows as the width needs, and the drawing's height below them."""
    shapes = (
        lambda x, y: f'<circle class="pain-point legend" cx="{x + 5}" cy="{y}" r="4"/>',
        lambda x, y: f'<circle class="visit visit-attended" cx="{x + 5}" cy="{y}" r="5"/>',
        lambda x, y: f'<rect class="visit visit-booked" x="{x}" y="{y - 5}" width="10" height="10"/>',
        lambda x, y: f'<path class="visit visit-no_show" d="M{x + 1},{y - 4} l8,8 m0,-8 l-8,8"/>',
        lambda x, y: f'<path class="message message-email" d="M{x + 5},{y - 5} l5,5 l-5,5 l-5,-5 z"/>',
        lambda x, y: f'<path class="message message-sms" d="M{x + 5},{y - 5} l5,5 l-5,5 l-5,-5 z"/>',
        lambda x, y: f'<line class="baseline" x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}"/>',
    )
    labels = ("pain score", "visit attended", "booked", "missed or cancelled", "email sent", "text sent", "baseline")
    parts, x, y = [], float(LEFT), LEGEND_ROW
    for shape, label in zip(shapes, labels, strict=True):
        gap = 30 if "baseline" in label else 16
        size = gap + len(label) * layout.char
        if x > LEFT and x + size > layout.width - RIGHT:
            x, y = LEFT, y + LEGEND_LINE
        parts.append(shape(x, y - 4))
        parts.append(f'<text class="axis" x="{x + gap}" y="{y}">{label}</text>')
        x += size + 26
    return parts, y + 6


def _day(at: datetime, zone: ZoneInfo) -> str:
    local = wall_clock(at, zone)
    return f"{local.day} {local:%b %Y}"


def wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    """An instant in a zone; one too near year 1 or 9999 to convert stays in UTC rather than breaking a page."""
    try:
        return at.astimezone(zone)
    except OverflowError:
        return at
