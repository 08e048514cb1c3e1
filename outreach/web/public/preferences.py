"""The client's preference page, `/preferences/{token}`: no login, the signed token is the proof (as for
unsubscribe links), and the page works without JavaScript.

GET shows the choices and changes nothing. POST takes one of the page's forms, named by `action`: `save` (channels,
streams per channel, the check-in channel, the language), `pause` (2, 4 or 8 weeks), `resume`, and, from an expired
link's page, `fresh-link`. A change answers with a redirect back to the page, which says it was saved. Every page
here is in the client's language; one for a link that names no client, in the browser's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from outreach.context import Context
from outreach.models import Client
from outreach.policy.consent import CHOOSABLE_STREAMS
from outreach.policy.languages import language_name
from outreach.services import preferences as prefs
from outreach.services.client_language import set_language
from outreach.settings import Settings
from outreach.signed_links import preferences_url
from outreach.web.deps import ContextDep, NowDep, in_transaction
from outreach.web.i18n import chosen_language, local_day
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
    change = _change(action, form, ctx.settings)

    def apply(session: Session) -> None:
        change(session, prefs.open_link(session, ctx, token, now).client, now)

    async def applied() -> None:
        await in_transaction(ctx, apply)

    return await _answer(request, ctx, applied, done=preferences_url("", token) + "?saved=1")


def _change(action: str, form: dict[str, str], settings: Settings) -> Callable:
    """The service call one of the page's forms asks for; 400 for a form the page does not have."""
    if action == "save":
        chosen, language = _chosen(form), _language(form, settings)

        def save(session: Session, client: Client, now: datetime) -> None:
            prefs.save(session, client, chosen, now)
            if language:
                set_language(session, client, language, settings, prefs.ACTOR, now)

        return save
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


def _language(form: dict[str, str], settings: Settings) -> str:
    """The language the form chose ("" when it asks none); 400 for one the page does not offer."""
    language = form.get("language", "")
    if language and language not in settings.served_languages:
        raise HTTPException(400, "choose one of the languages offered")
    return language


def _language_choices(settings: Settings) -> list[tuple[str, str]]:
    """Each language served, named in itself ("English", "Español"), for a reader of that language."""
    return [(tag, _capitalised(language_name(tag, tag))) for tag in settings.served_languages]


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


async def _fresh_link(request: Request, ctx: Context, token: str, now: datetime) -> Response:
    def send(session: Session) -> tuple[str, prefs.Opened]:
        link = prefs.read_link(session, ctx, token, now)
        return prefs.send_fresh_link(session, ctx, link, now), link

    try:
        outcome, link = await in_transaction(ctx, send)
    except prefs.LinkInvalid:
        return _invalid(request, ctx)
    language = chosen_language(ctx.settings, link.language)
    return page(
        request, ctx, "public/preferences-sent.html", language=language, outcome=outcome, address=link.masked_address
    )


async def _answer(request: Request, ctx: Context, work: Callable, *, done: str = "", saved: bool = False) -> Response:
    """Run `work` and answer: the page (GET), a redirect to it (`done`, after a change), or why the link does not
    open it."""
    try:
        result = await work()
    except prefs.LinkInvalid:
        return _invalid(request, ctx)
    except prefs.LinkNotUsable as stale:
        days = ctx.settings.web.preference_link_days
        language = chosen_language(ctx.settings, stale.link.language)
        return page(
            request,
            ctx,
            "public/preferences-expired.html",
            status_code=410,
            language=language,
            link=stale.link,
            days=days,
        )
    if done:
        return RedirectResponse(done, status_code=303)
    language = chosen_language(ctx.settings, result.language)
    paused_until = result.paused_until
    return page(
        request,
        ctx,
        "public/preferences.html",
        language=language,
        choices=result,
        saved=saved,
        streams=CHOOSABLE_STREAMS,
        languages=_language_choices(ctx.settings),
        pause_weeks=prefs.PAUSE_WEEKS,
        paused_until=local_day(paused_until, result.timezone, language) if paused_until else "",
        days=ctx.settings.web.preference_link_days,
    )


async def _read(ctx: Context, look: Callable[[Session], prefs.Choices]) -> prefs.Choices:
    def run() -> prefs.Choices:
        with Session(ctx.engine) as session:
            return look(session)

    return await run_in_threadpool(run)


def _invalid(request: Request, ctx: Context) -> HTMLResponse:
    return page(request, ctx, "public/invalid.html", status_code=400)
