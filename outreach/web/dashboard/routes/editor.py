"""Marketing's editor on a step: its subject, email body and text in each language served, side by side, checked on
saving exactly as `campaigns check` checks files, previewed for a sample client in the column's language, published
as a version, restored from any version. Each language's copy is its own template, with its own drafts and versions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlmodel import Session

from outreach.campaigns import Campaign, Step
from outreach.context import Context
from outreach.models import TemplateVersion
from outreach.policy.languages import language_name
from outreach.policy.segments import count_segments
from outreach.rendering import PHASES, Renderer, RenderError, sample_context
from outreach.rendering.context import LONG_SAMPLE_NAMES
from outreach.rendering.names import language_of
from outreach.rendering.templates import TooLong
from outreach.services import edits
from outreach.services.campaign_check import Finding, errors
from outreach.web.dashboard.auth import CampaignsStaff
from outreach.web.dashboard.routes.campaigns import (
    PREVIEW_POLICY,
    find_step,
    language_names,
    queue_test,
    served_language,
)
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render
from outreach.web.deps import ContextDep, SessionDep, now

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
    phase = _phase(phase)
    copies = [edits.step_copy(ctx, session, step, language) for language in ctx.settings.served_languages]
    live = edits.published(session)
    history = {
        copy.language: {channel: edits.history(session, template) for channel, template in copy.names.items()}
        for copy in copies
    }
    session.commit()  # the check takes a while: hold no lock (on SQLite every transaction takes the write lock)
    sources = {name: source for copy in copies for name, source in copy.sources().items()}
    findings = edits.check(ctx, live, sources)
    renderer = edits.draft_renderer(ctx, live, sources)
    columns = [
        {
            "copy": copy,
            "name": language_name(copy.language),
            "own_name": language_name(copy.language, copy.language),
            "findings": _findings_of(copy, findings, ctx),
            "preview": preview(ctx, renderer, campaign, step, phase, copy.language),
            "history": history[copy.language],
            "target_segments": ctx.settings.target_segments(copy.language),
        }
        for copy in copies
    ]
    response = render(
        request,
        "editor.html",
        campaign=campaign,
        step=step,
        phase=phase,
        phases=PHASES,
        columns=columns,
        default_name=language_name(ctx.settings.clinic.default_language),
        languages=language_names(ctx),
        language=ctx.settings.clinic.default_language,
        max_segments=ctx.settings.sms.max_segments,
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
    language: Text = "",
):
    """A test of the copy as this page previews it: the saved drafts over the published copy, in `language`."""
    campaign, step = find_step(ctx, name, step_key)
    phase, language = _phase(phase), served_language(ctx, language)
    renderer = edits.draft_renderer(ctx, edits.published(session), _all_sources(ctx, session, step))
    back = _back(campaign.name, step.key, phase, language)
    return queue_test(request, ctx, session, staff, campaign, step, to, phase, back, renderer, language=language)


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
    language: Text = "",
    confirm: Text = "",
):
    """Save, publish, discard or start (from the default language's copy) one language's copy of the step. Publishing
    sends the copy to clients, so it is asked to be confirmed first (`confirm=yes`, from the confirmation page)."""
    _, step = find_step(ctx, name, step_key)
    language = served_language(ctx, language)
    copy = edits.step_copy(ctx, session, step, language)
    back = _back(name, step_key, _phase(phase), language)
    called = language_name(language)
    if action == "start":
        return _start(request, ctx, session, staff.username, step, language, back)
    if action == "discard":
        edits.discard_drafts(session, list(copy.names.values()), staff.username, now(request))
        session.commit()
        flash(request, "ok", f"{called} draft discarded: the editor shows the live copy.")
        return RedirectResponse(back, status_code=303)
    edits.save_draft(ctx, session, copy.edited(subject, body, sms).sources(), staff.username, now(request))
    session.commit()
    if action != "publish":
        flash(request, "ok", f"{called} draft saved. It is not sent until it is published.")
        return RedirectResponse(back, status_code=303)
    if confirm != "yes":
        asked = urlencode({"language": language, "phase": _phase(phase)})
        return RedirectResponse(f"/campaigns/{name}/{step_key}/publish?{asked}", status_code=303)
    try:
        versions = edits.publish(ctx, session, list(copy.names.values()), staff.username, now(request))
    except edits.CopyHasErrors:
        session.rollback()
        flash(request, "error", f"{called} copy not published: fix the errors below first. Your draft is saved.")
        return RedirectResponse(back, status_code=303)
    session.commit()
    edits.refresh_published(ctx)
    flash(
        request,
        "ok",
        f"{called} copy published: the next pass of the worker sends it."
        if versions
        else "Nothing changed, so nothing was published.",
    )
    return RedirectResponse(back, status_code=303)


@router.get("/{name}/{step_key}/publish")
def confirm_publish(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: CampaignsStaff,
    name: str,
    step_key: str,
    language: str = "",
    phase: str = "establishing",
):
    """What publishing one language's saved copy changes, to confirm before clients get it."""
    campaign, step = find_step(ctx, name, step_key)
    language = served_language(ctx, language)
    copy = edits.step_copy(ctx, session, step, language)
    changes = {
        channel: edits.diff(edits.live_source(ctx, session, template) or "", copy.sources().get(template, ""))
        for channel, template in copy.present.items()
    }
    return render(
        request,
        "publish.html",
        campaign=campaign,
        step=step,
        copy=copy,
        phase=_phase(phase),
        language=language_name(language),
        changes=changes,
        back=_back(name, step_key, _phase(phase), language),
    )


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
    language: Text = "",
):
    """One language's preview as the person types (editor.js): nothing is stored."""
    campaign, step = find_step(ctx, name, step_key)
    language = served_language(ctx, language)
    copy = edits.step_copy(ctx, session, step, language).edited(subject, body, sms)
    live = edits.published(session)
    sources = {**_all_sources(ctx, session, step), **copy.sources()}
    session.commit()
    renderer = edits.draft_renderer(ctx, live, sources)
    return JSONResponse(preview(ctx, renderer, campaign, step, _phase(phase), language))


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
    version = _version(ctx, session, step, version_id)
    older = next((v for v in edits.history(session, version.name) if v.id < version.id), None)
    return render(
        request,
        "version.html",
        campaign=campaign,
        step=step,
        version=version,
        language=language_name(_language_of(ctx, version.name)),
        language_tag=_language_of(ctx, version.name),
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
    confirm: Text = "",
):
    """Publish an earlier version again, once confirmed (`confirm=yes`); else show the version page to confirm on."""
    _, step = find_step(ctx, name, step_key)
    version = _version(ctx, session, step, version_id)
    language = _language_of(ctx, version.name)
    if confirm != "yes":
        return RedirectResponse(f"/campaigns/{name}/{step_key}/versions/{version.id}#restore", status_code=303)
    edits.restore(session, version.id, staff.username, now(request))
    session.commit()
    edits.refresh_published(ctx)
    flash(
        request,
        "ok",
        f"{language_name(language)} version {version.id} restored and published: the next pass of the worker sends it.",
    )
    return RedirectResponse(_back(name, step_key, "establishing", language), status_code=303)


