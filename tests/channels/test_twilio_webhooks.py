"""Twilio's inbound direction in outreach.channels.twilio: signatures checked by Twilio's own validator, status
callbacks read as DeliveryReports, inbound texts as InboundTexts, and the TwiML answer."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from outreach.channels import twilio
from outreach.channels.base import WebhookRefused
from outreach.models import MessageStatus

TOKEN = "test-twilio-auth-token"
URL = "https://clinic.example/webhooks/twilio/status"
STATUS = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+16125550101", "Body": "hi"}


def refusal(call, *args) -> tuple[int, str]:
    with pytest.raises(WebhookRefused) as caught:
        call(*args)
    return caught.value.status_code, caught.value.reason


def test_a_form_signed_with_the_token_is_read_and_nul_characters_dropped():
    fields = {**STATUS, "Body": "hi\x00 there"}
    signature = RequestValidator(TOKEN).compute_signature(URL, fields)

    assert twilio.verified_fields(URL, urlencode(fields).encode(), signature, TOKEN)["Body"] == "hi there"


@pytest.mark.parametrize(
    "url,token,body",
    [
        ("https://10.0.0.5/webhooks/twilio/status", TOKEN, urlencode(STATUS)),  # signed for another URL
        (URL, "someone-elses-token", urlencode(STATUS)),
        (URL, "", urlencode(STATUS)),  # no token set: nothing can be checked, so nothing is accepted
        (URL, TOKEN, urlencode({**STATUS, "MessageStatus": "failed"})),
        (URL, TOKEN, urlencode([*STATUS.items(), ("MessageStatus", "failed")])),
    ],
)
def test_anything_not_signed_as_sent_is_refused_with_403(url, token, body):
    signature = RequestValidator(TOKEN).compute_signature(URL, STATUS)

    assert refusal(twilio.verified_fields, url, body.encode(), signature, token) == (403, "bad X-Twilio-Signature")


def test_a_json_body_is_checked_against_the_body_sha256_the_signed_url_carries():
    content = json.dumps({**STATUS, "NumSegments": 1, "Nested": {"a": 1}}).encode()
    url = f"{URL}?" + urlencode({"bodySHA256": hashlib.sha256(content).hexdigest()})
    signature = RequestValidator(TOKEN).compute_signature(url, {})

    fields = twilio.verified_fields(url, content, signature, TOKEN)

    assert (fields["MessageSid"], fields["NumSegments"], "Nested" in fields) == ("SM1", "1", False)
    assert refusal(twilio.verified_fields, url, content.replace(b"SM1", b"SM2"), signature, TOKEN)[0] == 403


@pytest.mark.parametrize(
    "url,body,reason",
    [
        (URL, b"\xff\xfe", "body is not UTF-8"),
        (URL, b"a=1&&b", "body is not a form"),
    ],
)
def test_an_unreadable_body_is_refused_with_400(url, body, reason):
    assert refusal(twilio.verified_fields, url, body, "signature", TOKEN) == (400, reason)


@pytest.mark.parametrize("content,reason", [(b"not json", "body is not JSON"), (b"[1]", "expected a JSON object")])
def test_a_signed_json_body_that_is_not_an_object_is_refused_with_400(content, reason):
    url = f"{URL}?" + urlencode({"bodySHA256": hashlib.sha256(content).hexdigest()})
    signature = RequestValidator(TOKEN).compute_signature(url, {})

    assert refusal(twilio.verified_fields, url, content, signature, TOKEN) == (400, reason)


def test_a_request_without_a_signature_is_refused_before_its_body_is_read():
    assert refusal(twilio.signature_of, {}) == (403, "missing X-Twilio-Signature")
    assert twilio.signature_of({"X-Twilio-Signature": "abc"}) == "abc"


@pytest.mark.parametrize(
    "status,implied",
    [
        ("queued", MessageStatus.sending),
        ("Sent", MessageStatus.sent),
        ("delivered", MessageStatus.delivered),
        ("read", MessageStatus.delivered),
        ("undelivered", MessageStatus.failed),
        ("canceled", MessageStatus.failed),
        ("receiving", None),
    ],
)
def test_a_status_callback_implies_a_message_status(status, implied):
    report = twilio.delivery_report({**STATUS, "MessageStatus": status})

    assert (report.status, report.event, report.event_id) == (implied, status.lower(), f"SM1:{status.lower()}")
    assert (report.provider, report.channel, report.provider_message_id) == ("twilio", "sms", "SM1")
    assert "Body" not in report.payload


def test_a_failure_carries_its_code_and_reason_and_21610_opts_the_number_out():
    failed = twilio.delivery_report({**STATUS, "MessageStatus": "failed", "ErrorCode": "30003", "ErrorMessage": "Gone"})
    opted_out = twilio.delivery_report({**STATUS, "MessageStatus": "failed", "ErrorCode": "21610"})

    assert (failed.error_code, failed.detail, failed.reason, failed.opted_out) == (
        "30003",
        "30003 Gone",
        "Twilio failed: 30003 Gone",
        False,
    )
    assert (opted_out.opted_out, opted_out.recipient, opted_out.address_reason) == (
        True,
        "+16125550101",
        "Twilio says opted out (21610)",
    )


@pytest.mark.parametrize(
    "fields,reason",
    [
        ({"MessageStatus": "delivered"}, "MessageSid is missing or malformed"),
        ({**STATUS, "MessageSid": "SM" + "9" * 250}, "MessageSid is missing or malformed"),
        ({**STATUS, "MessageSid": "SM-1"}, "MessageSid is missing or malformed"),
        ({**STATUS, "MessageStatus": "delivered'; --"}, "MessageStatus is missing or malformed"),
        ({**STATUS, "MessageStatus": ""}, "MessageStatus is missing or malformed"),
    ],
)
def test_a_callback_that_is_not_a_status_is_refused_with_400(fields, reason):
    assert refusal(twilio.delivery_report, fields) == (400, reason)


def test_an_inbound_text_is_read_with_its_opt_out_type():
    text = twilio.inbound_text({"SmsSid": "SMin", "From": " +16125550101 ", "Body": "Arrêt", "OptOutType": "STOP"})

    assert (text.sid, text.from_number, text.body, text.opt_out_type) == ("SMin", "+16125550101", "Arrêt", "STOP")
    assert refusal(twilio.inbound_text, {"MessageSid": "SM1", "From": " "}) == (400, "From is missing or malformed")
    assert refusal(twilio.inbound_text, {"MessageSid": "SM1", "From": "+1" * 200})[0] == 400


def test_the_answer_is_twiml_with_one_message_or_none():
    answer = ElementTree.fromstring(twilio.twiml_reply("Thanks & bye"))
    silent = ElementTree.fromstring(twilio.twiml_reply(""))

    assert (answer.tag, answer.find("Message").text) == ("Response", "Thanks & bye")
    assert (silent.tag, silent.find("Message")) == ("Response", None)
