"""The bad-input corpus (tests/bad_input/): broken CSV exports, broken campaign files and templates, forged and
malformed webhook requests, hostile form input. Each gets a clear error that names the file and line (or the
field), and the database is exactly as it was: every table compared row by row before and after."""

from __future__ import annotations

import base64
import json
import shutil
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import SQLModel
from twilio.request_validator import RequestValidator

from outreach.services.campaign_check import check_campaigns, errors
from outreach.campaigns import CampaignError, load_catalog
from outreach.importing.files import import_clients, import_progress, import_visits
from outreach.settings import Secrets, Settings
from outreach.web.app import create_app
from tests.conftest import ROOT, make_settings, utc
from tests.desk import Desk, page_text

CORPUS = Path(__file__).parent / "bad_input"
NOW = utc(2026, 3, 2, 15, 0)
IMPORTERS = {"clients": import_clients, "visits": import_visits, "progress": import_progress}
PUBLIC_URL = "https://clinic.example"
TWILIO_TOKEN = "bad-input-twilio-token"
SENDGRID_KEY, OTHER_KEY = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def public_key(private_key: ec.EllipticCurvePrivateKey) -> str:
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        web={"public_url": PUBLIC_URL},
        sendgrid={"webhook_public_key": public_key(SENDGRID_KEY)},
    )


@pytest.fixture
def clinic(ctx):
    """A clinic with a few clients, visits and scores already imported, so "unchanged" means something."""
    for kind, importer in IMPORTERS.items():
        assert importer(ctx, CORPUS / "csv" / "base" / f"{kind}.csv", now=NOW).ok
    ctx.secrets = Secrets(twilio_auth_token=TWILIO_TOKEN)
    return ctx


# --- CSV exports ---------------------------------------------------------------------------------------------

# corpus file -> (the line(s) that must be named, the column named or None, words the reason must contain)
CSV_PROBLEMS = {
    "clients/empty.csv": (1, None, "the file is empty"),
    "clients/blank-lines-only.csv": (1, None, "the file is empty"),
    "clients/mixed-encodings.csv": (3, None, "not UTF-8"),
    "clients/utf16.csv": (1, None, "UTF-16"),
    "clients/bom-then-bad-phone.csv": (2, "phone", "not a phone number"),
    "clients/missing-columns.csv": (1, "first_name", "required column is missing"),
    "clients/health-column.csv": (1, "diagnosis", "unknown column"),
    "clients/duplicate-column.csv": (1, "email", "appears twice"),
    "clients/bad-phones.csv": ((2, 3, 4), "phone", "phone number"),
    "clients/bad-email.csv": (2, "email", "not a valid email address"),
    "clients/bad-consent.csv": (2, "email_consent", "expected yes/no"),
    "clients/bad-timezone.csv": (2, "timezone", "unknown IANA time zone"),
    "clients/ragged-row.csv": (2, None, "expected 7 fields"),
    "clients/unclosed-quote.csv": (2, None, "never closed"),
    "clients/spreadsheet.csv": (1, None, "spreadsheet workbook"),
    "clients/nul-byte.csv": (2, "first_name", "control character"),
    "clients/duplicate-id.csv": (3, "external_id", "also on line 2"),
    "clients/no-address.csv": (2, "email", "email address or a phone number"),
    "clients/one-bad-row-among-good.csv": (3, "email_consent", "expected yes/no"),
    "visits/bad-date.csv": (2, "starts_at", "ISO-8601"),
    "visits/date-without-time.csv": (2, "starts_at", "time of day"),
    "visits/unknown-client.csv": (2, "client_external_id", "no client 'NOBODY'"),
    "visits/bad-status.csv": (2, "status", "expected one of booked"),
    "visits/nonexistent-local-time.csv": (2, "starts_at", "does not exist in America/Chicago"),
    "visits/year-9999.csv": (2, "starts_at", "outside 1900-2100"),
    "visits/year-one.csv": (2, "starts_at", "outside 1900-2100"),
    "progress/out-of-range.csv": ((2, 3), "pain", "whole number from 0 to 10"),
    "progress/not-a-number.csv": (2, "pain", "whole number from 0 to 10"),
    "progress/superscript-digit.csv": (2, "pain", "whole number from 0 to 10"),
    "progress/unknown-client.csv": (2, "client_external_id", "no client 'NOBODY'"),
    "progress/bad-peg.csv": (2, "peg_enjoyment", "whole number from 0 to 10"),
}
HEADER = "external_id,first_name,last_name,email,phone,email_consent,sms_consent\n"


