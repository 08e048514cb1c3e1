"""The REST API, mounted at /api: its own FastAPI app so that its OpenAPI description (/api/docs) covers the API
alone, its errors are problem+json, and no dashboard session or CSRF token is involved: API keys instead."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from outreach.web.api import routes
from outreach.web.api.ratelimit import Buckets
from outreach.web.api.problems import ApiProblem, problem_response, unreadable_request

PREFIX = "/api"


def mount(app: FastAPI) -> None:
    api = FastAPI(
        title="outreach API",
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Send clients, visits, progress and consent from your own systems; read the "
        "delivery log. Authenticate with `Authorization: Bearer <key>` "
        "(`outreach api-keys create NAME --scope facts:write`).",
    )
    api.state.ctx = app.state.ctx
    api.state.rate_limits = Buckets(app.state.ctx.settings.api.requests_per_minute)
    # The parent's clock, read at each request (tests freeze it after the app is built).
    api.state.clock = lambda: app.state.clock()
    api.include_router(routes.router)
    api.add_exception_handler(ApiProblem, problem_response)
    api.add_exception_handler(RequestValidationError, unreadable_request)
    app.mount(PREFIX, api)
