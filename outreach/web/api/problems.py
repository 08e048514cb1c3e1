"""Errors as RFC 9457 problem details (application/problem+json); record errors name the index and field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from outreach.importing.report import Problem

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://outreach.invalid/problems/"  # stable identifiers; not pages to fetch


class ApiProblem(Exception):
    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers = errors, headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": TYPE_BASE + self.kind, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def invalid_records(problems: list[Problem]) -> ApiProblem:
    errors = record_errors(problems)
    return ApiProblem(
        422,
        "invalid-records",
        "Some records are not valid",
        f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was recorded",
        errors,
    )


def refused_grants(problems: list[Problem]) -> ApiProblem:
    """Grants that would override a client's own opt-out: they conflict with the record, not with the request's
    form, so 409 rather than 422."""
    errors = record_errors(problems)
    return ApiProblem(
        409,
        "consent-refused",
        "A grant would override the client's own opt-out",
        f"{len(errors)} grant{'s' if len(errors) != 1 else ''} refused; nothing was recorded",
        errors,
    )


def record_errors(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"index": problem.line, "field": problem.column, "detail": problem.reason} for problem in problems]


def problem_response(request: Request, exc: ApiProblem) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, media_type=MEDIA_TYPE, headers=exc.headers)


def unreadable_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's shape checks (wrong types, unknown fields, too many records) in the same form."""
    errors = [_error(error) for error in exc.errors()]
    problem = ApiProblem(
        422,
        "invalid-request",
        "The request is not in the expected form",
        f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was recorded",
        errors,
    )
    return problem_response(request, problem)


def _error(error: dict[str, Any]) -> dict[str, Any]:
    location = [part for part in error["loc"] if part != "body"]
    if len(location) >= 2 and location[0] == "records" and isinstance(location[1], int):
        return {"index": location[1], "field": ".".join(map(str, location[2:])) or None, "detail": error["msg"]}
    return {"index": None, "field": ".".join(map(str, location)) or None, "detail": error["msg"]}