def generated_csv(tmp_path: Path) -> dict[Path, tuple]:
    """Files too big to keep in the corpus: one huge field, and a quote left open over 70 KB."""
    huge_field = tmp_path / "huge-field.csv"
    huge_field.write_text(HEADER + f"K009,{'Z' * 5000},Long,zed@example.com,612-555-0109,yes,yes\n")
    runaway = tmp_path / "runaway-quote.csv"
    runaway.write_text(HEADER + 'K009,"Zed' + ",x" * 35000 + "\n")
    return {huge_field: (2, "first_name", "at most 1000"), runaway: (2, None, "longer than 64 KiB")}


def refused_with(report, path: Path, lines, column, words) -> None:
    assert not report.ok, f"{path.name} was accepted"
    assert all(
        str(problem).startswith(f"{path}:") or str(problem).startswith(f"{path}: ") for problem in report.problems
    ), report.problems
    for line in lines if isinstance(lines, tuple) else (lines,):
        assert any(p.line == line and p.column == column and words in p.reason for p in report.problems), (
            f"{path.name}: expected line {line} ({column}): {words!r}; got {[str(p) for p in report.problems]}"
        )


def test_the_csv_corpus_is_all_accounted_for():
    corpus = {str(path.relative_to(CORPUS / "csv")) for kind in IMPORTERS for path in (CORPUS / "csv" / kind).glob("*")}
    assert corpus == set(CSV_PROBLEMS)


def test_every_bad_csv_file_is_refused_with_its_line_and_changes_nothing(clinic, subtests, tmp_path):
    cases = {CORPUS / "csv" / name: expected for name, expected in CSV_PROBLEMS.items()}
    cases.update(generated_csv(tmp_path))
    before = snapshot(clinic.engine)
    for path, (lines, column, words) in cases.items():
        with subtests.test(file=path.name):
            report = IMPORTERS[path.parent.name if path.parent.name in IMPORTERS else "clients"](clinic, path, now=NOW)
            refused_with(report, path, lines, column, words)
            assert snapshot(clinic.engine) == before


# --- campaign files and templates --------------------------------------------------------------------------

# corpus file -> (line, or None where the loader can only name the campaign; words the message must contain)
CAMPAIGN_PROBLEMS = {
    "invalid-toml.toml": (2, "invalid TOML"),
    "unknown-key.toml": (9, "unknown key 'steps.0.colour'"),
    "no-steps.toml": (1, "missing required key 'steps'"),
    "name-mismatch.toml": (1, "must match the file name 'name-mismatch'"),
    "unknown-channel.toml": (8, "steps.0.channels.0"),
    "duplicate-step.toml": (None, "step key 'one' is used twice"),
    "reminder-without-days.toml": (None, "reminder steps need days_before"),
    "backwards-window.toml": (None, "window start must be before window end"),
    "unknown-weekday.toml": (6, "unknown weekday 'funday'"),
    "unknown-stream.toml": (3, "stream"),
    "negative-delay.toml": (9, "steps.0.after_days"),
    "bad-step-key.toml": (6, "steps.0.key"),
    "template-path-escape.toml": (7, "steps.0.template"),
    "empty.toml": (1, "missing required key 'name'"),
    "latin1.toml": (1, "not UTF-8"),
}


def test_every_broken_campaign_file_is_refused_with_its_file_and_line(subtests, tmp_path):
    assert {path.name for path in (CORPUS / "campaigns").glob("*")} == set(CAMPAIGN_PROBLEMS)
    for name, (line, words) in CAMPAIGN_PROBLEMS.items():
        with subtests.test(file=name):
            directory = tmp_path / name
            directory.mkdir()
            shutil.copy(CORPUS / "campaigns" / name, directory)
            with pytest.raises(CampaignError) as refused:
                load_catalog(directory)
            found = [(p.path.name, p.line, p.message) for p in refused.value.problems]
            assert any(
                file == name and (line is None or at == line) and words in message for file, at, message in found
            ), found


