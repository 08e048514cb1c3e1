"""SendGrid's signed event webhook in outreach.channels.sendgrid: the headers, the ECDSA signature checked by
SendGrid's own helper, and each event read as a DeliveryReport."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from outreach.channels import sendgrid
from outreach.channels.base import WebhookRefused
from outreach.models import MessageStatus

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
).decode()
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
STAMP = str(int(NOW.timestamp()))
SIGNATURE, TIMESTAMP = "X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"
EVENT = {
    "email": "ana@example.org",
    "timestamp": int(NOW.timestamp()) - 60,
    "event": "delivered",
    "sg_event_id": "ev1",
    "sg_message_id": "W86EgYT6SQKk0lRflfLRsA.filterdrecv-5645d9c87f-78xgx-1-5E9F4B2D-2.0",
    "outreach_message_id": "41",
}


def sign(body: bytes, timestamp: str = STAMP) -> str:
    return base64.b64encode(KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def refusal(call, *args) -> tuple[int, str]:
    with pytest.raises(WebhookRefused) as caught:
        call(*args)
    return caught.value.status_code, caught.value.reason


def test_usable_headers_within_the_window_are_returned():
    headers = {SIGNATURE: "sig", TIMESTAMP: f" {int(NOW.timestamp()) - 299} "}

    assert sendgrid.signed_headers(headers, PUBLIC_KEY, NOW, 300) == ("sig", str(int(NOW.timestamp()) - 299))


@pytest.mark.parametrize(
    "headers,key,reason",
    [
        ({SIGNATURE: "sig", TIMESTAMP: STAMP}, "", "signed event webhook is not configured"),
        ({TIMESTAMP: STAMP}, PUBLIC_KEY, "missing or malformed signature or timestamp"),
        ({SIGNATURE: "sig", TIMESTAMP: "²"}, PUBLIC_KEY, "missing or malformed signature or timestamp"),
        ({SIGNATURE: "sig", TIMESTAMP: "1" * 5000}, PUBLIC_KEY, "missing or malformed signature or timestamp"),
        ({SIGNATURE: "sig", TIMESTAMP: str(int(NOW.timestamp()) - 301)}, PUBLIC_KEY, "stale timestamp"),
        ({SIGNATURE: "sig", TIMESTAMP: str(int(NOW.timestamp()) + 301)}, PUBLIC_KEY, "stale timestamp"),
    ],
)
def test_unusable_headers_are_refused_with_403(headers, key, reason):
    assert refusal(sendgrid.signed_headers, headers, key, NOW, 300) == (403, reason)


def test_a_body_signed_with_the_key_is_accepted_and_anything_else_refused():
    body = json.dumps([EVENT]).encode()
    other_key = ec.generate_private_key(ec.SECP256R1())
    forged = base64.b64encode(other_key.sign(STAMP.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()

    assert sendgrid.verify(body, sign(body), STAMP, PUBLIC_KEY) is None
    assert refusal(sendgrid.verify, body + b" ", sign(body), STAMP, PUBLIC_KEY) == (403, "bad signature")
    assert refusal(sendgrid.verify, body, forged, STAMP, PUBLIC_KEY) == (403, "bad signature")
    assert refusal(sendgrid.verify, body, "not base64 at all!", STAMP, PUBLIC_KEY) == (403, "bad signature")
    assert refusal(sendgrid.verify, body, sign(body), STAMP, "not a key") == (403, "bad signature")
    assert refusal(sendgrid.verify, b"\xff", sign(b"\xff"), STAMP, PUBLIC_KEY) == (400, "body is not UTF-8")


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"not json", "body is not JSON"),
        (b"[" * 50000 + b"]" * 50000, "body is not JSON"),
        (b'{"event": "delivered"}', "expected a JSON array of event objects"),
        (b'["delivered"]', "expected a JSON array of event objects"),
    ],
)
def test_a_body_that_is_not_a_batch_of_events_is_refused_with_400(body, reason):
    assert refusal(sendgrid.delivery_reports, body) == (400, reason)


def test_an_event_is_matched_by_our_custom_arg_and_the_x_message_id():
    (report,) = sendgrid.delivery_reports(json.dumps([EVENT]).encode())

    assert (report.provider, report.channel, report.event_id, report.event) == ("sendgrid", "email", "ev1", "delivered")
    assert (report.message_id, report.provider_message_ids) == (41, ("W86EgYT6SQKk0lRflfLRsA",))
    assert (report.status, report.at, report.recipient) == (
        MessageStatus.delivered,
        NOW.replace(minute=59, hour=14),
        "ana@example.org",
    )


@pytest.mark.parametrize("our_id", ["9" * 30, "²", "-1", "", None])
def test_a_custom_arg_that_cannot_be_our_id_is_left_out(our_id):
    assert sendgrid.delivery_report({**EVENT, "outreach_message_id": our_id}).message_id is None


@pytest.mark.parametrize(
    "changes,status,opted_out,suppress",
    [
        ({"event": "processed"}, MessageStatus.sent, False, False),
        ({"event": "dropped", "reason": "Bounced Address"}, MessageStatus.failed, False, True),
        ({"event": "bounce", "type": "bounce"}, MessageStatus.bounced, False, True),
        ({"event": "bounce"}, MessageStatus.bounced, False, True),
        ({"event": "bounce", "type": "blocked"}, MessageStatus.failed, False, False),
        ({"event": "spamreport"}, None, True, False),
        ({"event": "unsubscribe"}, None, True, False),
        ({"event": "group_unsubscribe"}, None, True, False),
        ({"event": "open"}, None, False, False),
        ({"event": "deferred"}, None, False, False),
    ],
)
def test_each_kind_of_event_implies_a_status_and_what_to_do_with_the_address(changes, status, opted_out, suppress):
    report = sendgrid.delivery_report({**EVENT, **changes})

    assert (report.status, report.opted_out, report.suppress) == (status, opted_out, suppress)


def test_the_reason_is_the_kind_and_the_providers_words_without_nul_characters():
    report = sendgrid.delivery_report(
        {**EVENT, "event": "bounce", "type": "bounce", "reason": "550 5.1.1\x00 no mailbox", "timestamp": "soon"}
    )

    assert (report.detail, report.reason, report.address_reason) == (
        "bounce 550 5.1.1 no mailbox",
        "bounce: bounce 550 5.1.1 no mailbox",
        "bounce: bounce 550 5.1.1 no mailbox",
    )
    assert report.payload["reason"] == "550 5.1.1 no mailbox"
    assert report.at is None  # an unreadable time: the arrival time is used
