"""The generic signed booking webhook: HMAC-SHA256 over timestamp + body, one secret per source, a replay window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.conftest import utc
from tests.helpers import count, web_client
from outreach.bookings import signed
from outreach.models import Client, Visit, WebhookEvent
from outreach.sending.planner import plan_due

NOW = utc(2026, 3, 2, 15)
SECRET = "s3cret-for-acme"
CLIENT = {
    "event_id": "c-1",
    "type": "client",
    "record": {"external_id": "AC-7", "first_name": "Dora", "email": "dora@example.com"},
}
VISIT = {
    "event_id": "v-1",
    "type": "visit",
    "record": {
        "client_external_id": "AC-7",
        "external_id": "appt-9",
        "starts_at": "2026-03-02T00:00:00Z",
        "status": "booked",
        "version": 3,
    },
}


@pytest.fixture
def web(ctx, monkeypatch):
    monkeypatch.setenv("OUTREACH_BOOKINGS_SECRET_ACME_BOOK", SECRET)
    with web_client(ctx, NOW) as client:
        yield client


def deliver(web, payload: dict, secret: str = SECRET, at=NOW, source: str = "acme-book"):
    body = json.dumps(payload).encode()
    timestamp = str(int(at.timestamp()))
    return web.post(
        f"/webhooks/bookings/{source}",
        content=body,
        headers={"X-Outreach-Timestamp": timestamp, "X-Outreach-Signature": signed.signature(secret, timestamp, body)},
    )


def test_signed_events_record_a_client_and_a_visit_once(ctx, web):
    assert deliver(web, CLIENT).json() == {"outcome": "created 1"}
    assert deliver(web, VISIT).json() == {"outcome": "recorded 1"}
    assert deliver(web, VISIT).json() == {"outcome": "duplicate"}

    with Session(ctx.engine) as session:
        visit = session.exec(select(Visit)).one()
    assert (visit.external_id, visit.external_version, visit.source) == ("appt-9", 3, "booking:acme-book")


@pytest.mark.parametrize("how", ["wrong secret", "too old", "from the future", "source without a secret"])
def test_a_delivery_that_is_not_signed_now_with_the_source_s_secret_is_refused(ctx, web, how):
    options = {
        "wrong secret": {"secret": "guess"},
        "too old": {"at": NOW - timedelta(minutes=6)},
        "from the future": {"at": NOW + timedelta(minutes=6)},
        "source without a secret": {"source": "other"},
    }

    response = deliver(web, CLIENT, **options[how])

    assert response.status_code == 403
    assert count(ctx, Client) == 0 and count(ctx, WebhookEvent) == 0


def test_a_record_with_an_unknown_field_is_refused_naming_it(ctx, web):
    response = deliver(web, {**CLIENT, "record": {**CLIENT["record"], "sms_consent": True}})

    assert response.json()["outcome"].startswith("refused: sms_consent: unknown field")
    assert count(ctx, Client) == 0


def test_its_visits_left_booked_count_as_attended_after_the_planning_pass(ctx, web):
    deliver(web, CLIENT)
    deliver(web, VISIT)

    plan_due(ctx, NOW)

    with Session(ctx.engine) as session:
        assert session.exec(select(Visit.status)).one() == "attended"
