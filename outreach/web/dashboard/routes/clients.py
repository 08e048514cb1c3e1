"""Client pages: search, one client's record, and the forms that change it (each through services.facts)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Callable, Iterable
from urllib.parse import urlencode
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from outreach.context import Context
from outreach.models import Channel, Client, ClientStatus, Suppression, VisitStatus
from outreach.policy.languages import UnknownLanguage, language_tag
from outreach.services import facts, records
from outreach.services.attention import flag_unseen
from outreach.services.client_language import suggestion as language_suggestion
from outreach.services.conversations import text_refusal
from outreach.services.clients import cadence_for, client_zone
from outreach.services.delivery_log import MAX_ID, client_matches
from outreach.services.erasure import ERASED_PREFIX, erase_client
from outreach.services.preferences import choices as client_choices
from outreach.services.timeline import TIMELINE_LIMIT, chart_data, client_timeline, consent_history
from outreach.web.dashboard.auth import ClientsStaff
from outreach.charts.pain import pain_charts
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.log import language_choices
from outreach.web.dashboard.routes.pages import PageNotFound, clinic_zone, flash, render
from outreach.contacts import check_plausible_year

router = APIRouter(prefix="/clients")
PAGE_SIZE = 50
FUTURE_GRACE = timedelta(minutes=5)
FormText = Annotated[str, Form()]
VISIT_STATUSES = tuple(status.value for status in VisitStatus)
CHANNEL_WORDS = {Channel.email.value: "Email", Channel.sms.value: "Text message"}


class FormProblem(ValueError):
    """A form field that cannot be used; the message is shown beside the form, or beside each field named in
    `fields` (field -> message)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


# Sortable columns of the list: (label, order). Empty dates sort last either way.
SORTS = {
    "name": ("Name", (Client.last_name, Client.first_name)),
    "phase": ("Phase", (Client.phase, Client.last_name)),
    "worsening": ("Worsening since", (Client.worsening_since.desc().nulls_last(), Client.last_name)),
    "last_visit": ("Last visit", (Client.last_visit_at.desc().nulls_last(), Client.last_name)),
    "next_visit": ("Next booked", (Client.next_visit_at.asc().nulls_last(), Client.last_name)),
}

# Which clients the list shows: (label, condition). Archived clients get no messages; by default they stay out
# of the way of the ones the front desk is looking after.
SHOWN = {
    "": ("Active and paused", (Client.status != ClientStatus.archived,)),
    "archived": ("Archived", (Client.status == ClientStatus.archived,)),
    "all": ("All", ()),
}


def _erased_last():  # noqa: ANN202
    """Erased clients (no name left) after everyone else, whatever the sort."""
    return col(Client.external_id).startswith(ERASED_PREFIX, autoescape=True)


