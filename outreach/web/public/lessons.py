"""`/learn/LESSON`: a lesson's public page, linked from its text. No login, no token, nothing about the reader.

`/learn/es/LESSON` is the lesson in another served language (rendering.lesson_url links it from texts in that
language). A language the clinic does not serve, or a lesson not yet translated into it, shows the default
language's page; `/learn/LESSON` always does, as links already sent expect.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from outreach.context import Context
from outreach.policy.languages import UnknownLanguage, language_tag
from outreach.services.edits import refresh_published
from outreach.services.lessons import find_lesson
from outreach.web.deps import ContextDep
from outreach.web.i18n import chosen_language
from outreach.web.public.pages import page

router = APIRouter()


@router.get("/learn/{key}", response_class=HTMLResponse)
async def lesson_page(request: Request, key: str, ctx: ContextDep) -> HTMLResponse:
    return await _lesson(request, ctx, key, "")


@router.get("/learn/{language}/{key}", response_class=HTMLResponse)
async def translated_lesson_page(request: Request, language: str, key: str, ctx: ContextDep) -> HTMLResponse:
    return await _lesson(request, ctx, key, _served(ctx, language))


async def _lesson(request: Request, ctx: Context, key: str, language: str) -> HTMLResponse:
    await run_in_threadpool(refresh_published, ctx)  # the lesson as published, like the email
    lesson = find_lesson(ctx.catalog, ctx.renderer, ctx.settings, key, language)
    if lesson is None:  # a bad link: in the URL's language if it names one, else the browser's
        missing_language = chosen_language(ctx.settings, language) if language else ""
        return page(request, ctx, "public/lesson-missing.html", status_code=404, language=missing_language)
    return page(request, ctx, "public/lesson.html", language=lesson.language, lesson=lesson)


def _served(ctx: Context, language: str) -> str:
    """The served language a URL's segment names ("es", "ES", "es-MX"); "" for any other."""
    try:
        return language_tag(language, ctx.settings.served_languages)
    except UnknownLanguage:
        return ""
