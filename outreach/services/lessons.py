"""Lessons as public pages (`/learn/LESSON`): each education step's email body, for no one in particular.

The email is the one source of the words: the page renders its body with a neutral context, so no client's name
or data can reach it, and the text links to it instead of repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.campaigns import Catalog, Step
from outreach.rendering import Renderer, message_context
from outreach.settings import Settings

# The call to book reads "your next visit" in this phase, which suits any reader.
NEUTRAL_PHASE = "tapering"


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    html: str  # the email body, already escaped where it prints values


def lesson_steps(catalog: Catalog) -> list[Step]:
    """Every lesson that has an email to show, in series order."""
    return [
        step
        for campaign in catalog.campaigns
        if campaign.stream == "education"
        for step in campaign.steps
        if "email" in step.channels
    ]


def find_lesson(catalog: Catalog, renderer: Renderer, settings: Settings, key: str) -> Lesson | None:
    step = next((s for s in lesson_steps(catalog) if s.key == key), None)
    if step is None or not renderer.has_template(step, "email"):
        return None
    context = message_context(
        settings, first_name="", phase=NEUTRAL_PHASE, interval_days=settings.cadence.tapering_days
    )
    title, html = renderer.render_email_body(step, context)
    return Lesson(step.key, title, html)