def preview(
    ctx: Context, renderer: Renderer, campaign: Campaign, step: Step, phase: str, language: str
) -> dict[str, dict[str, str]]:
    """channel -> what one language's column shows for the sample client: the email's subject and HTML, the text
    and its sizes (the short text's, and which of the two a long name gets)."""
    found = {}
    for channel in edits.step_templates(step):
        context = sample_context(ctx.settings, phase, channel, language)
        try:
            rendered, error = renderer.render(campaign, step, channel, context), ""
        except (RenderError, ValueError) as exc:
            rendered, error = None, str(exc)
        sized = rendered is not None and channel == "sms"
        found[channel] = {
            "error": error,
            "subject": rendered.subject if rendered else "",
            "text": rendered.text if rendered else "",
            "html": rendered.html if rendered else "",
            "language": language_name(rendered.language) if rendered else "",
            **(
                _text_sizes(ctx, renderer, campaign, step, phase, language, rendered.text)
                if sized
                else _no_size(channel)
            ),
        }
    return found


def sms_size(text: str, target: int, maximum: int) -> str:
    """A rendered text's size in words, measured against settings.toml's target and maximum:
    "1 segment · GSM-7 · 130 characters", "… · over the target of 1: shorten it"."""
    count = count_segments(text)
    words = f"{_segments(count.segments)} · {count.encoding} · {count.characters} characters"
    if count.segments > maximum:
        return words + f" · over the maximum of {maximum}: never sent this long"
    return words + (f" · over the target of {target}: shorten it" if count.segments > target else "")


