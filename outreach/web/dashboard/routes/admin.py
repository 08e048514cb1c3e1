"""Admin pages: the audit log, the staff accounts (added with `outreach users add`; deactivated, given a new
password or another role here) and the API keys (made with `outreach api-keys create`, revoked here or by the CLI).
Every member may open the staff page for their own contact details, the addresses their test sends may go to."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from outreach.models import AuditEntry, Role, StaffUser
from outreach.services import users
from outreach.services.delivery_log import MAX_ID
from outreach.services import api_keys
from outreach.services.users import list_users
from outreach.web.dashboard.auth import ROLE_NAMES, AdminStaff, AnyStaff
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.clients import FormText
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render

router = APIRouter()
# An instant written into an audit detail by isoformat() (services.facts): shown in the clinic's zone instead.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")


def with_instants(detail: str) -> list[str | datetime]:
    """The detail's text, with each ISO instant in it as a datetime for the page to show in the clinic's zone."""
    parts: list[str | datetime] = []
    end = 0
    for found in _INSTANT.finditer(detail):
        try:
            moment = datetime.fromisoformat(found.group(0).replace("Z", "+00:00"))
        except ValueError:
            continue
        parts += [detail[end : found.start()], moment]
        end = found.end()
    return [*parts, detail[end:]]


PAGE_SIZE = 100
RowId = Annotated[int, Query(ge=1, le=MAX_ID)]


@router.get("/audit")
def audit_log(
    request: Request,
    session: SessionDep,
    staff: AdminStaff,
    actor: str = "",
    action: str = "",
    client: RowId | None = None,
    before: RowId | None = None,
):
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    if actor.strip():
        query = query.where(AuditEntry.actor == actor.strip().lower())
    if action.strip():
        query = query.where(AuditEntry.action == action.strip())
    if client is not None:
        query = query.where(AuditEntry.client_id == client)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = list(session.exec(query))
    filters = {k: v for k, v in {"actor": actor.strip(), "action": action.strip(), "client": client}.items() if v}
    older = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    return render(
        request,
        "audit.html",
        entries=entries[:PAGE_SIZE],
        details={entry.id: with_instants(entry.detail) for entry in entries[:PAGE_SIZE]},
        actor=actor,
        action=action,
        client=client if client is not None else "",
        older_url="/audit?" + urlencode({**filters, "before": older}) if older else "",
        first_url="/audit?" + urlencode(filters) if before is not None else "",
    )


@router.get("/users")
def staff_accounts(request: Request, session: SessionDep, staff: AnyStaff):
    """The staff accounts and API keys for an admin; for anyone, their own contact details."""
    admin = staff.can("admin")
    return render(
        request,
        "users.html",
        me=users.find_user(session, staff.username),
        users=list_users(session) if admin else [],
        roles=[(role.value, name) for role, name in ROLE_NAMES.items()],
        api_keys=api_keys.list_keys(session) if admin else [],
        admin=admin,
    )


@router.post("/users/me/contact")
def set_own_contact(
    request: Request, ctx: ContextDep, session: SessionDep, staff: AnyStaff, email: FormText = "", phone: FormText = ""
):
    region = ctx.settings.clinic.default_region
    return _change_account(
        request,
        session,
        lambda: users.set_contact(
            session, staff.username, staff.username, now(request), region=region, email=email, phone=phone
        ),
        "Your contact details are saved: your test sends may go to them.",
    )


@router.post("/users/{username}/role")
def change_role(request: Request, session: SessionDep, staff: AdminStaff, username: str, role: FormText = ""):
    return _change_account(
        request,
        session,
        lambda: users.change_role(session, username, role, staff.username, now(request)),
        "{user} is now {role}.",
    )


@router.post("/users/{username}/password")
def reset_password(
    request: Request,
    session: SessionDep,
    staff: AdminStaff,
    username: str,
    password: FormText = "",
    confirm: FormText = "",
):
    def reset() -> StaffUser:
        if password != confirm:
            raise users.UserError("password: the two entries differ")
        return users.reset_password(session, username, password, staff.username, now(request))

    return _change_account(request, session, reset, "New password set for {user}; their sessions have ended.")


@router.post("/users/{username}/deactivate")
def deactivate(request: Request, session: SessionDep, staff: AdminStaff, username: str):
    return _change_account(
        request,
        session,
        lambda: users.deactivate(session, username, staff.username, now(request)),
        "Deactivated {user}; their sessions have ended.",
    )


def _change_account(request: Request, session: SessionDep, change: Callable[[], StaffUser], done: str):
    try:
        user = change()
    except users.UserError as exc:
        session.rollback()
        flash(request, "error", f"Not changed: {exc}")
    else:
        session.commit()
        flash(request, "ok", done.format(user=user.username, role=ROLE_NAMES[Role(user.role)]))
    return RedirectResponse("/users", status_code=303)


@router.post("/api-keys/{name}/revoke")
def revoke_api_key(request: Request, session: SessionDep, staff: AdminStaff, name: str):
    try:
        api_keys.revoke_key(session, name, staff.username, at=now(request))
    except api_keys.ApiKeyError as exc:
        raise PageNotFound(str(exc)) from None
    session.commit()
    flash(request, "ok", f"API key {name!r} revoked.")
    return RedirectResponse("/users", status_code=303)
