"""Square Appointments webhooks: signatures as Square documents them, customers to clients, bookings to visits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.conftest import make_settings, utc
from tests.helpers import count, web_client
from outreach.bookings import square
from outreach.models import AuditEntry, Client, Visit, WebhookEvent
from outreach.sending.planner import plan_due
from outreach.settings import Secrets

NOW = utc(2026, 3, 2, 15)
PUBLIC_URL = "https://clinic.example.com"
URL = PUBLIC_URL + "/webhooks/square"
KEY = "asdf1234-signature-key"


def customer_event(event_id: str = "e-cust-1", kind: str = "customer.created", **changes) -> dict:
    """Shaped like Square's published customer.created example."""
    customer = {
        "id": "A0AP3YXD5H3N7BCWQF4E1RZ4K0",
        "created_at": "2026-03-01T18:00:00Z",
        "updated_at": "2026-03-01T18:00:00Z",
        "given_name": "Amelia",
        "family_name": "Earhart",
        "email_address": "amelia.earhart@example.com",
        "phone_number": "1-612-555-4240",
        "preferences": {"email_unsubscribed": False},
        "creation_source": "THIRD_PARTY",
        "version": 0,
        **changes,
    }
    return {
        "merchant_id": "6SSW7HV8K2ST5",
        "type": kind,
        "event_id": event_id,
        "created_at": "2026-03-01T18:00:01Z",
        "data": {"type": "customer", "id": customer["id"], "object": {"customer": customer}},
    }


def booking_event(
    event_id: str,
    status: str = "ACCEPTED",
    version: int = 0,
    kind: str = "booking.created",
    start_at: str = "2026-03-05T16:00:00Z",
    booking_id: str = "zkras0xv0xwswx",
) -> dict:
    """Shaped like Square's published booking.created example."""
    booking = {
        "id": booking_id,
        "version": version,
        "status": status,
        "created_at": "2026-03-01T18:05:00Z",
        "updated_at": "2026-03-01T18:05:00Z",
        "location_id": "LEQHH0YY8B42M",
        "customer_id": "A0AP3YXD5H3N7BCWQF4E1RZ4K0",
        "customer_note": "",
        "seller_note": "",
        "start_at": start_at,
        "appointment_segments": [
            {
                "duration_minutes": 60,
                "service_variation_id": "RU3PBTZTK7DXZDQFCJHOK2MC",
                "team_member_id": "TMXUrsBWWcHTt79t",
                "service_variation_version": 1599775456731,
            }
        ],
    }
    return {
        "merchant_id": "6SSW7HV8K2ST5",
        "type": kind,
        "event_id": event_id,
        "created_at": "2026-03-01T18:05:01Z",
        "data": {"type": "booking", "id": f"{booking['id']}:{version}", "object": {"booking": booking}},
    }


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, web={"public_url": PUBLIC_URL})


@pytest.fixture
def web(ctx):
    ctx.secrets = Secrets(square_webhook_signature_key=KEY)
    with web_client(ctx, NOW) as client:
        yield client


def deliver(web, payload: dict, key: str = KEY, url: str = URL, tamper: bool = False):
    body = json.dumps(payload).encode()
    signature = square.signature(key, url, body)
    if tamper:
        body = body.replace(b"Amelia", b"Mallory")
    return web.post(
        "/webhooks/square",
        content=body,
        headers={"x-square-hmacsha256-signature": signature, "Content-Type": "application/json"},
    )


def visits(ctx) -> list[Visit]:
    with Session(ctx.engine) as session:
        return list(session.exec(select(Visit).order_by(Visit.id)))


def test_the_signature_is_square_s_documented_one():
    # The example in Square's "Validate notifications" guide: base64 HMAC-SHA256 of URL + body.
    body = b'{"hello":"world"}'
    assert (
        square.signature("asdf1234", "https://example.com/webhook", body)
        == "2kRE5qRU2tR+tBGlDwMEw2avJ7QM4ikPYD/PJ3bd9Og="
    )


@pytest.mark.parametrize("how", ["tampered", "wrong key", "wrong url", "missing"])
def test_a_delivery_not_signed_for_our_url_is_refused_and_changes_nothing(ctx, web, how):
    options = {
        "tampered": {"tamper": True},
        "wrong key": {"key": "other"},
        "wrong url": {"url": "https://evil.example.com/webhooks/square"},
        "missing": {},
    }[how]
    if how == "missing":
        response = web.post("/webhooks/square", json=customer_event())
    else:
        response = deliver(web, customer_event(), **options)

    assert response.status_code == 403
    assert count(ctx, Client) == 0 and count(ctx, WebhookEvent) == 0


