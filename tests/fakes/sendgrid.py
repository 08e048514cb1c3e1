"""Fake SendGrid v3 Mail Send: `POST /v3/mail/send` answering 202 with an X-Message-Id header.

Checked against the contract: a Bearer API key, a JSON body whose top-level fields are all in SendGrid's
OpenAPI document (with its required ones), recipients in each personalization, a subject, content parts with
type and value (text/plain first), string custom_args, and no attempt to override reserved headers.
"""

from __future__ import annotations

import json
import secrets

import pytest

from tests.fakes.server import Fault, FakeProvider, Reply, Request, load_spec

API_KEY = "SG.fake-sendgrid-key"
RESERVED_HEADERS = {
    "x-sg-id",
    "x-sg-eid",
    "received",
    "dkim-signature",
    "content-type",
    "content-transfer-encoding",
    "to",
    "from",
    "subject",
    "reply-to",
    "cc",
    "bcc",
}


def _body_schema() -> dict | None:
    spec = load_spec("tsg_mail_v3.json")
    if spec is None:
        return None
    return spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"]


def error(status: int, message: str = "") -> Fault:
    """A SendGrid error as SendGrid returns it: {"errors": [{"message", "field", "help"}]}."""
    return Fault.status(status, {"errors": [{"message": message or f"error {status}", "field": None, "help": None}]})


def rate_limited(reset_at: int) -> Fault:
    """429 with SendGrid's rate-limit headers; `reset_at` is the epoch second the limit lifts."""
    headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_at)}
    return Fault.status(429, {"errors": [{"field": None, "message": "too many requests"}]}, headers)


class FakeSendgrid(FakeProvider):
    name = "sendgrid"

    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.schema = _body_schema()

    def parse(self, request: Request) -> None:
        request.fields = json.loads(request.body.decode("utf-8") or "null")
        try:
            request.to = request.fields["personalizations"][0]["to"][0]["email"]
        except (KeyError, IndexError, TypeError):
            request.to = ""

    def check(self, request: Request) -> list[str]:
        if (request.method, request.path) != ("POST", "/v3/mail/send"):
            return [f"no such endpoint {request.method} {request.path}"]
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return ["authorization must be Bearer <API key>"]
        if not request.headers.get("content-type", "").startswith("application/json"):
            return ["body must be application/json"]
        body = request.fields
        if not isinstance(body, dict):
            return ["body must be a JSON object"]
        return (
            self._schema_problems(body)
            + _recipient_problems(body)
            + _content_problems(body)
            + _header_problems(body)
            + _custom_arg_problems(body)
        )

    def _schema_problems(self, body: dict) -> list[str]:
        if self.schema is None:
            return []
        problems = [f"unknown field {name}" for name in body if name not in self.schema["properties"]]
        return problems + [f"{name} is required" for name in self.schema.get("required", []) if name not in body]

    def rejection(self, request: Request) -> Reply:
        status = 401 if any("authorization" in problem for problem in request.problems) else 400
        return Reply.json(status, {"errors": [{"message": problem, "field": None} for problem in request.problems]})

    def success(self, request: Request) -> Reply:
        return Reply(202, b"", {"X-Message-Id": secrets.token_urlsafe(16)})


def _recipient_problems(body: dict) -> list[str]:
    personalizations = body.get("personalizations") or []
    problems = [] if personalizations else ["personalizations must not be empty"]
    for number, personalization in enumerate(personalizations):
        if not personalization.get("to") or not all(to.get("email") for to in personalization["to"]):
            problems.append(f"personalizations[{number}].to needs an email")
    if not (body.get("from") or {}).get("email"):
        problems.append("from.email is required")
    if not body.get("subject") and not all(p.get("subject") for p in personalizations):
        problems.append("subject is required")
    return problems


def _content_problems(body: dict) -> list[str]:
    content = body.get("content") or []
    if not content and not body.get("template_id"):
        return ["content is required without a template_id"]
    problems = [
        f"content[{n}] needs type and value"
        for n, part in enumerate(content)
        if not part.get("type") or not part.get("value")
    ]
    if content and content[0].get("type") != "text/plain" and any(p.get("type") == "text/plain" for p in content):
        problems.append("text/plain must come first")
    return problems


def _header_problems(body: dict) -> list[str]:
    return [f"header {name} may not be set" for name in body.get("headers") or {} if name.lower() in RESERVED_HEADERS]


def _custom_arg_problems(body: dict) -> list[str]:
    return [
        f"custom_args.{name} must be a string"
        for name, value in (body.get("custom_args") or {}).items()
        if not isinstance(value, str)
    ]


@pytest.fixture
def sendgrid_fake():
    with FakeSendgrid() as fake:
        yield fake
