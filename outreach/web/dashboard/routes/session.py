"""Signing in and out. Failed attempts are counted per username and address (audited, so across processes)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from outreach.db import read_only_session
from outreach.models import Role
from outreach.services import users
from outreach.web.dashboard.auth import PERMISSIONS, NotSignedIn, current_staff, sign_in, sign_out
from outreach.web.deps import ContextDep, SessionDep, now
from outreach.web.dashboard.routes.pages import render

router = APIRouter()


@router.get("/login")
def login_page(request: Request, expired: bool = False, next: str = "/"):  # noqa: A002
    return render(
        request,
        "login.html",
        username="",
        next=safe_next(next),
        error="",
        notice="You were signed out after a period of inactivity." if expired else "",
    )


@router.post("/login")
def login(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):  # noqa: A002
    at, address = now(request), client_address(request)
    # Reads and the slow hash hold no write lock; only the audit row below is written, in a short transaction.
    with read_only_session(ctx.engine) as reading:
        if users.failed_logins(reading, username, address, at) >= ctx.settings.web.login_attempts:
            minutes = math.ceil(users.retry_after(reading, username, address, at).total_seconds() / 60)
            return _refuse(
                request,
                username,
                next,
                429,
                f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            )
        account = users.check_login(reading, username, password)
    user = users.signed_in(session, account, password, address, at) if account else None
    if user is None:
        users.record_failed_login(session, username, address, at)
        session.commit()
        return _refuse(request, username, next, 400, "That username and password do not match an active account.")
    session.commit()
    sign_in(request, user.id, at)
    target = safe_next(next)
    if target == "/" and Role(user.role) in PERMISSIONS["clients"]:
        target = "/attention"  # the front desk starts from what waits for them
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, ctx: ContextDep, session: SessionDep):
    try:
        staff = current_staff(request, ctx, session)
    except NotSignedIn:  # already ended: nothing to record
        staff = None
    if staff is not None:
        users.record_logout(session, staff.username, now(request))
        session.commit()
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


def safe_next(target: str) -> str:
    """Only a path on this site: never `//elsewhere` or a full URL, which would make sign-in an open redirect."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _refuse(request: Request, username: str, next_path: str, status: int, error: str):  # noqa: ANN202
    return render(
        request, "login.html", status_code=status, username=username, next=safe_next(next_path), error=error, notice=""
    )
