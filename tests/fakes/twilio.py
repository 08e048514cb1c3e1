"""Fake Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.

Checked against the contract: Basic auth with the account SID and auth token, a form-encoded body whose
fields are all in Twilio's OpenAPI document (with its required ones), a Body, and a From or a
MessagingServiceSid. Use as a context manager or through the `twilio_fake` fixture.
"""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import parse_qs

import pytest

from tests.fakes.server import Fault, FakeProvider, Reply, Request, load_spec

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token"
MESSAGING_SERVICE_SID = "MG" + "fedcba9876543210" * 2
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


def _form_schema() -> dict | None:
    spec = load_spec("twilio_api_v2010.json")
    if spec is None:
        return None
    operation = spec["paths"][_MESSAGES]["post"]
    return operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]


def error(code: int, status: int = 400, message: str = "") -> Fault:
    """A Twilio REST error as Twilio returns it (21610 opted out, 21211 invalid To, ...)."""
    return Fault.status(
        status,
        {
            "code": code,
            "message": message or f"Twilio error {code}",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def rate_limited(retry_after: int | None = 7) -> Fault:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Fault.status(429, {"code": 20429, "message": "Too Many Requests", "status": 429}, headers)


def server_error(status: int = 500) -> Fault:
    return Fault.status(status, {"code": 20500, "message": "Internal Server Error", "status": status})


class FakeTwilio(FakeProvider):
    name = "twilio"

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.schema = _form_schema()

    def parse(self, request: Request) -> None:
        values = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(request.body))
        request.fields = {name: items[0] for name, items in values.items()}
        request.to = request.fields.get("To", "")
        if any(len(items) > 1 for items in values.values()):
            raise ValueError("a field is repeated")

    def check(self, request: Request) -> list[str]:
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return [f"no such endpoint {request.method} {request.path}"]
        problems = self._auth_problems(request, match["sid"])
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            problems.append("body must be application/x-www-form-urlencoded")
        fields = request.fields or {}
        problems += self._schema_problems(fields)
        if not fields.get("Body"):
            problems.append("Body is required for a text message")
        if not (fields.get("From") or fields.get("MessagingServiceSid")):
            problems.append("either From or MessagingServiceSid is required")
        if fields.get("To") and not _E164.match(fields["To"]):
            problems.append(f"To {fields['To']!r} is not E.164")
        if "StatusCallback" in fields and not fields["StatusCallback"].startswith(("http://", "https://")):
            problems.append("StatusCallback must be an absolute URL")
        return problems

    def _auth_problems(self, request: Request, sid: str) -> list[str]:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return ["Basic auth must be the account SID and auth token"]
        if sid != self.account_sid:
            return [f"account {sid} in the path is not the authenticated one"]
        return []

    def _schema_problems(self, fields: dict[str, str]) -> list[str]:
        if self.schema is None:
            return []
        known = self.schema["properties"]
        problems = [f"unknown field {name}" for name in fields if name not in known]
        problems += [f"{name} is required" for name in self.schema.get("required", []) if not fields.get(name)]
        return problems

    def rejection(self, request: Request) -> Reply:
        status = 401 if any("auth" in problem for problem in request.problems) else 400
        code = 20003 if status == 401 else 21602
        return Reply.json(status, {"code": code, "message": "; ".join(request.problems), "status": status})

    def success(self, request: Request) -> Reply:
        fields = request.fields
        sid = "SM" + secrets.token_hex(16)
        return Reply.json(
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": fields["To"],
                "from": fields.get("From"),
                "messaging_service_sid": fields.get("MessagingServiceSid"),
                "body": fields["Body"],
                "status": "accepted" if fields.get("MessagingServiceSid") else "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )


@pytest.fixture
def twilio_fake():
    with FakeTwilio() as fake:
        yield fake
