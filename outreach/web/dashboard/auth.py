"""Who is signed in and what their role lets them do.

The session lives in a signed cookie (Starlette's SessionMiddleware, keyed by ctx.secret_key) holding the user's
id, when they signed in and when they were last seen. Every request re-reads the account, so a deactivated user
is out at once; a sign-out ends every session that user began before it; idleness ends a session too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Callable

from fastapi import Depends, Request

from outreach.models import Role
from outreach.services.users import active_user, logged_out_since
from outreach.web.dashboard.csrf import rotate
from outreach.web.deps import ContextDep, SessionDep, now

_USER, _SIGNED_IN, _SEEN = "uid", "signed_in", "seen"

PERMISSIONS: dict[str, frozenset[Role]] = {
    "log": frozenset(Role),
    "status": frozenset(Role),
    "clients": frozenset({Role.front_desk, Role.admin}),  # client pages, their forms and CSV exports
    "campaigns": frozenset({Role.marketing, Role.admin}),
    "admin": frozenset({Role.admin}),  # the audit log and staff accounts
    "reports": frozenset({Role.marketing, Role.admin}),  # campaign outcomes: aggregates only
    "care": frozenset({Role.front_desk, Role.admin}),  # care outcomes: phases and pain, in aggregate
}
ROLE_NAMES = {Role.front_desk: "front desk", Role.marketing: "marketing", Role.admin: "admin"}


class NotSignedIn(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign in first")
        self.expired = expired


class Forbidden(Exception):
    def __init__(self, staff: "Staff", permission: str) -> None:
        super().__init__(f"{staff.role} may not use {permission}")
        self.staff = staff
        self.permission = permission


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: Role

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def sign_in(request: Request, user_id: int, at: datetime) -> None:
    request.session.clear()
    rotate(request)
    request.session.update({_USER: user_id, _SIGNED_IN: at.timestamp(), _SEEN: at.timestamp()})


def sign_out(request: Request) -> None:
    # The CSRF token stays, so a form posted after the session ended is sent to sign in, not refused.
    for key in (_USER, _SIGNED_IN, _SEEN):
        request.session.pop(key, None)


def current_staff(request: Request, ctx: ContextDep, session: SessionDep) -> Staff:
    """The signed-in staff member, or NotSignedIn (the app sends them to the sign-in page)."""
    user_id = request.session.get(_USER)
    if user_id is None:
        raise NotSignedIn()
    at = now(request)
    idle = timedelta(minutes=ctx.settings.web.idle_timeout_minutes)
    if at - _instant(request.session.get(_SEEN, 0)) > idle:
        sign_out(request)
        raise NotSignedIn(expired=True)
    user = active_user(session, user_id)
    if user is None or logged_out_since(session, user.username, _instant(request.session.get(_SIGNED_IN, 0))):
        sign_out(request)
        raise NotSignedIn()
    # End the read transaction now: on SQLite every transaction takes the write lock (BEGIN IMMEDIATE, see
    # outreach.db), and a page may call services that open sessions of their own.
    session.commit()
    request.session[_SEEN] = at.timestamp()
    staff = Staff(user.id, user.username, Role(user.role))
    request.state.staff = staff
    return staff


def require(permission: str) -> Callable[..., Staff]:
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def dependency(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if not staff.can(permission):
            raise Forbidden(staff, permission)
        return staff

    return dependency


AnyStaff = Annotated[Staff, Depends(require("log"))]
ClientsStaff = Annotated[Staff, Depends(require("clients"))]
CampaignsStaff = Annotated[Staff, Depends(require("campaigns"))]
AdminStaff = Annotated[Staff, Depends(require("admin"))]


def _instant(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)