@router.get("")
def client_list(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    q: str = "",
    page: int = 1,
    sort: str = "name",
    language: str = "",
    show: str = "",
):
    page, sort = max(page, 1), sort if sort in SORTS else "name"
    show = show if show in SHOWN else ""
    errors: dict[str, str] = {}
    try:
        tag = language_tag(language, ctx.settings.served_languages) if language.strip() else ""
    except UnknownLanguage as exc:
        tag, errors["language"] = "", f"language: {exc}"
    where = [*client_matches(q), *((Client.language == tag,) if tag else ()), *SHOWN[show][1]]
    query = select(Client).where(*where).order_by(_erased_last(), *SORTS[sort][1], Client.id)
    found = list(session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return render(
        request,
        "clients.html",
        status_code=400 if errors else 200,
        clients=found[:PAGE_SIZE],
        q=q,
        language=tag,
        languages=language_choices(ctx.settings.served_languages),
        show=show,
        shown={key: label for key, (label, _) in SHOWN.items()},
        search=urlencode({name: value for name, value in (("q", q), ("language", tag), ("show", show)) if value}),
        errors=errors,
        page=page,
        sort=sort,
        sorts={key: label for key, (label, _) in SORTS.items()},
        more=len(found) > PAGE_SIZE,
    )


@router.get("/new")
def new_client_form(request: Request, ctx: ContextDep, staff: ClientsStaff):
    values = {"language": ctx.settings.clinic.default_language}
    return render(request, "client_new.html", **_new_form(ctx, values))


@router.post("/new")
def add_client(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    external_id: FormText = "",
    first_name: FormText = "",
    last_name: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    timezone: FormText = "",
    language: FormText = "",
    email_consent: FormText = "",
    sms_consent: FormText = "",
    consent_source: FormText = "",
):
    details = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "timezone": timezone,
        "language": language,
    }
    values = {
        **details,
        "external_id": external_id,
        "email_consent": email_consent,
        "sms_consent": sms_consent,
        "consent_source": consent_source,
    }
    grants = [channel for channel, ticked in (("email", email_consent), ("sms", sms_consent)) if ticked == "yes"]
    chosen = external_id.strip() or f"desk-{secrets.token_hex(4)}"
    if _client_by_external_id(session, chosen) is not None:
        errors = {"details": f"external_id: {chosen!r} is already a client's id"}
        return render(request, "client_new.html", status_code=400, **_new_form(ctx, values, errors))
    if grants and consent_source not in CONSENT_SOURCES:
        errors = {"consent": "consent: say how the client gave it"}
        return render(request, "client_new.html", status_code=400, **_new_form(ctx, values, errors))
    try:
        result = records.save_clients(
            session, [{**details, "external_id": chosen}], ctx.settings, staff.username, now(request)
        )
        client = find_client(session, result.ids[0])
        _grant_on_adding(session, client, grants, consent_source, staff.username, now(request))
    except records.BatchRejected as exc:
        session.rollback()
        return render(request, "client_new.html", status_code=400, **_new_form(ctx, values, _form_errors(exc)))
    except FormProblem as exc:
        session.rollback()
        return render(request, "client_new.html", status_code=400, **_new_form(ctx, values, {"consent": str(exc)}))
    session.commit()
    flash(request, "ok", _added_note(grants))
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


# How a client gave consent at the desk: the consent's source, recorded as "dashboard:<key>".
CONSENT_SOURCES = {
    "intake-form": "On the intake form they signed",
    "in-person": "In person, at the desk",
    "phone": "On the phone",
    "booking-form": "On the online booking form",
}


def _grant_on_adding(
    session: Session, client: Client, grants: list[str], source: str, actor: str, at: datetime
) -> None:
    """The consent given on the add form, through the one consent rule (facts.record_consent)."""
    for channel in grants:
        _check_reachable(client, channel)
        try:
            facts.record_consent(
                session, client, channel, True, f"dashboard:{source}", actor, at=at, note=f"given when added by {actor}"
            )
        except facts.ConsentRefused as exc:
            raise FormProblem(f"consent: {exc}") from None


def _added_note(grants: list[str]) -> str:
    if not grants:
        return "Client added. Record their consent before any message goes out."
    return f"Client added, with consent to {' and '.join(CHANNEL_WORDS[c].lower() + 's' for c in grants)}."


@router.get("/{client_id}")
def client_page(request: Request, ctx: ContextDep, session: SessionDep, staff: ClientsStaff, client_id: int):
    client = find_client(session, client_id)
    facts.audit(session, staff.username, "client.view", client.id, at=now(request))
    session.commit()
    return _render_client(request, ctx, session, client)


@router.post("/{client_id}/visits")
def record_visit(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    client_id: int,
    starts_at: FormText = "",
    status: FormText = "",
):
    def change(client: Client) -> str:
        moment = _local_moment(starts_at, clinic_zone(request), "visit time")
        chosen = _choice(status, VISIT_STATUSES, "visit status")
        facts.record_visit(session, client, moment, chosen, staff.username, at=now(request))
        return "Visit recorded."

    return _apply(request, ctx, session, client_id, "visit", change, starts_at=starts_at, status=status)


@router.post("/{client_id}/progress")
def record_progress(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    client_id: int,
    pain: FormText = "",
    enjoyment: FormText = "",
    activity: FormText = "",
    recorded_at: FormText = "",
):
    def change(client: Client) -> str:
        at = now(request)
        moment = _local_moment(recorded_at, clinic_zone(request), "time") if recorded_at.strip() else at
        if moment > at + FUTURE_GRACE:
            raise FormProblem("time: a score cannot be recorded for the future")
        facts.record_progress(
            session,
            client,
            moment,
            _score(pain, "pain", required=True),
            staff.username,
            peg_enjoyment=_score(enjoyment, "enjoyment of life"),
            peg_activity=_score(activity, "general activity"),
            at=at,
        )
        return "Progress recorded."

    return _apply(
        request,
        ctx,
        session,
        client_id,
        "progress",
        change,
        pain=pain,
        enjoyment=enjoyment,
        activity=activity,
        recorded_at=recorded_at,
    )


