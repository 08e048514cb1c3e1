"""Campaigns for marketing and admins: every campaign and step, live previews, and test sends (queued: only the
worker sends)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from outreach.campaigns import WEEKDAYS, Campaign, CampaignError, Step
from outreach.context import Context
from outreach.policy.languages import UnknownLanguage, language_name, language_tag
from outreach.policy.segments import count_segments
from outreach.rendering import PHASES, Rendered, Renderer, RenderError, sample_context
from outreach.sending.compose import sample_words
from outreach.services import campaign_settings, test_sends
from outreach.services.edits import refresh_published
from outreach.web.dashboard.auth import CampaignsStaff, Staff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render

router = APIRouter(prefix="/campaigns")
# The email preview is the email's own HTML in a sandboxed srcdoc frame, which inherits this page's policy: its
# inlined styles need 'unsafe-inline'. Scripts stay forbidden, and the sandbox would block them anyway.
PREVIEW_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class Preview:
    channel: str
    rendered: Rendered | None
    error: str = ""
    missing: str = ""  # the language asked for, when the step has no copy in it (the default's is shown)

    @property
    def segments(self):  # noqa: ANN201  (SegmentCount, for texts)
        return count_segments(self.rendered.text) if self.rendered and self.channel == "sms" else None


@router.get("")
def campaign_list(
    request: Request, ctx: ContextDep, staff: CampaignsStaff, errors: dict | None = None, status_code: int = 200
):
    try:
        refresh_published(ctx)
        campaigns, problems = ctx.catalog.campaigns, []
    except CampaignError as exc:
        campaigns, problems = (), [str(problem) for problem in exc.problems]
    return render(
        request,
        "campaigns.html",
        status_code=status_code,
        campaigns=campaigns,
        problems=problems,
        timing=timing,
        weekdays=WEEKDAYS,
        errors=errors or {},
    )


@router.post("/{name}/settings")
def change_settings(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    enabled: Annotated[str, Form()] = "",
    holdout_percent: Annotated[str, Form()] = "0",
    window_start: Annotated[str, Form()] = "",
    window_end: Annotated[str, Form()] = "",
    weekdays: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI reads the default)
):
    refresh_published(ctx)
    try:
        ctx.catalog.get(name)
    except KeyError:
        raise PageNotFound(f"There is no campaign named {name!r}.") from None
    try:
        campaign_settings.change(
            ctx,
            session,
            name,
            enabled=enabled == "yes",
            holdout_percent=holdout_percent,
            window_start=window_start,
            window_end=window_end,
            weekdays=weekdays,
            actor=staff.username,
            now=now(request),
        )
    except campaign_settings.SettingProblem as exc:
        session.rollback()
        return campaign_list(request, ctx, staff, errors={name: str(exc)}, status_code=400)
    session.commit()
    flash(request, "ok", f"Settings of {name} changed: the worker uses them from its next pass.")
    return RedirectResponse("/campaigns", status_code=303)


def timing(campaign: Campaign, step: Step) -> str:
    """When a step goes out, in the words of the stream's rules (see outreach.campaigns)."""
    if campaign.stream == "reminder":
        at = f" at {step.at:%H:%M}" if step.at else ""
        return f"{_days(step.days_before)} before a booked visit{at}"
    if campaign.stream == "checkin":
        return f"every {_days(step.repeat_every_days)}" if step.repeat_every_days else "once per care interval"
    if campaign.stream == "rebook":
        if step.phases == ("lapsed",):
            repeats = f", then every {_days(step.repeat_every_days)}" if step.repeat_every_days else ""
            limit = f" (at most {step.max_repeats} times)" if step.max_repeats else ""
            return f"when the client becomes lapsed{repeats}{limit}"
        if not step.after_days:
            return "when a visit is due and none is booked"
        return f"{_days(step.after_days)} after a visit was due with none booked"
    if campaign.steps[0] == step:
        return "when the client is enrolled"
    if step.after_days is not None:
        return f"{_days(step.after_days)} after the previous one"
    return "one care interval after the previous one"


