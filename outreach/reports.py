"""The HTML report of `outreach simulate`: the same pain chart as the dashboard, and the message timeline."""
from __future__ import annotations

from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from outreach.services.timeline import ChartData, Mark, Point
from outreach.simulation import Simulation, Timeline, phase_changes
from outreach.web.chart import pain_chart

STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1f2933}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;border-bottom:1px solid #e4e7eb;text-align:left}
.chart{width:100%;height:auto}"""


def simulation_report(simulation: Simulation, timeline: Timeline) -> str:
    zone = ZoneInfo(timeline.persona.timezone)
    end = simulation.start + timedelta(weeks=simulation.weeks)
    data = ChartData(
        scores=tuple(Point(at, pain) for at, pain in timeline.scores),
        visits=tuple(Mark(at, "attended") for at in timeline.visits),
        messages=tuple(Mark(m.sent_at, m.channel) for m in timeline.sent()),
    )
    rows = "\n".join(
        f"<tr><td>{(m.sent_at or m.due_at).astimezone(zone):%a %d %b %Y %H:%M}</td><td>{escape(m.channel)}</td>"
        f"<td>{escape(m.campaign)}/{escape(m.step)}</td><td>{escape(m.status)}</td><td>{escape(m.reason)}</td></tr>"
        for m in timeline.messages
    )
    counts = timeline.per_week(simulation.start, simulation.weeks)
    return f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>Simulation: {escape(timeline.persona.kind)} client</title><style>{STYLE}</style>
<h1>Simulated {escape(timeline.persona.kind)} client, {simulation.weeks} weeks</h1>
<p>Phases: {escape('; '.join(phase_changes(timeline)))}.</p>
<p>Messages sent per week: {', '.join(str(c) for c in counts)}. Nothing was sent: this is a simulation.</p>
{pain_chart(data, zone, end)}
<h2>Messages</h2>
<table><tr><th>When ({escape(str(zone))})</th><th>Channel</th><th>Campaign/step</th><th>Status</th><th>Reason</th></tr>
{rows}</table></html>"""
