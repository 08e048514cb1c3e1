"""Marketing's editor on a step: its subject, email body and text, checked on saving exactly as
`campaigns check` checks files, previewed for a sample client, published as a version, restored from any version."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from outreach.services.campaign_check import errors
from outreach.campaigns import Campaign, Step
from outreach.context import Context
from outreach.models import TemplateVersion
from outreach.policy.segments import count_segments
from outreach.rendering import PHASES, RenderError, sample_context
from outreach.services import edits
from outreach.web.dashboard.auth import CampaignsStaff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.campaigns import PREVIEW_POLICY, find_step, queue_test
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render

router = APIRouter(prefix="/campaigns")
Text = Annotated[str, Form()]


@router.get("/{name}/{step_key}/edit")
def edit_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    phase: str = "establishing",
):
    campaign, step = find_step(ctx, name, step_key)
    phase = phase if phase in PHASES else "establishing"
    copy = edits.step_copy(ctx, session, step)
    live = edits.published(session)
    history = {channel: edits.history(session, template) for channel, template in copy.names.items()}
    session.commit()  # the check takes a while: hold no lock (on SQLite every transaction takes the write lock)
    findings = edits.check(ctx, live, copy.sources())
    renderer = edits.draft_renderer(ctx, live, copy.sources())
    previews = {channel: _render(renderer, campaign, step, channel, phase) for channel in copy.names}
    response = render(
        request,
        "editor.html",
        campaign=campaign,
        step=step,
        copy=copy,
        phase=phase,
        phases=PHASES,
        findings=[(copy.where(f, ctx.renderer), f) for f in findings],
        blocked=bool(errors(findings)),
        previews=previews,
        history=history,
        sms_prefix=f"{ctx.settings.clinic.sms_name}: ",
        target_segments=ctx.settings.sms.target_segments,
        sms_size=sms_size(previews["sms"][0].text, ctx) if previews.get("sms", (None,))[0] else "",
    )
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@router.post("/{name}/{step_key}/edit/test")
def test_draft(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    to: Text = "",
    phase: Text = "establishing",
):
    """A test of the copy as this page previews it: the saved drafts over the published copy."""
    campaign, step = find_step(ctx, name, step_key)
    phase = phase if phase in PHASES else "establishing"
    renderer = edits.draft_renderer(ctx, edits.published(session), edits.step_copy(ctx, session, step).sources())
    back = f"/campaigns/{campaign.name}/{step.key}/edit?" + urlencode({"phase": phase})
    return queue_test(request, ctx, session, staff, campaign, step, to, phase, back, renderer)


@router.post("/{name}/{step_key}/edit")
def save(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    subject: Text = "",
    body: Text = "",
    sms: Text = "",
    action: Text = "save",
    phase: Text = "establishing",
):
    _, step = find_step(ctx, name, step_key)
    copy = edits.step_copy(ctx, session, step)
    back = f"/campaigns/{name}/{step_key}/edit?phase={phase if phase in PHASES else 'establishing'}"
    if action == "discard":
        edits.discard_drafts(session, list(copy.names.values()), staff.username, now(request))
        session.commit()
        flash(request, "ok", "Draft discarded: the editor shows the live copy.")
        return RedirectResponse(back, status_code=303)
    edits.save_draft(ctx, session, copy.edited(subject, body, sms).sources(), staff.username, now(request))
    session.commit()
    if action != "publish":
        flash(request, "ok", "Draft saved. It is not sent until it is published.")
        return RedirectResponse(back, status_code=303)
    try:
        versions = edits.publish(ctx, session, list(copy.names.values()), staff.username, now(request))
    except edits.CopyHasErrors:
        session.rollback()
        flash(request, "error", "Not published: fix the errors below first. Your draft is saved.")
        return RedirectResponse(back, status_code=303)
    session.commit()
    edits.refresh_published(ctx)
    flash(
        request,
        "ok",
        "Published: the next pass of the worker sends this copy."
        if versions
        else "Nothing changed, so nothing was published.",
    )
    return RedirectResponse(back, status_code=303)


@router.post("/{name}/{step_key}/preview")
def live_preview(
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    subject: Text = "",
    body: Text = "",
    sms: Text = "",
    phase: Text = "establishing",
):
    """The preview as the person types (dashboard.js): nothing is stored."""
    campaign, step = find_step(ctx, name, step_key)
    copy = edits.step_copy(ctx, session, step).edited(subject, body, sms)
    live = edits.published(session)
    session.commit()
    renderer = edits.draft_renderer(ctx, live, copy.sources())
    found = {}
    for channel in copy.names:
        rendered, error = _render(renderer, campaign, step, channel, phase if phase in PHASES else "establishing")
        found[channel] = {
            "error": error,
            "subject": rendered.subject if rendered else "",
            "text": rendered.text if rendered else "",
            "html": rendered.html if rendered else "",
            "size": sms_size(rendered.text, ctx) if rendered and channel == "sms" else "",
        }
    return JSONResponse(found)


@router.get("/{name}/{step_key}/versions/{version_id}")
def version_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    version_id: int,
):
    campaign, step = find_step(ctx, name, step_key)
    version = _version(session, step, version_id)
    older = next((v for v in edits.history(session, version.name) if v.id < version.id), None)
    return render(
        request,
        "version.html",
        campaign=campaign,
        step=step,
        version=version,
        older=older,
        diff=edits.diff(older.source if older else "", version.source),
    )


@router.post("/{name}/{step_key}/versions/{version_id}/restore")
def restore(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    version_id: int,
):
    _, step = find_step(ctx, name, step_key)
    version = _version(session, step, version_id)
    edits.restore(session, version.id, staff.username, now(request))
    session.commit()
    edits.refresh_published(ctx)
    flash(request, "ok", f"Version {version.id} restored and published: the next pass of the worker sends it.")
    return RedirectResponse(f"/campaigns/{name}/{step_key}/edit", status_code=303)


def sms_size(text: str, ctx: Context) -> str:
    """The rendered text's size in words, with the budget: "1 segment · GSM-7 · 130 characters"."""
    count = count_segments(text)
    plural = "s" if count.segments != 1 else ""
    words = f"{count.segments} segment{plural} · {count.encoding} · {count.characters} characters"
    target = ctx.settings.sms.target_segments
    return words + (f" · over the target of {target}: shorten it" if count.segments > target else "")


def _version(session: SessionDep, step: Step, version_id: int) -> TemplateVersion:
    version = session.get(TemplateVersion, version_id)
    if version is None or version.name not in edits.step_templates(step).values():
        raise PageNotFound(f"There is no version {version_id} of this step's copy.")
    return version


def _render(renderer, campaign: Campaign, step: Step, channel: str, phase: str):  # noqa: ANN001, ANN202
    try:
        return renderer.render(campaign, step, channel, sample_context(renderer.settings, phase, channel)), ""
    except (RenderError, ValueError) as exc:
        return None, str(exc)
