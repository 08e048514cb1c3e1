"""Answer links from an emailed check-in: `/checkin/{token}/{answer}`, one per answer from 0 to 10.

GET shows the answer chosen and a button, and records nothing, because mail scanners fetch every link. POST
records it (a later one corrects it) until the reply window closes; after that both say the link has expired.
"""

from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from outreach.context import Context
from outreach.services.checkins import (
    CheckinLink,
    CheckinLinkExpired,
    CheckinLinkInvalid,
    answer_checkin_link,
    open_checkin_link,
)
from outreach.web.deps import ContextDep, NowDep, in_transaction
from outreach.web.i18n import chosen_language, local_time
from outreach.web.public.pages import page

router = APIRouter()


@router.get("/checkin/{token}/{answer}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str, answer: str, ctx: ContextDep, now: NowDep) -> HTMLResponse:
    return await _respond(
        request, ctx, "public/checkin.html", lambda session: open_checkin_link(session, ctx, token, answer, now)
    )


@router.post("/checkin/{token}/{answer}", response_class=HTMLResponse)
async def record_answer(request: Request, token: str, answer: str, ctx: ContextDep, now: NowDep) -> HTMLResponse:
    return await _respond(
        request, ctx, "public/checkin-done.html", lambda session: answer_checkin_link(session, ctx, token, answer, now)
    )


async def _respond(
    request: Request, ctx: Context, template: str, work: Callable[[Session], CheckinLink]
) -> HTMLResponse:
    try:
        link = await in_transaction(ctx, work)
    except CheckinLinkInvalid:  # no client to ask: the browser's language
        return page(request, ctx, "public/checkin-invalid.html", status_code=400)
    except CheckinLinkExpired as expired:
        language = chosen_language(ctx.settings, expired.link.language)
        return page(request, ctx, "public/checkin-expired.html", status_code=410, language=language, link=expired.link)
    language = chosen_language(ctx.settings, link.language)
    until = local_time(link.expires_at, link.timezone, language)
    return page(request, ctx, template, language=language, link=link, until=until)
