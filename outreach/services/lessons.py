"""Lessons as public pages (`/learn/LESSON`, and `/learn/es/LESSON` in another language than the default): each
education step's email body, for no one in particular.

The email is the one source of the words: the page renders its body with a neutral context, so no client's name
or data can reach it, and the text links to it instead of repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.campaigns import Catalog, Step
from outreach.rendering import Renderer, message_context
from outreach.settings import Settings


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    html: str  # the email body, already escaped where it prints values
    language: str  # the language it is written in: the one asked for, or the default's where it has no translation


def lesson_steps(catalog: Catalog) -> list[Step]:
    """Every lesson that has an email to show, in series order."""
    return [
        step
        for campaign in catalog.campaigns
        if campaign.stream == "education"
        for step in campaign.steps
        if "email" in step.channels
    ]


def find_lesson(
    catalog: Catalog, renderer: Renderer, settings: Settings, key: str, language: str = ""
) -> Lesson | None:
    """The lesson in `language` (the default's when not given, not served, or not translated); None if there is
    no such lesson."""
    step = next((s for s in lesson_steps(catalog) if s.key == key), None)
    if step is None or not renderer.has_template(step, "email"):
        return None
    if language not in settings.served_languages or not renderer.has_template(step, "email", language):
        language = settings.clinic.default_language
    # No phase and no interval: the page is for anyone, whatever their visits, so it reads the neutral words.
    context = message_context(settings, first_name="", phase=None, interval_days=None, language=language)
    title, html = renderer.render_email_body(step, context)
    return Lesson(step.key, title, html, language)