def _text_sizes(
    ctx: Context, renderer: Renderer, campaign: Campaign, step: Step, phase: str, language: str, text: str
) -> dict[str, str]:
    """A text's size, its `{% block short %}`'s size if it has one, and what the longest sample name is sent."""
    target, most = ctx.settings.target_segments(language), ctx.settings.sms.max_segments
    try:
        short = renderer.render_short(campaign, step, sample_context(ctx.settings, phase, "sms", language))
        long_name = _long_name(renderer, campaign, step, phase, language, most)
    except (RenderError, ValueError) as exc:  # the short block's own mistake: the full text rendered
        return {"size": sms_size(text, target, most), "short_size": f"cannot be rendered: {exc}", "long_name": ""}
    return {
        "size": sms_size(text, target, most),
        "short_size": sms_size(short.text, target, most) if short else "",
        "long_name": long_name,
    }


def _long_name(renderer: Renderer, campaign: Campaign, step: Step, phase: str, language: str, most: int) -> str:
    """What the client with the sample name whose text is longest is sent, as dispatch decides it."""
    sizes = []
    for first_name in LONG_SAMPLE_NAMES:
        context = sample_context(renderer.settings, phase, "sms", language, first_name)
        full = renderer.render(campaign, step, "sms", context)
        count = count_segments(full.text)
        sizes.append(((count.segments, count.characters), first_name, full.text, context))
    (segments, _), first_name, full_text, context = max(sizes, key=lambda size: size[0])
    try:
        sent = renderer.render_within(campaign, step, "sms", context, most)
    except TooLong as exc:
        return f"{first_name}: not sent, too long ({exc.segments} segments; at most {most})"
    if sent.text == full_text:
        return f"{first_name}: the full text ({_segments(segments)})"
    return (
        f"{first_name}: the short text ({_segments(count_segments(sent.text).segments)}), "
        f"since the full one needs {_segments(segments)}"
    )


def _no_size(channel: str) -> dict[str, str]:
    """A text that does not render has no size (its error says why); an email never has one."""
    return {"size": "", "short_size": "", "long_name": ""} if channel == "sms" else {}


def _segments(count: int) -> str:
    return f"{count} segment{'s' if count != 1 else ''}"


def _findings_of(copy: edits.StepCopy, findings: list[Finding], ctx: Context) -> dict:
    """The findings in this language's templates, labelled as the column shows them, and whether any blocks it."""
    paths = {ctx.renderer.path_of(name) for name in copy.sources()}
    own = [f for f in findings if Path(f.path) in paths]
    return {"list": [(copy.where(f, ctx.renderer), f) for f in own], "blocked": bool(errors(own))}


def _all_sources(ctx: Context, session: Session, step: Step) -> dict[str, str]:
    """Every language's copy of the step as the editor shows it, so a preview's includes see the drafts too."""
    return {
        name: source
        for language in ctx.settings.served_languages
        for name, source in edits.step_copy(ctx, session, step, language).sources().items()
    }


def _language_of(ctx: Context, template: str) -> str:
    return language_of(template, ctx.settings.clinic.default_language)


def _start(
    request: Request, ctx: Context, session: Session, author: str, step: Step, language: str, back: str
) -> RedirectResponse:
    """Start a language's missing copy from the default language's."""
    called, default = language_name(language), language_name(ctx.settings.clinic.default_language)
    try:
        started = edits.start_from_default(ctx, session, step, language, author, now(request))
    except ValueError as exc:
        started, reason = [], str(exc)
    else:
        reason = f"the {called} copy is written already"
    session.commit()
    if started:
        flash(request, "ok", f"{called} copy started from the {default}: translate it, then publish it.")
    else:
        flash(request, "error", f"Nothing to start: {reason}.")
    return RedirectResponse(back, status_code=303)


def _phase(value: str) -> str:
    return value if value in PHASES else "establishing"


def _back(name: str, step_key: str, phase: str, language: str) -> str:
    return f"/campaigns/{name}/{step_key}/edit?" + urlencode({"phase": phase}) + f"#copy-{language}"


def _version(ctx: Context, session: Session, step: Step, version_id: int) -> TemplateVersion:
    version = session.get(TemplateVersion, version_id)
    if version is None or version.name not in edits.every_step_template(ctx, step):
        raise PageNotFound(f"There is no version {version_id} of this step's copy.")
    return version
