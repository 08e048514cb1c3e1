"""Build the web app, one part per audience: platforms' health checks, providers' webhooks, the pages clients
reach from a message (public), the staff dashboard, and the REST API; then the pages for a request no route takes,
and HEAD on every GET address. The scheduler never runs here: only the worker process sends; the web process
queues rows for it (replies, opt-out confirmations, test sends)."""

from __future__ import annotations

from fastapi import FastAPI

from outreach.context import Context, open_context
from outreach.models import utcnow


def create_app(ctx: Context | None = None) -> FastAPI:
    from outreach.web import api, dashboard, health, public, unrouted, webhooks
    from outreach.web.head import HeadAsGet
    from outreach.web.logs import install_redaction

    ctx = ctx or open_context()
    app = FastAPI(title="outreach", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.clock = utcnow  # tests freeze it
    install_redaction()
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(public.router)
    dashboard.install(app)
    api.mount(app)
    unrouted.install(app)
    app.add_middleware(HeadAsGet)  # outermost: every part below sees a HEAD as its GET
    return app
