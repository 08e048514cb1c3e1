"""The API keeps the one consent rule: a grant over the client's own opt-out is a 409 naming the record."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from outreach.models import ConsentEvent
from outreach.services import facts
from tests.helpers import count
from tests.web.api.test_api import ANA, BEN, NOW, api, clients, writer  # noqa: F401  (fixtures)

REFUSAL = "this number replied STOP on 2026-03-01; only the client's START re-opts in"


def stop_from(ctx, number: str) -> None:
    with Session(ctx.engine) as session:
        facts.suppress(session, "sms", number, "Replied STOP", "sms-keyword", at=NOW - timedelta(days=1))
        session.commit()


def consent(external_id: str, channel: str, source: str = "intake-form") -> dict:
    return {"client_external_id": external_id, "channel": channel, "granted": True, "source": source}


def test_a_grant_over_a_stop_is_a_conflict_naming_the_record_and_nothing_is_recorded(ctx, api, writer):  # noqa: F811
    api.post("/api/v1/clients", json={"records": [ANA, BEN]}, headers=writer)
    stop_from(ctx, "+16125550101")
    before = count(ctx, ConsentEvent)

    response = api.post(
        "/api/v1/consent", json={"records": [consent("B101", "sms"), consent("B100", "sms")]}, headers=writer
    )

    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/consent-refused")
    assert problem["errors"] == [{"index": 1, "field": "granted", "detail": REFUSAL}]
    assert count(ctx, ConsentEvent) == before
    assert clients(ctx)["B101"].sms_consent is False


def test_an_api_source_cannot_pass_for_the_client_s_own_start(ctx, api, writer):  # noqa: F811
    api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer)
    stop_from(ctx, "+16125550101")

    response = api.post("/api/v1/consent", json={"records": [consent("B100", "sms", "sms-keyword")]}, headers=writer)

    assert response.status_code == 409
    assert clients(ctx)["B100"].sms_consent is False


def test_a_revocation_over_a_stop_is_recorded(ctx, api, writer):  # noqa: F811
    api.post("/api/v1/clients", json={"records": [ANA]}, headers=writer)
    api.post("/api/v1/consent", json={"records": [consent("B100", "sms")]}, headers=writer)
    stop_from(ctx, "+16125550101")

    response = api.post(
        "/api/v1/consent", json={"records": [{**consent("B100", "sms"), "granted": False}]}, headers=writer
    )

    assert (response.status_code, response.json()["updated"]) == (200, 1)
    assert clients(ctx)["B100"].sms_consent is False