def test_a_customer_becomes_a_client_without_any_consent(ctx, web):
    response = deliver(web, customer_event())

    assert response.status_code == 200, response.text
    with Session(ctx.engine) as session:
        client = session.exec(select(Client)).one()
        actors = set(session.exec(select(AuditEntry.actor)))
    assert (client.external_id, client.display_name, client.phone) == (
        "A0AP3YXD5H3N7BCWQF4E1RZ4K0",
        "Amelia Earhart",
        "+16125554240",
    )
    assert (client.email_consent, client.sms_consent) == (False, False)
    assert actors == {"square"}


def test_customer_updated_changes_the_details_and_a_redelivery_changes_nothing(ctx, web):
    deliver(web, customer_event())
    update = customer_event("e-cust-2", "customer.updated", email_address="amelia@example.org", version=1)

    first, again = deliver(web, update), deliver(web, update)

    assert first.json()["outcome"] == "updated 1"
    assert again.json()["outcome"] == "duplicate"
    with Session(ctx.engine) as session:
        assert session.exec(select(Client.email)).one() == "amelia@example.org"
    assert count(ctx, WebhookEvent) == 2


@pytest.mark.parametrize(
    "status, expected",
    [
        ("ACCEPTED", "booked"),
        ("PENDING", "booked"),
        ("CANCELLED_BY_CUSTOMER", "cancelled"),
        ("CANCELLED_BY_SELLER", "cancelled"),
        ("DECLINED", "cancelled"),
        ("NO_SHOW", "no_show"),
    ],
)
def test_booking_statuses_map_to_visit_statuses(ctx, web, status, expected):
    deliver(web, customer_event())

    response = deliver(web, booking_event("e-book-1", status))

    assert response.status_code == 200, response.text
    assert [(v.external_id, v.status, v.starts_at, v.source) for v in visits(ctx)] == [
        ("zkras0xv0xwswx", expected, utc(2026, 3, 5, 16), "square")
    ]


def test_an_older_version_arriving_late_does_not_undo_a_newer_one(ctx, web):
    deliver(web, customer_event())
    deliver(web, booking_event("e1", "ACCEPTED", version=0))
    deliver(web, booking_event("e3", "CANCELLED_BY_CUSTOMER", version=2, kind="booking.updated"))

    late = deliver(
        web, booking_event("e2", "ACCEPTED", version=1, kind="booking.updated", start_at="2026-03-06T16:00:00Z")
    )

    assert late.json()["outcome"] == "stale 1"
    assert [(v.status, v.starts_at, v.external_version) for v in visits(ctx)] == [("cancelled", utc(2026, 3, 5, 16), 2)]


def test_a_reschedule_moves_the_same_visit(ctx, web):
    deliver(web, customer_event())
    deliver(web, booking_event("e1", version=0))

    deliver(web, booking_event("e2", version=1, kind="booking.updated", start_at="2026-03-07T15:00:00Z"))

    assert [(v.status, v.starts_at) for v in visits(ctx)] == [("booked", utc(2026, 3, 7, 15))]


def test_a_booking_for_an_unknown_customer_asks_for_redelivery(ctx, web):
    response = deliver(web, booking_event("e1"))

    assert response.status_code == 503
    assert count(ctx, WebhookEvent) == 0 and visits(ctx) == []


def test_events_we_do_not_use_are_acknowledged(ctx, web):
    response = deliver(web, {**customer_event(), "type": "customer.deleted"})

    assert (response.status_code, response.json()["outcome"]) == (200, "event type not used")


def test_a_customer_that_fails_the_importer_checks_is_recorded_as_refused(ctx, web):
    response = deliver(web, customer_event(email_address=None, phone_number=None))

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("refused: email: a client needs an email address or a phone")
    assert count(ctx, Client) == 0


def test_the_planning_pass_counts_a_long_past_booking_as_attended_unless_told_otherwise(ctx, web):
    deliver(web, customer_event())
    deliver(web, booking_event("e1", start_at="2026-03-02T06:00:00Z"))  # 9 hours before NOW
    deliver(web, booking_event("e2", start_at="2026-03-02T12:00:00Z", booking_id="recent"))  # 3 hours before

    plan_due(ctx, NOW)

    assert [(v.external_id, v.status) for v in visits(ctx)] == [("zkras0xv0xwswx", "attended"), ("recent", "booked")]
    with Session(ctx.engine) as session:
        client = session.exec(select(Client)).one()
    assert client.last_visit_at == utc(2026, 3, 2, 6)  # planned in the same pass, as attended
    # A no-show reported afterwards, with Square's next version, still stands.
    deliver(web, booking_event("e3", "NO_SHOW", version=1, kind="booking.updated", start_at="2026-03-02T06:00:00Z"))
    plan_due(ctx, NOW + timedelta(days=1))
    assert [v.status for v in visits(ctx)] == ["no_show", "attended"]
