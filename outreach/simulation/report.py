"""The HTML report of `outreach simulate`: the same pain chart as the dashboard, and the message timeline."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from outreach.models import Message
from outreach.policy.cadence import Score, baseline_of
from outreach.policy.languages import language_name
from outreach.charts.pain import ChartData, Mark, Point
from outreach.settings import Cadence
from outreach.simulation.clinic import Simulation, Timeline, phase_changes
from outreach.charts.pain import pain_chart

# The dashboard's stylesheet draws the chart the same way here; the report stays one self-contained file.
DASHBOARD_CSS = Path(__file__).resolve().parents[1] / "web" / "static" / "dashboard.css"
REPORT_CSS = """body{max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;border-bottom:1px solid #e4e7eb;text-align:left}
td[lang]{white-space:pre-line}"""


def simulation_report(simulation: Simulation, timeline: Timeline, cadence: Cadence, default_language: str) -> str:
    zone = ZoneInfo(timeline.persona.timezone)
    end = simulation.start + timedelta(weeks=simulation.weeks)
    data = ChartData(
        scores=tuple(Point(at, pain) for at, pain in timeline.scores),
        visits=tuple(Mark(at, "attended") for at in timeline.visits),
        messages=tuple(Mark(m.sent_at, m.channel) for m in timeline.sent()),
    )
    rows = "\n".join(
        f"<tr><td>{(m.sent_at or m.due_at).astimezone(zone):%a %d %b %Y %H:%M}</td><td>{escape(m.channel)}</td>"
        f"<td>{escape(m.campaign)}/{escape(m.step)}</td><td>{escape(m.status)}</td><td>{escape(m.reason)}</td>"
        f"{_words(timeline, m)}</tr>"
        for m in timeline.messages
    )
    speaks = language_name(timeline.persona.language or default_language)
    counts = timeline.per_week(simulation.start, simulation.weeks)
    return f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>Simulation: {escape(timeline.persona.kind)} client</title>
<style>{DASHBOARD_CSS.read_text(encoding="utf-8")}
{REPORT_CSS}</style>
<h1>Simulated {escape(timeline.persona.kind)} client, {simulation.weeks} weeks</h1>
<p>{escape(timeline.persona.first_name)} reads {escape(speaks)}: each message shows the words it would go out with.</p>
<p>Phases: {escape("; ".join(phase_changes(timeline)))}.</p>
<p>Messages sent per week: {", ".join(str(c) for c in counts)}. Nothing was sent: this is a simulation.</p>
{pain_chart(data, zone, end, baseline=_baseline(timeline, cadence))}
<h2>Messages</h2>
<table><tr><th>When ({escape(str(zone))})</th><th>Channel</th><th>Campaign/step</th><th>Status</th><th>Reason</th>
<th>Subject or text</th></tr>
{rows}</table></html>"""


def _words(timeline: Timeline, message: Message) -> str:
    """The email's subject or the text as it would go out, marked with its language (for screen readers)."""
    words = timeline.words.get(message.id)
    if words is None:
        return "<td></td>"
    return f'<td lang="{escape(message.language)}">{escape(words)}</td>'


def _baseline(timeline: Timeline, cadence: Cadence) -> float | None:
    return baseline_of([Score(at, pain) for at, pain in timeline.scores], cadence)[0]
