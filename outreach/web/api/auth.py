"""Who is calling: an API key in `Authorization: Bearer …`, with the scope the route needs, within its rate."""

from __future__ import annotations

from typing import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from outreach.db import session_scope
from outreach.models import ApiKey
from outreach.services import api_keys
from outreach.web.api.problems import ApiProblem
from outreach.web.deps import now

bearer = HTTPBearer(auto_error=False, description="An API key from `outreach api-keys create`.")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="outreach"'}


def require(scope: str) -> Callable[..., ApiKey]:
    """A dependency: the calling key, which must be live, hold `scope` and be within its rate."""

    def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        if credentials is None:
            raise ApiProblem(
                401,
                "unauthorized",
                "An API key is required",
                "send it as: Authorization: Bearer <key>",
                headers=CHALLENGE,
            )
        with session_scope(request.app.state.ctx.engine) as session:
            key = api_keys.find_key(session, credentials.credentials)
            if key is None or key.revoked_at is not None:
                raise ApiProblem(
                    401,
                    "unauthorized",
                    "This API key is not valid",
                    "it is unknown or has been revoked",
                    headers=CHALLENGE,
                )
            wait = request.app.state.rate_limits.take(key.id)
            if wait:
                raise ApiProblem(
                    429,
                    "rate-limited",
                    "Too many requests for this key",
                    f"at most {request.app.state.ctx.settings.api.requests_per_minute} a minute",
                    headers={"Retry-After": str(int(wait) + 1)},
                )
            if not api_keys.has_scope(key, scope):
                raise ApiProblem(
                    403, "forbidden", "This API key may not do that", f"it needs the {scope} scope; it has {key.scopes}"
                )
            key.last_used_at = now(request)
            session.add(key)
        return key

    return caller
