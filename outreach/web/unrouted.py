"""A browser's answer when no route takes its request: an address that does not exist (404) or a method the
address does not take (405). The dashboard's addresses get the dashboard's page (with the menu, for staff signed
in); any other address gets a public page, with no staff menu, in the browser's language. The API (/api/) and the
providers' webhooks (/webhooks/) keep their own JSON answers, as does any program that does not ask for HTML."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import APIRouter, iter_route_contexts
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from outreach.web.dashboard.auth import NotSignedIn, current_staff
from outreach.web.dashboard.routes import router as dashboard_router
from outreach.web.dashboard.routes.pages import render
from outreach.web.public.pages import page

FOR_PROGRAMS = frozenset({"api", "webhooks"})  # first path segments whose callers read JSON
PUBLIC_PAGES = {404: "public/not-found.html", 405: "public/wrong-method.html"}
WRONG_METHOD = {  # the dashboard's 405, by whether the browser asked to see a page (GET) or sent a form to one
    True: {
        "title": "No page at this address",
        "message": "This address only takes a form sent by a button on a dashboard page. "
        "Go back to the page you came from, or start again from the menu.",
    },
    False: {
        "title": "This page takes no form",
        "message": "Go back, reload the page you came from and try again, or start again from the menu.",
    },
}


def install(app: FastAPI) -> None:
    dashboard_sections = sections(dashboard_router)

    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # registered for it alone
        section = first_segment(request.url.path)
        if exc.status_code not in PUBLIC_PAGES or section in FOR_PROGRAMS or not wants_html(request):
            return await http_exception_handler(request, exc)
        if section in dashboard_sections:
            response = await run_in_threadpool(dashboard_page, request, exc.status_code)
        else:
            response = page(request, request.app.state.ctx, PUBLIC_PAGES[exc.status_code], exc.status_code)
        response.headers.update(exc.headers or {})  # a 405's Allow
        return response

    app.add_exception_handler(HTTPException, answer)


def sections(router: APIRouter) -> frozenset[str]:
    """The first path segments of a router's routes: "clients" for /clients/{client_id}, "" for /."""
    return frozenset(first_segment(route.path or "/") for route in iter_route_contexts(router.routes))


def first_segment(path: str) -> str:
    return path.split("/", 2)[1]


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def dashboard_page(request: Request, status_code: int) -> Response:
    """The dashboard's page, with the menu if staff are signed in: a mistyped address is still inside the app."""
    ctx = request.app.state.ctx
    with Session(ctx.engine, expire_on_commit=False) as session:
        try:
            current_staff(request, ctx, session)
        except NotSignedIn:
            pass
        request.state.session = session  # the menu's counts read through it
        if status_code == 404:
            return render(request, "not_found.html", status_code=404)
        return render(request, "error.html", status_code=405, **WRONG_METHOD[request.method == "GET"])
