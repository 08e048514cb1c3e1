"""Build the web app. The scheduler never runs here: only the worker process sends."""
from __future__ import annotations

from fastapi import FastAPI

from outreach.context import Context, open_context


def create_app(ctx: Context | None = None) -> FastAPI:
    ctx = ctx or open_context()
    app = FastAPI(title="outreach", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    from outreach.web import api, bookings, checkin, dashboard, health, lessons, unsubscribe, webhooks
    from outreach.web.logs import install_redaction

    install_redaction()

    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(bookings.router)
    app.include_router(unsubscribe.router)
    app.include_router(checkin.router)
    app.include_router(lessons.router)
    dashboard.install(app)
    api.mount(app)
    return app