@router.post("/{client_id}/consent")
def change_consent(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    client_id: int,
    channel: FormText = "",
    granted: FormText = "",
    note: FormText = "",
):
    def change(client: Client) -> str:
        chosen = _choice(channel, CHANNEL_WORDS, "channel")
        grant = _choice(granted, ("yes", "no"), "consent") == "yes"
        if grant:
            _check_reachable(client, chosen)
        try:
            changed = facts.record_consent(
                session,
                client,
                chosen,
                grant,
                f"dashboard:{staff.username}"[:64],
                staff.username,
                at=now(request),
                note=note.strip()[:500],
            )
        except facts.ConsentRefused as exc:  # the client's own opt-out stands (the one rule for every door)
            raise FormProblem(f"consent: {exc}") from None
        word = "granted" if grant else "revoked"
        return f"{CHANNEL_WORDS[chosen]} consent {word}" + ("." if changed else " already.")

    return _apply(request, ctx, session, client_id, "consent", change, note=note)


@router.post("/{client_id}/details")
def change_details(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    staff: ClientsStaff,
    client_id: int,
    first_name: FormText = "",
    last_name: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    timezone: FormText = "",
    language: FormText = "",
):
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "timezone": timezone,
        "language": language,
    }

    def change(client: Client) -> str:
        # The importer's checks, through services.records: the same rules for a typed number as for a file, and
        # a language changed through services.client_language, as every door changes it.
        try:
            result = records.save_clients(
                session, [{**values, "external_id": client.external_id}], ctx.settings, staff.username, now(request)
            )
        except records.BatchRejected as exc:
            raise FormProblem(_reasons(exc), _form_errors(exc)) from None
        return "Details saved." if result.outcomes["updated"] else "Nothing changed."

    return _apply(request, ctx, session, client_id, "details", change, **values)


@router.post("/{client_id}/erase")
def erase(
    request: Request, ctx: ContextDep, session: SessionDep, staff: ClientsStaff, client_id: int, confirm: FormText = ""
):
    client = find_client(session, client_id)
    if confirm != "yes":
        return _render_client(
            request,
            ctx,
            session,
            client,
            status_code=400,
            errors={"erase": "erase: tick the box to confirm the client asked for this"},
        )
    erase_client(session, client, staff.username, now(request))
    session.commit()
    flash(request, "ok", f"Client {client_id} erased. Any opt-out (STOP) is kept.")
    return RedirectResponse("/clients", status_code=303)


STATUS_CHANGES = {
    "paused": "Outreach paused.",
    "active": "Outreach resumed.",
    "archived": "Client archived: no messages until restored.",
}


@router.post("/{client_id}/status")
def change_status(
    request: Request, ctx: ContextDep, session: SessionDep, staff: ClientsStaff, client_id: int, status: FormText = ""
):
    def change(client: Client) -> str:
        chosen = _choice(status, STATUS_CHANGES, "status")
        restoring = client.status == ClientStatus.archived and chosen == ClientStatus.active
        facts.set_status(session, client, chosen, staff.username, at=now(request))
        return "Client restored." if restoring else STATUS_CHANGES[chosen]

    return _apply(request, ctx, session, client_id, "status", change)


def _apply(
    request: Request,
    ctx: Context,
    session: Session,
    client_id: int,
    form: str,
    change: Callable[[Client], str],
    **values: str,
):  # noqa: ANN202
    """Run one form's change: commit and go back to the client on success; otherwise change nothing, show the
    form again with what was typed, and say why."""
    client = find_client(session, client_id)
    try:
        message = change(client)
    except ValueError as exc:  # FormProblem, or a check inside services.facts
        session.rollback()
        errors = getattr(exc, "fields", None) or {form: str(exc)}
        return _render_client(request, ctx, session, client, errors=errors, values=values, status_code=400)
    session.commit()
    flash(request, "ok", message)
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


