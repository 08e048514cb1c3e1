"""The front-desk dashboard: its pages, static files, session cookie, security headers and error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outreach.web.dashboard.auth import Forbidden, NotSignedIn
from outreach.web.dashboard.csrf import CsrfRejected
from outreach.web.dashboard.routes import router
from outreach.web.dashboard.routes.pages import PageNotFound, render

STATIC = Path(__file__).resolve().parent.parent / "static"
SESSION_COOKIE = "outreach_session"
# An upper bound however active the user is; the idle timeout (settings.web) usually ends sessions first.
SESSION_MAX_AGE = 12 * 60 * 60
# Paths served by other parts of the app, which prove themselves without a staff session (the API: by its keys).
NOT_DASHBOARD = ("/webhooks/", "/unsubscribe/", "/preferences/", "/checkin/", "/learn/", "/api/")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install(app: FastAPI) -> None:
    ctx = app.state.ctx
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=ctx.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure_cookies(ctx.settings.web.public_url),
    )
    app.add_exception_handler(NotSignedIn, _sign_in_first)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(PageNotFound, _not_found)
    app.add_exception_handler(RequestValidationError, _unreadable)


def secure_cookies(public_url: str) -> bool:
    """Cookies are Secure (HTTPS only) except when the dashboard is served from this machine over plain HTTP."""
    parts = urlsplit(public_url)
    return not (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"))


class SecurityHeaders:
    """Headers every dashboard response carries, unless a route set its own (the email preview does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_DASHBOARD):
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not is_static:
                    # Client details must not linger in the browser's cache on a shared front-desk machine.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _sign_in_first(request: Request, exc: NotSignedIn) -> RedirectResponse:
    params = {"expired": "1"} if exc.expired else {}
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and wanted != "/":
        params["next"] = wanted
    return RedirectResponse("/login" + (f"?{urlencode(params)}" if params else ""), status_code=303)


def _forbidden(request: Request, exc: Forbidden):  # noqa: ANN202
    return render(
        request,
        "error.html",
        status_code=403,
        title="Not available to your role",
        message=f"This page is not open to {exc.staff.role_name} accounts. Ask an admin if you need it.",
    )


def _csrf_rejected(request: Request, exc: CsrfRejected):  # noqa: ANN202
    return render(
        request,
        "error.html",
        status_code=403,
        title="That form could not be accepted",
        message="The page it came from was too old or was not from this dashboard. "
        "Go back, reload the page and try again.",
    )


def _not_found(request: Request, exc: PageNotFound):  # noqa: ANN202
    return render(request, "error.html", status_code=404, title="Not found", message=str(exc))


async def _unreadable(request: Request, exc: RequestValidationError):  # noqa: ANN202
    """A dashboard address with a part that is not what it should be (/clients/abc, ?client=-1): a page that
    says so. Everyone else (webhooks) keeps FastAPI's JSON answer."""
    if request.url.path.startswith(NOT_DASHBOARD):
        return await request_validation_exception_handler(request, exc)
    if any(error["loc"][0] == "path" for error in exc.errors()):
        return render(request, "error.html", status_code=404, title="Not found", message="There is no such page.")
    fields = ", ".join(sorted({str(error["loc"][-1]) for error in exc.errors()}))
    return render(
        request,
        "error.html",
        status_code=400,
        title="That address could not be read",
        message=f"Check {fields} in the address, or start again from the menu.",
    )