# case directory -> (the file named, relative to the case, its line, words the finding must contain)
AUTHORING_PROBLEMS = {
    "health-variable": ("templates/leak/score.sms.j2", 1, "deny-listed variable 'pain'"),
    "missing-template": ("campaigns/orphan.toml", 7, "never-written.sms.j2 does not exist"),
    "template-syntax": ("templates/broken/syntax.sms.j2", 3, "syntax error"),
}


def test_every_broken_template_is_an_error_naming_its_file_and_line(subtests, tmp_path):
    assert {path.name for path in (CORPUS / "authoring").iterdir()} == set(AUTHORING_PROBLEMS)
    for case, (file, line, words) in AUTHORING_PROBLEMS.items():
        with subtests.test(case=case):
            work = tmp_path / case
            shutil.copytree(ROOT / "templates", work / "templates")
            if (CORPUS / "authoring" / case / "templates").is_dir():
                shutil.copytree(CORPUS / "authoring" / case / "templates", work / "templates", dirs_exist_ok=True)
            shutil.copytree(CORPUS / "authoring" / case / "campaigns", work / "campaigns")
            found = errors(check_campaigns(work / "campaigns", work / "templates", Settings()))
            assert any(f.path == work / file and f.line == line and words in f.message for f in found), [
                str(f) for f in found
            ]


# --- webhooks ----------------------------------------------------------------------------------------------


def twilio_signature(path: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_URL + path, form)


def sendgrid_headers(body: bytes, key=SENDGRID_KEY, at=NOW) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


def webhook_request(case: dict) -> tuple[bytes, dict[str, str]]:
    """The body and headers a webhook case describes (see tests/bad_input/webhooks.toml)."""
    form = case.get("form")
    if "body_file" in case:
        body = (CORPUS / "webhooks" / case["body_file"]).read_bytes()
    elif form is not None:
        from urllib.parse import urlencode

        body = urlencode(form).encode()
    else:
        body = case["body"].encode()
    body *= case.get("body_repeat", 1)
    signature = case["signature"]
    if "sendgrid" in case["path"]:
        if signature == "none":
            return body, {"Content-Type": "application/json"}
        signing = {"valid": {}, "forged": {"key": OTHER_KEY}, "stale": {"at": NOW - timedelta(minutes=10)}}
        return body, sendgrid_headers(body, **signing[signature])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature != "none":
        token = "someone-elses-token" if signature == "forged" else TWILIO_TOKEN
        headers["X-Twilio-Signature"] = twilio_signature(case["path"], form or {}, token)
    return body, headers


def webhook_client(ctx) -> TestClient:
    app = create_app(ctx)
    app.state.clock = lambda: NOW
    return TestClient(app, base_url="http://10.0.0.5:8000", raise_server_exceptions=False)


def test_every_forged_or_malformed_webhook_is_refused_and_changes_nothing(clinic, subtests):
    cases = tomllib.loads((CORPUS / "webhooks.toml").read_text(encoding="utf-8"))["case"]
    http = webhook_client(clinic)
    before = snapshot(clinic.engine)
    for case in cases:
        with subtests.test(case=case["name"]):
            body, headers = webhook_request(case)
            response = http.post(case["path"], content=body, headers=headers)
            assert response.status_code == case["status"], response.text[:300]
            assert snapshot(clinic.engine) == before


