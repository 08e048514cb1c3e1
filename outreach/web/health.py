"""/healthz (the process answers) and /readyz (it can serve: database, schema, a live worker), for platforms.

No sign-in, and nothing in the answer but the checks' names and outcomes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from outreach.services.health import readiness
from outreach.web.deps import now

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    ctx = request.app.state.ctx
    checks = readiness(ctx.engine, ctx.settings, now(request))
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=NO_STORE,
    )
