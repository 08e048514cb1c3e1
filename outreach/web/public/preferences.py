"""The client's preference page, `/preferences/{token}`: no login, the signed token is the proof (as for
unsubscribe links), and the page works without JavaScript.

GET shows the choices and changes nothing. POST takes one of the page's forms, named by `action`: `save` (channels,
streams per channel, the check-in channel), `pause` (2, 4 or 8 weeks), `resume`, and, from an expired link's page,
`fresh-link`. A change answers with a redirect back to the page, which says it was saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from outreach.context import Context
from outreach.policy.consent import CHOOSABLE_STREAMS
from outreach.services import preferences as prefs
from outreach.signed_links import preferences_url
from outreach.web.deps import ContextDep, NowDep, in_transaction
from outreach.web.public.pages import page, read_form

router = APIRouter()


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def preference_page(request: Request, token: str, ctx: ContextDep, now: NowDep, saved: str = "") -> Response:
    def look(session: Session) -> prefs.Choices:
        return prefs.choices(session, prefs.open_link(session, ctx, token, now).client, now)

    return await _answer(request, ctx, lambda: _read(ctx, look), saved=bool(saved))


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def change_preferences(request: Request, token: str, ctx: ContextDep, now: NowDep) -> Response:
    form = await read_form(request)
    action = form.get("action", "save")
    if action == "fresh-link":
        return await _fresh_link(request, ctx, token, now)
    change = _change(action, form)

    def apply(session: Session) -> None:
        change(session, prefs.open_link(session, ctx, token, now).client, now)

    async def applied() -> None:
        await in_transaction(ctx, apply)

    return await _answer(request, ctx, applied, done=preferences_url("", token) + "?saved=1")


def _change(action: str, form: dict[str, str]) -> Callable:
    """The service call one of the page's forms asks for; 400 for a form the page does not have."""
    if action == "save":
        chosen = _chosen(form)
        return lambda session, client, now: prefs.save(session, client, chosen, now)
    if action == "pause":
        weeks = form.get("weeks", "")
        if not weeks.isdigit() or int(weeks) not in prefs.PAUSE_WEEKS:
            raise HTTPException(400, "choose a pause of 2, 4 or 8 weeks")
        return lambda session, client, now: prefs.pause_for(session, client, int(weeks), now)
    if action == "resume":
        return prefs.resume
    raise HTTPException(400, "unknown action")


def _chosen(form: dict[str, str]) -> prefs.Chosen:
    """Checkboxes: a field present is on, absent is off."""
    return prefs.Chosen(
        channels_on=frozenset(channel for channel in prefs.CHANNELS if form.get(f"channel-{channel}")),
        streams_on=frozenset(
            (stream, channel)
            for stream in CHOOSABLE_STREAMS
            for channel in prefs.CHANNELS
            if form.get(f"stream-{stream}-{channel}")
        ),
        checkin_channel=form.get("checkin_channel", ""),
    )


async def _fresh_link(request: Request, ctx: Context, token: str, now: datetime) -> Response:
    def send(session: Session) -> tuple[str, str]:
        link = prefs.read_link(session, ctx, token, now)
        return prefs.send_fresh_link(session, ctx, link, now), link.masked_address

    try:
        outcome, address = await in_transaction(ctx, send)
    except prefs.LinkInvalid:
        return _invalid(request, ctx)
    return page(request, ctx, "public/preferences-sent.html", outcome=outcome, address=address)


async def _answer(request: Request, ctx: Context, work: Callable, *, done: str = "", saved: bool = False) -> Response:
    """Run `work` and answer: the page (GET), a redirect to it (`done`, after a change), or why the link does not
    open it."""
    try:
        result = await work()
    except prefs.LinkInvalid:
        return _invalid(request, ctx)
    except prefs.LinkNotUsable as stale:
        days = ctx.settings.web.preference_link_days
        return page(request, ctx, "public/preferences-expired.html", status_code=410, link=stale.link, days=days)
    if done:
        return RedirectResponse(done, status_code=303)
    return page(
        request,
        ctx,
        "public/preferences.html",
        choices=result,
        saved=saved,
        streams=prefs.STREAM_LABELS,
        channel_nouns=prefs.CHANNEL_NOUNS,
        pause_weeks=prefs.PAUSE_WEEKS,
        paused_until=_day(result.paused_until, result.timezone),
        days=ctx.settings.web.preference_link_days,
    )


async def _read(ctx: Context, look: Callable[[Session], prefs.Choices]) -> prefs.Choices:
    def run() -> prefs.Choices:
        with Session(ctx.engine) as session:
            return look(session)

    return await run_in_threadpool(run)


def _day(at: datetime | None, zone: str) -> str:
    """ "Monday, March 30", in the client's time zone; "" when not paused."""
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%A, %B} {local.day}"


def _invalid(request: Request, ctx: Context) -> HTMLResponse:
    return page(request, ctx, "public/invalid.html", status_code=400)