# Signed, so from the provider itself, but odd: the answer may be anything but a 500 (which makes the provider
# retry the same request for days, and fails every other event in a SendGrid batch with it).
ODD_BUT_SIGNED = [
    pytest.param(
        "/webhooks/twilio/inbound",
        {"MessageSid": "SM0100", "From": "+16125550101", "Body": "7\x00"},
        id="an inbound text holding a NUL character",
    ),
    pytest.param(
        "/webhooks/twilio/inbound",
        {"MessageSid": "SM" + "9" * 120, "From": "+16125550101", "Body": "7"},
        id="an inbound text with a 122-character MessageSid",
    ),
    pytest.param(
        "/webhooks/twilio/inbound",
        {"MessageSid": "SM0101", "From": "+1" * 200, "Body": "hi"},
        id="an inbound text from a 400-character sender",
    ),
    pytest.param(
        "/webhooks/twilio/status",
        {"MessageSid": "SM" + "8" * 250, "MessageStatus": "delivered"},
        id="a status callback with a 252-character MessageSid",
    ),
    pytest.param(
        "/webhooks/twilio/status",
        {"MessageSid": "SM0102", "MessageStatus": "x" * 100},
        id="a status callback with a 100-character status",
    ),
    pytest.param(
        "/webhooks/sendgrid/events",
        [{"event": "delivered", "sg_event_id": "odd-1", "outreach_message_id": "9" * 30, "email": "ana@example.com"}],
        id="an event whose outreach_message_id overflows an integer",
    ),
    pytest.param(
        "/webhooks/sendgrid/events",
        [{"event": "bounce", "type": "bounce", "sg_event_id": "odd-2", "email": "x" * 300 + "@example.com"}],
        id="a bounce for a 312-character address",
    ),
    pytest.param(
        "/webhooks/sendgrid/events",
        [{"event": "delivered\u0000", "sg_event_id": "odd-3", "email": "ana@example.com"}],
        id="an event whose name holds a NUL character",
    ),
    pytest.param("/webhooks/sendgrid/events", b"[" * 50000 + b"]" * 50000, id="a batch nested 50,000 arrays deep"),
]


@pytest.mark.parametrize("path, payload", ODD_BUT_SIGNED)
def test_an_odd_but_signed_webhook_never_fails_with_a_server_error(clinic, path, payload):
    http = webhook_client(clinic)
    if path.startswith("/webhooks/twilio"):
        response = http.post(path, data=payload, headers={"X-Twilio-Signature": twilio_signature(path, payload)})
    else:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = http.post(path, content=body, headers=sendgrid_headers(body))
    assert response.status_code < 500


# --- dashboard forms -----------------------------------------------------------------------------------------


@pytest.fixture
def desk(clinic) -> Desk:
    desk = Desk(clinic, now=NOW)
    # The public URL is https, so session cookies are Secure: browse it as a browser would.
    desk.http = TestClient(desk.app, base_url=PUBLIC_URL, raise_server_exceptions=False)
    desk.sign_in_as("front_desk")
    return desk


def client_id(ctx) -> int:
    from outreach.models import Client

    with ctx.engine.connect() as conn:
        return conn.execute(select(Client.id).where(Client.external_id == "K001")).scalar_one()


def test_every_hostile_form_is_refused_with_the_field_named_and_changes_nothing(desk, subtests):
    cases = tomllib.loads((CORPUS / "forms.toml").read_text(encoding="utf-8"))["case"]
    target = client_id(desk.ctx)
    for case in cases:
        with subtests.test(form=case["form"], fields=case["fields"]):
            before = snapshot(desk.ctx.engine)
            response = desk.post(f"/clients/{target}/{case['form']}", case["fields"])
            assert response.status_code == 400, response.text[:300]
            assert case["error"] in page_text(response)
            assert snapshot(desk.ctx.engine) == before
            assert desk.get(f"/clients/{target}").status_code == 200  # (a view: audited, so after the comparison)


def test_a_form_without_its_csrf_token_or_for_no_client_changes_nothing(desk):
    target = client_id(desk.ctx)
    before = snapshot(desk.ctx.engine)

    missing = desk.post(f"/clients/{target}/progress", {"pain": "5"}, csrf=False)
    forged = desk.post(f"/clients/{target}/progress", {"pain": "5", "csrf_token": "forged"}, csrf=False)
    nobody = desk.post("/clients/99999/progress", {"pain": "5"})

    assert (missing.status_code, forged.status_code, nobody.status_code) == (403, 403, 404)
    assert snapshot(desk.ctx.engine) == before
