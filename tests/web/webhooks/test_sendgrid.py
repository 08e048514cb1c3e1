"""SendGrid's signed event webhook, signed as SendGrid signs it: ECDSA P-256 over timestamp + raw body."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outreach.models import Client, ConsentEvent, DeliveryEvent, Message, Suppression
from outreach.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import count, load, raw_post, web_client
from tests.web.webhooks import NOW
from tests.web.webhooks import SENDGRID_SIGNING_KEY as SIGNING_KEY

PATH = "/webhooks/sendgrid/events"
ANA = "ana@example.org"
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def headers_for(body: bytes, key=SIGNING_KEY, at=NOW) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


def post(http: TestClient, events, **signing):
    body = json.dumps(events).encode()
    return http.post(PATH, content=body, headers=headers_for(body, **signing))


def event(kind: str, event_id: str, message_id: int | None = None, **extra) -> dict:
    data = {
        "email": ANA,
        "timestamp": int(NOW.timestamp()) - 60,
        "event": kind,
        "sg_event_id": event_id,
        "sg_message_id": "W86EgYT6SQKk0lRflfLRsA.filterdrecv-5645d9c87f-78xgx-1-5E9F4B2D-2.0",
        **extra,
    }
    if message_id is not None:
        data["outreach_message_id"] = str(message_id)
    return data


def add_client(ctx, email: str = ANA) -> int:
    with Session(ctx.engine) as session:
        client = Client(external_id=email, first_name="Ana", email=email, email_consent=True)
        session.add(client)
        session.commit()
        return client.id


def add_email(ctx, client_id: int, status: str = "sent", provider_id: str = "xid-1") -> int:
    with Session(ctx.engine) as session:
        message = Message(
            key=f"{client_id}:education:{provider_id}",
            client_id=client_id,
            campaign="education",
            step="pain-cycle",
            cycle="1",
            stream="education",
            channel="email",
            to_address=ANA,
            status=status,
            due_at=NOW - timedelta(hours=2),
            sent_at=NOW - timedelta(hours=2),
            provider_id=provider_id,
        )
        session.add(message)
        session.commit()
        return message.id


def test_it_marks_a_message_delivered_by_our_id(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    response = post(http, [event("delivered", "ev1", message_id)])

    assert response.status_code == 204
    assert load(ctx, Message, message_id).status == "delivered"
    assert count(ctx, DeliveryEvent, DeliveryEvent.message_id == message_id, DeliveryEvent.event == "delivered") == 1


def test_it_falls_back_to_the_provider_message_id(ctx, http):
    message_id = add_email(ctx, add_client(ctx), provider_id="W86EgYT6SQKk0lRflfLRsA")

    post(http, [event("delivered", "ev1")])

    assert load(ctx, Message, message_id).status == "delivered"


def test_it_records_opens_clicks_and_deferrals_without_moving_the_message(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    post(
        http,
        [
            event("deferred", "ev1", message_id, attempt="1"),
            event("open", "ev2", message_id),
            event("click", "ev3", message_id, url="https://example.com/book"),
        ],
    )

    assert load(ctx, Message, message_id).status == "sent"
    assert count(ctx, DeliveryEvent, DeliveryEvent.message_id == message_id) == 3


def test_it_suppresses_a_hard_bounce(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    post(http, [event("bounce", "ev1", message_id, type="bounce", reason="550 5.1.1 mailbox does not exist")])

    message = load(ctx, Message, message_id)
    assert message.status == "bounced" and "mailbox does not exist" in message.reason
    with Session(ctx.engine) as session:
        suppression = session.exec(select(Suppression)).one()
    assert (suppression.channel, suppression.address, suppression.source) == ("email", ANA, "provider")


def test_it_fails_a_blocked_message_without_suppressing_the_address(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    post(http, [event("bounce", "ev1", message_id, type="blocked", reason="IP blocklisted")])

    assert load(ctx, Message, message_id).status == "failed"
    assert count(ctx, Suppression) == 0


def test_it_suppresses_a_dropped_address(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    post(http, [event("dropped", "ev1", message_id, reason="Bounced Address")])

    assert load(ctx, Message, message_id).status == "failed"
    assert count(ctx, Suppression, Suppression.reason.contains("Bounced Address")) == 1


@pytest.mark.parametrize("kind", ["spamreport", "unsubscribe"])
def test_it_stops_emailing_a_client_who_complained_or_unsubscribed(ctx, http, kind):
    client_id = add_client(ctx)
    message_id = add_email(ctx, client_id)

    post(http, [event(kind, "ev1", message_id)])

    assert load(ctx, Client, client_id).email_consent is False
    assert count(ctx, ConsentEvent, ConsentEvent.source == "provider", ConsentEvent.channel == "email") == 1
    assert count(ctx, Suppression, Suppression.address == ANA, Suppression.reason.startswith(kind)) == 1


def test_it_records_each_event_once_however_often_it_comes(ctx, http):
    message_id = add_email(ctx, add_client(ctx))
    delivered = event("delivered", "ev1", message_id)

    post(http, [delivered, delivered])
    again = post(http, [delivered])

    assert again.status_code == 204
    assert count(ctx, DeliveryEvent) == 1


def test_it_settles_an_email_whose_send_had_an_unknown_outcome(ctx, http):
    message_id = add_email(ctx, add_client(ctx), status="unknown", provider_id=None)

    post(http, [event("processed", "ev1", message_id)])

    assert load(ctx, Message, message_id).status == "sent"


def test_it_refuses_forged_tampered_and_replayed_batches(ctx, http, snapshot):
    message_id = add_email(ctx, add_client(ctx))
    body = json.dumps([event("spamreport", "ev1", message_id)]).encode()
    before = snapshot()

    attempts = {
        "other key": http.post(PATH, content=body, headers=headers_for(body, key=OTHER_KEY)),
        "tampered": http.post(PATH, content=body.replace(b"spamreport", b"unsubscribe"), headers=headers_for(body)),
        "replayed": http.post(PATH, content=body, headers=headers_for(body, at=NOW - timedelta(seconds=301))),
        "from the future": http.post(PATH, content=body, headers=headers_for(body, at=NOW + timedelta(seconds=301))),
        "unsigned": http.post(PATH, content=body, headers={"Content-Type": "application/json"}),
        "garbage signature": http.post(
            PATH,
            content=body,
            headers={**headers_for(body), "X-Twilio-Email-Event-Webhook-Signature": "not base64 at all!"},
        ),
    }

    assert {name: response.status_code for name, response in attempts.items()} == dict.fromkeys(attempts, 403)
    assert snapshot() == before


def test_it_accepts_a_batch_signed_a_little_while_ago(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    response = post(http, [event("delivered", "ev1", message_id)], at=NOW - timedelta(seconds=299))

    assert response.status_code == 204


@pytest.mark.parametrize(
    "body", [b"not json", b'{"event": "delivered"}', b'["delivered"]', b"[" * 50000 + b"]" * 50000]
)
def test_it_answers_400_to_a_signed_body_that_is_not_a_batch_of_events(ctx, http, body, snapshot):
    before = snapshot()

    response = http.post(PATH, content=body, headers=headers_for(body))

    assert response.status_code == 400
    assert snapshot() == before


def test_it_refuses_a_body_over_a_megabyte(ctx, http):
    big = [event("open", f"ev{n}", None, padding="x" * 1000) for n in range(1100)]

    assert post(http, big).status_code == 413
    assert count(ctx, DeliveryEvent) == 0


def test_it_refuses_everything_until_a_verification_key_is_configured(database_url, tmp_path):
    from outreach.context import Context
    from outreach.db import engine_for
    from tests.conftest import ROOT

    unconfigured = Context(make_settings(database_url, tmp_path), templates_dir=ROOT / "templates")
    unconfigured.upgrade_schema()
    app = create_app(unconfigured)
    app.state.clock = lambda: NOW
    body = json.dumps([event("delivered", "ev1")]).encode()
    with TestClient(app) as client:
        response = client.post(PATH, content=body, headers=headers_for(body))
    unconfigured.engine.dispose()
    engine_for.cache_clear()

    assert response.status_code == 403


def test_it_passes_over_events_that_cannot_be_ours_and_keeps_the_rest_of_the_batch(ctx, http):
    message_id = add_email(ctx, add_client(ctx))

    response = post(
        http,
        [
            event("delivered", "odd-1", None, outreach_message_id="9" * 30),
            event("bounce", "odd-2", None, type="bounce", email="x" * 300 + "@example.com"),
            event("open", "x" * 300, message_id),
            event("delivered", "ev1", message_id, reason="nul\x00inside"),
        ],
    )

    assert response.status_code == 204
    assert load(ctx, Message, message_id).status == "delivered"
    assert count(ctx, Suppression) == 0
    assert count(ctx, DeliveryEvent) == 3


@pytest.mark.parametrize("timestamp", [b"\xb2", b"1" * 5000, b"-1", b"", b"12.5", b"0x10"])
def test_it_refuses_a_malformed_timestamp_header_without_an_error(ctx, timestamp):
    body = json.dumps([event("delivered", "ev1")]).encode()
    headers = {**headers_for(body), "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}

    with web_client(ctx, NOW, raise_server_exceptions=False) as client:
        status = raw_post(client, PATH, body, headers)

    assert status in (400, 403)
    assert count(ctx, DeliveryEvent) == 0


def test_it_checks_the_headers_before_reading_the_body(ctx, http):
    too_big = b"[" + b" " * 2_000_000 + b"]"

    response = http.post(PATH, content=too_big, headers={"Content-Type": "application/json"})

    assert response.status_code == 403
