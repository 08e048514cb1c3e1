"""Lesson pages, `/learn/LESSON`: public, the lesson email's own words, nothing about any client."""

from __future__ import annotations

import html
import re

import pytest

from outreach.rendering import PHASES, sample_context
from outreach.services.lessons import lesson_steps
from tests.helpers import add_client
from tests.test_shipped_campaigns import copied_runs, email_body, needs_handout, phase_words
from tests.desk import START, Desk, page_text


@pytest.fixture
def visitor(ctx) -> Desk:
    return Desk(ctx)  # never signs in


def lesson_text(ctx, step) -> str:
    """The lesson's text as its text message links it: the path of the URL in the SMS."""
    education = ctx.catalog.get("education")
    sms = ctx.renderer.render(education, step, "sms", sample_context(ctx.settings, "establishing", "sms")).text
    return re.search(r"https?://\S+(/learn/\S+)", sms).group(1)


def test_every_lesson_text_links_a_public_page_with_the_whole_lesson(ctx, visitor):
    education = ctx.catalog.get("education")
    for step in lesson_steps(ctx.catalog):
        response = visitor.get(lesson_text(ctx, step))

        assert response.status_code == 200, step.key
        email = ctx.renderer.render(education, step, "email", sample_context(ctx.settings, "", "email"))
        paragraphs = [p for p in email_body(email.text).split("\n\n")[1:] if p and "<http" not in p]
        assert paragraphs, step.key
        for paragraph in paragraphs:  # every paragraph and list item of the lesson, word for word
            for item in re.split(r"^- ", paragraph, flags=re.MULTILINE):
                assert " ".join(item.split()) in page_text(response), step.key
        assert html.unescape(re.search(r"<h1>(.*?)</h1>", response.text).group(1)) == email.subject


def test_every_lesson_page_reads_right_for_anyone_whatever_their_phase(ctx, visitor):
    # A page is for no one in particular: none of the words a lesson email keeps for one phase of care.
    education = ctx.catalog.get("education")
    for step in lesson_steps(ctx.catalog):
        for language in ctx.settings.served_languages:
            prefix = "" if language == ctx.settings.clinic.default_language else f"{language}/"
            text = page_text(visitor.get(f"/learn/{prefix}{step.key}"))
            emails = {
                phase: ctx.renderer.render(
                    education, step, "email", sample_context(ctx.settings, phase, "email", language)
                )
                for phase in PHASES
            }
            for phase, own in phase_words({phase: email_body(e.text) for phase, e in emails.items()}).items():
                assert not [line for line in own if " ".join(line.split()) in text], (step.key, language, phase)
    schedule = page_text(visitor.get("/learn/regular-schedule"))
    assert "spacing out now" not in schedule and "moved past the weekly stretch" not in schedule
    assert "Wherever you are in that rhythm" in schedule


def test_a_lesson_page_shows_nothing_about_any_client(ctx, visitor):
    add_client(ctx, "ext-1", at=START, first_name="Rosalind")
    step = lesson_steps(ctx.catalog)[0]

    response = visitor.get(f"/learn/{step.key}")

    assert "Hi there," in page_text(response)
    assert "Rosalind" not in response.text and "Christopher" not in response.text
    assert "set-cookie" not in response.headers
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_lesson_page_reads_on_a_phone(ctx, visitor):
    response = visitor.get(f"/learn/{lesson_steps(ctx.catalog)[0].key}")

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text


def test_an_unknown_lesson_is_not_found(visitor):
    response = visitor.get("/learn/no-such-lesson")

    assert response.status_code == 404
    assert "We couldn't find this lesson" in page_text(response)


@needs_handout
def test_no_lesson_page_copies_the_handout(ctx, visitor):
    for step in lesson_steps(ctx.catalog):
        assert copied_runs(page_text(visitor.get(f"/learn/{step.key}"))) == [], step.key