def _days(count: float | None) -> str:
    count = count or 0
    return "1 day" if count == 1 else f"{count:g} days"


@router.get("/{name}/{step_key}")
def step_preview(
    request: Request,
    ctx: ContextDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    phase: str = "establishing",
    language: str = "",
):
    campaign, step = find_step(ctx, name, step_key)
    refresh_published(ctx)
    if phase not in PHASES:
        phase = "establishing"
    language = served_language(ctx, language)
    previews = [_preview(ctx, campaign, step, channel, phase, language) for channel in step.channels]
    response = render(
        request,
        "campaign_step.html",
        campaign=campaign,
        step=step,
        phase=phase,
        phases=PHASES,
        language=language,
        languages=language_names(ctx),
        previews=previews,
        max_segments=ctx.settings.sms.max_segments,
    )
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@router.post("/{name}/{step_key}/test")
def test_send(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    to: Annotated[str, Form()] = "",
    phase: Annotated[str, Form()] = "establishing",
    language: Annotated[str, Form()] = "",
):
    campaign, step = find_step(ctx, name, step_key)
    phase = phase if phase in PHASES else "establishing"
    language = served_language(ctx, language)
    refresh_published(ctx)
    shown = {"phase": phase} | ({} if language == ctx.settings.clinic.default_language else {"language": language})
    back = f"/campaigns/{campaign.name}/{step.key}?" + urlencode(shown)
    return queue_test(request, ctx, session, staff, campaign, step, to, phase, back, language=language)


def queue_test(
    request: Request,
    ctx: Context,
    session: Session,
    staff: Staff,
    campaign: Campaign,
    step: Step,
    to: str,
    phase: str,
    back: str,
    renderer: Renderer | None = None,
    language: str = "",
) -> RedirectResponse:
    """Queue a test of `step` as `renderer` previews it (the live copy's by default), in `language` (the clinic's
    by default), and go `back`, saying so."""
    try:
        message = test_sends.queue(
            session,
            staff.username,
            campaign,
            step,
            to.strip(),
            now(request),
            region=ctx.settings.clinic.default_region,
            words=partial(sample_words, ctx, campaign, step, phase=phase, renderer=renderer, language=language),
        )
    except (ValueError, RenderError) as exc:
        session.rollback()
        own = ("/users#contact", "Your contact details") if isinstance(exc, test_sends.SendTestRefused) else None
        flash(request, "error", f"Test not sent: {exc}", link=own)
        return RedirectResponse(back, status_code=303)
    session.commit()
    flash(
        request,
        "ok",
        f"Test to {message.to_address} queued: the worker sends it within a minute.",
        link=(f"/messages/{message.id}", "See it in the delivery log"),
    )
    return RedirectResponse(back, status_code=303)


def find_step(ctx: Context, name: str, step_key: str) -> tuple[Campaign, Step]:
    try:
        campaign = ctx.catalog.get(name)
        return campaign, campaign.step(step_key)
    except (KeyError, CampaignError):
        raise PageNotFound(f"There is no step {step_key!r} in a campaign named {name!r}.") from None


def served_language(ctx: Context, value: str) -> str:
    """The served language a page is asked for ("es", "Spanish"...), the clinic's when not given; another is not a
    page, and says which there are."""
    if not value.strip():
        return ctx.settings.clinic.default_language
    try:
        return language_tag(value, ctx.settings.served_languages)
    except UnknownLanguage as exc:
        raise PageNotFound(str(exc)) from None


def language_names(ctx: Context) -> dict[str, str]:
    """Each language served, by tag, as staff read it: {"en": "English", "es": "Spanish"}."""
    return {tag: language_name(tag) for tag in ctx.settings.served_languages}


def _preview(ctx: Context, campaign: Campaign, step: Step, channel: str, phase: str, language: str) -> Preview:
    try:
        context = sample_context(ctx.settings, phase, channel, language)
        rendered = ctx.renderer.render(campaign, step, channel, context)
    except (RenderError, ValueError) as exc:
        return Preview(channel, None, str(exc))
    return Preview(channel, rendered, missing=language_name(language) if rendered.language != language else "")
