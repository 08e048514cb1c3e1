"""The REST API: keys and scopes, batches all or nothing, problem details naming the record, idempotent retries."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.conftest import utc
from tests.helpers import add_client, count, web_client
from outreach.models import AuditEntry, Client, ConsentEvent, Message, ProgressEntry, Visit
from outreach.services import api_keys

NOW = utc(2026, 3, 2, 15)
ANA = {
    "external_id": "B100",
    "first_name": "Ana",
    "last_name": "Lopez",
    "email": "ana@example.com",
    "phone": "612-555-0101",
}
BEN = {"external_id": "B101", "first_name": "Ben", "phone": "(612) 555-0102"}


def make_key(ctx, name: str = "booking-sync", scopes=("facts:write",)) -> str:
    with Session(ctx.engine) as session:
        token = api_keys.create_key(session, name, list(scopes), "test")
        session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(ctx):
    with web_client(ctx, NOW) as client:
        yield client


@pytest.fixture
def writer(ctx) -> dict[str, str]:
    return bearer(make_key(ctx))


def clients(ctx) -> dict[str, Client]:
    with Session(ctx.engine) as session:
        return {client.external_id: client for client in session.exec(select(Client))}


def test_clients_are_created_then_updated_by_external_id(ctx, api, writer):
    first = api.post("/api/v1/clients", json={"records": [ANA, BEN]}, headers=writer)
    second = api.post("/api/v1/clients", json={"records": [{**ANA, "phone": "612-555-0199"}, BEN]}, headers=writer)

    assert first.status_code == 200, first.text
    assert (first.json()["created"], second.json()["updated"], second.json()["unchanged"]) == (2, 1, 1)
    stored = clients(ctx)
    assert (stored["B100"].phone, stored["B101"].phone) == ("+16125550199", "+16125550102")
    assert (stored["B100"].email_consent, stored["B100"].sms_consent) == (False, False)
    with Session(ctx.engine) as session:
        actors = set(session.exec(select(AuditEntry.actor).where(AuditEntry.action.startswith("client."))))
    assert actors == {"api:booking-sync"}


def test_a_batch_with_one_bad_record_records_nothing_and_names_index_and_field(ctx, api, writer):
    bad = {**BEN, "email": "not-an-address"}

    response = api.post("/api/v1/clients", json={"records": [ANA, bad]}, headers=writer)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["detail"]) == (422, "1 problem; nothing was recorded")
    assert [(error["index"], error["field"]) for error in problem["errors"]] == [(1, "email")]
    assert "not a valid email address" in problem["errors"][0]["detail"]
    assert clients(ctx) == {}


def test_consent_is_not_a_client_field(ctx, api, writer):
    response = api.post("/api/v1/clients", json={"records": [{**ANA, "sms_consent": True}]}, headers=writer)

    assert response.status_code == 422
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(0, "sms_consent")]
    assert clients(ctx) == {}


def test_more_than_1000_records_are_refused_whole(ctx, api, writer):
    records = [{**BEN, "external_id": f"X{n}"} for n in range(1001)]

    response = api.post("/api/v1/clients", json={"records": records}, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "records"
    assert clients(ctx) == {}


def test_consent_changes_need_an_explicit_answer_and_source(ctx, api, writer):
    api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer)

    missing = api.post(
        "/api/v1/consent",
        json={"records": [{"client_external_id": "B100", "channel": "sms", "granted": True}]},
        headers=writer,
    )
    given = api.post(
        "/api/v1/consent",
        json={"records": [{"client_external_id": "B100", "channel": "sms", "granted": True, "source": "intake-form"}]},
        headers=writer,
    )

    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "source"
    assert given.json()["updated"] == 1
    assert clients(ctx)["B100"].sms_consent is True
    with Session(ctx.engine) as session:
        assert [(e.channel, e.granted, e.source) for e in session.exec(select(ConsentEvent))] == [
            ("sms", True, "api:intake-form")
        ]


def test_visits_by_external_id_follow_a_reschedule_and_progress_is_recorded(ctx, api, writer):
    api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer)
    visit = {"client_external_id": "B100", "external_id": "V1", "starts_at": "2026-03-05T10:00", "status": "booked"}

    api.post("/api/v1/visits", json={"records": [visit]}, headers=writer)
    moved = api.post("/api/v1/visits", json={"records": [{**visit, "starts_at": "2026-03-06T11:00"}]}, headers=writer)
    scored = api.post(
        "/api/v1/progress",
        json={"records": [{"client_external_id": "B100", "recorded_at": "2026-03-01", "pain": 6, "peg_activity": 5}]},
        headers=writer,
    )

    assert (moved.status_code, scored.status_code) == (200, 200)
    with Session(ctx.engine) as session:
        visits = session.exec(select(Visit)).all()
        entry = session.exec(select(ProgressEntry)).one()
    assert [(v.external_id, v.starts_at, v.status, v.source) for v in visits] == [
        ("V1", utc(2026, 3, 6, 17), "booked", "api")
    ]  # 11:00 in Chicago
    assert (entry.pain, entry.peg_activity, entry.source) == (6, 5, "api")


def test_a_visit_for_an_unknown_client_is_refused_with_its_index(ctx, api, writer):
    response = api.post(
        "/api/v1/visits",
        json={"records": [{"client_external_id": "NOBODY", "starts_at": "2026-03-05T10:00", "status": "booked"}]},
        headers=writer,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"index": 0, "field": "client_external_id", "detail": "no client 'NOBODY'"}]


def test_a_retry_with_the_same_idempotency_key_changes_nothing(ctx, api, writer):
    headers = {**writer, "Idempotency-Key": "batch-42"}
    consent = {"client_external_id": "B100", "channel": "email", "granted": True, "source": "web-form"}
    api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer)

    first = api.post("/api/v1/consent", json={"records": [consent]}, headers=headers)
    retry = api.post("/api/v1/consent", json={"records": [consent]}, headers=headers)
    other = api.post("/api/v1/consent", json={"records": [{**consent, "granted": False}]}, headers=headers)

    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert count(ctx, ConsentEvent) == 1


@pytest.mark.parametrize("headers, status", [({}, 401), (bearer("ok_not-a-key"), 401)])
def test_no_key_or_an_unknown_key_is_401(ctx, api, headers, status):
    response = api.post("/api/v1/clients", json={"records": [ANA]}, headers=headers)

    assert response.status_code == status
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_is_401_and_a_key_without_the_scope_403(ctx, api):
    revoked, reader = make_key(ctx, "old"), make_key(ctx, "reports", ("log:read",))
    with Session(ctx.engine) as session:
        api_keys.revoke_key(session, "old", "test")
        session.commit()

    assert api.post("/api/v1/clients", json={"records": [ANA]}, headers=bearer(revoked)).status_code == 401
    assert api.post("/api/v1/clients", json={"records": [ANA]}, headers=bearer(reader)).status_code == 403
    assert api.get("/api/v1/delivery-log", headers=bearer(reader)).status_code == 200
    assert clients(ctx) == {}


def test_keys_are_stored_only_as_hashes(ctx):
    token = make_key(ctx)

    with Session(ctx.engine) as session:
        key = session.exec(select(api_keys.ApiKey)).one()
    assert token not in (key.token_hash, key.name, key.scopes)
    assert key.token_hash == api_keys.token_hash(token)


def test_each_key_is_rate_limited(ctx, writer):
    from outreach.settings import Api

    other = bearer(make_key(ctx, "other"))
    ctx.settings = ctx.settings.model_copy(update={"api": Api(requests_per_minute=2)})
    with web_client(ctx, NOW) as api:
        answers = [api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer) for _ in range(3)]
        from_other = api.post("/api/v1/clients", json={"records": [BEN]}, headers=other)

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert from_other.status_code == 200


def test_the_delivery_log_is_filtered_and_paged(ctx, api):
    client_id = add_client(ctx, at=NOW)
    with Session(ctx.engine) as session:
        for n in range(3):
            session.add(
                Message(
                    key=f"k{n}",
                    client_id=client_id,
                    campaign="welcome",
                    step=f"s{n}",
                    cycle="1",
                    stream="education",
                    channel="email",
                    to_address="ann@example.com",
                    status="failed" if n else "sent",
                    due_at=NOW,
                    created_at=utc(2026, 3, 1, 12, n),
                )
            )
        session.commit()
    reader = bearer(make_key(ctx, "reports", ("log:read",)))

    first = api.get("/api/v1/delivery-log", params={"status": "failed", "limit": 1}, headers=reader).json()
    second = api.get(
        "/api/v1/delivery-log", params={"status": "failed", "limit": 1, "before": first["next"]}, headers=reader
    ).json()
    bad = api.get("/api/v1/delivery-log", params={"channel": "fax"}, headers=reader)

    assert [item["step"] for item in first["items"] + second["items"]] == ["s2", "s1"]
    assert second["next"] is None
    assert "to_address" not in first["items"][0]
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "channel")


def test_the_api_needs_no_csrf_token_and_is_described_at_api_docs(ctx, api):
    spec = api.get("/api/openapi.json").json()

    assert {"/v1/clients", "/v1/visits", "/v1/progress", "/v1/consent", "/v1/delivery-log"} <= set(spec["paths"])
    assert api.get("/api/docs").status_code == 200


def test_the_cli_prints_a_key_once_lists_and_revokes_it(ctx, monkeypatch):
    from typer.testing import CliRunner

    from outreach.cli import app
    from outreach.settings import get_settings

    monkeypatch.setenv("OUTREACH_DATABASE__URL", ctx.settings.database.url)
    get_settings.cache_clear()
    try:
        created = CliRunner().invoke(app, ["api-keys", "create", "booking-sync", "--scope", "facts:write"])
        listed = CliRunner().invoke(app, ["api-keys", "list"])
        revoked = CliRunner().invoke(app, ["api-keys", "revoke", "booking-sync"])
        bad = CliRunner().invoke(app, ["api-keys", "create", "x", "--scope", "everything"])
    finally:
        get_settings.cache_clear()

    token = created.stdout.strip()
    assert created.exit_code == 0 and token.startswith("ok_")
    assert "cannot be shown again" in created.stderr
    assert listed.stdout.startswith("booking-sync\tfacts:write\tactive\tnever used")
    assert token not in listed.stdout
    assert revoked.exit_code == 0
    assert bad.exit_code == 1 and "scopes must be among facts:write, log:read" in bad.stderr
    with web_client(ctx, NOW) as api:
        assert api.post("/api/v1/clients", json={"records": [ANA]}, headers=bearer(token)).status_code == 401
    with Session(ctx.engine) as session:
        assert set(session.exec(select(AuditEntry.action).where(AuditEntry.actor == "cli"))) == {
            "api_key.create",
            "api_key.revoke",
        }