def _render_client(
    request: Request,
    ctx: Context,
    session: Session,
    client: Client,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
):  # noqa: ANN202
    at, zone = now(request), clinic_zone(request)
    cadence = cadence_for(session, client, ctx.settings, at)
    return render(
        request,
        "client.html",
        status_code=status_code,
        client=client,
        client_zone=client_zone(client, ctx.settings),
        languages=language_choices(dict.fromkeys((*ctx.settings.served_languages, client.language))),
        zone_names=zone_names(),
        cadence=cadence,
        consent=consent_history(session, client.id),
        suppressions=_suppressions(session, client),
        chart=pain_charts(chart_data(session, client.id), zone, at, baseline=cadence.baseline),
        timeline=client_timeline(session, client.id),
        timeline_limit=TIMELINE_LIMIT,
        errors=errors or {},
        values=values or {},
        now_local=at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        visit_statuses=VISIT_STATUSES,
        flag_unseen=flag_unseen(client),
        choices=client_choices(session, client, at),
        text_refused=text_refusal(ctx, session, client),
        language_suggestion=language_suggestion(session, client, ctx.settings),
    )


def _client_by_external_id(session: Session, external_id: str) -> Client | None:
    return session.exec(select(Client).where(Client.external_id == external_id)).first()


def _reasons(exc: records.BatchRejected) -> str:
    return "; ".join(
        f"{problem.column}: {problem.reason}" if problem.column else problem.reason for problem in exc.problems
    )


def _form_errors(exc: records.BatchRejected) -> dict[str, str]:
    """The contact form's errors: the language beside its own select, the rest beside the form."""
    errors: dict[str, list[str]] = {}
    for problem in exc.problems:
        text = f"{problem.column}: {problem.reason}" if problem.column else problem.reason
        errors.setdefault("language" if problem.column == "language" else "details", []).append(text)
    return {field: "; ".join(texts) for field, texts in errors.items()}


def _new_form(ctx: Context, values: dict[str, str], errors: dict[str, str] | None = None) -> dict:
    return {
        "errors": errors or {},
        "values": values,
        "zones": ctx.settings.clinic.timezone,
        "zone_names": zone_names(),
        "consent_sources": CONSENT_SOURCES,
        "languages": language_choices(ctx.settings.served_languages),
    }


# The zones most US clinics' clients are in, east to west, offered first.
US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Detroit",
    "America/Indiana/Indianapolis",
    "America/Boise",
    "America/Puerto_Rico",
)
_LEGACY_ZONES = ("Etc/", "SystemV/", "US/", "posix/", "right/")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """IANA zone names for the time-zone field's list: the US ones first, then every other by name."""
    others = sorted(name for name in available_timezones() if "/" in name and not name.startswith(_LEGACY_ZONES))
    return (*US_ZONES, *(name for name in others if name not in US_ZONES), "UTC")


def find_client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id) if 0 < client_id <= MAX_ID else None
    if client is None:
        raise PageNotFound(f"There is no client number {client_id}.")
    return client


def _suppressions(session: Session, client: Client) -> dict[str, Suppression]:
    addresses = {"email": (client.email or "").strip().lower(), "sms": client.phone or ""}
    found = session.exec(select(Suppression).where(Suppression.address.in_([a for a in addresses.values() if a])))
    return {s.channel: s for s in found if addresses.get(s.channel) == s.address}


def _check_reachable(client: Client, channel: str) -> None:
    if channel == Channel.email and not client.email:
        raise FormProblem("consent: there is no email address on file to send to")
    if channel == Channel.sms and (not client.phone or client.phone_invalid):
        raise FormProblem("consent: there is no working mobile number on file to text")


def _local_moment(raw: str, zone: ZoneInfo, field: str) -> datetime:
    """A date and time typed in the clinic's zone, as an aware instant; years outside 1900-2100 are typos."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise FormProblem(f"{field}: {raw!r} is not a date and time like 2026-03-02T10:30") from None
    try:
        check_plausible_year(moment)
    except ValueError as exc:
        raise FormProblem(f"{field}: {exc}") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _score(raw: str, field: str, required: bool = False) -> int | None:
    text = raw.strip()
    if not text and not required:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 10:
        raise FormProblem(f"{field}: enter a whole number from 0 to 10")
    return int(text)


def _choice(raw: str, options: Iterable[str], field: str) -> str:
    if raw not in options:
        raise FormProblem(f"{field}: choose one of {', '.join(options)}")
    return raw
