"""`/learn/LESSON`: a lesson's public page, linked from its text. No login, no token, nothing about the reader."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from outreach.services.edits import refresh_published
from outreach.services.lessons import find_lesson
from outreach.web.deps import ContextDep
from outreach.web.public.pages import page

router = APIRouter()


@router.get("/learn/{key}", response_class=HTMLResponse)
async def lesson_page(request: Request, key: str, ctx: ContextDep) -> HTMLResponse:
    await run_in_threadpool(refresh_published, ctx)  # the lesson as published, like the email
    lesson = find_lesson(ctx.catalog, ctx.renderer, ctx.settings, key)
    if lesson is None:
        return page(request, ctx, "public/lesson-missing.html", status_code=404)
    return page(request, ctx, "public/lesson.html", lesson=lesson)
