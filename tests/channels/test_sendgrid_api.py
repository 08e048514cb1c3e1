"""What SendgridEmail asks of SendGrid's Mail Send, and what it needs to start; classification is in the
contract."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from outreach.channels.base import ChannelError, Failure, OutgoingMessage
from outreach.channels.sendgrid import SendgridEmail
from outreach.settings import Secrets, Settings, SettingsError
from tests.channels.transports import UNSUBSCRIBE, email, failure_of, sendgrid_email
from tests.fakes import sendgrid


def test_it_sends_text_and_html_with_our_id_category_and_one_click_headers(sendgrid_fake):
    receipt = sendgrid_email(sendgrid_fake.url).send(email())

    (request,) = sendgrid_fake.accepted
    body = request.fields
    assert body["from"] == {"email": "hello@clinic.example", "name": "Northside Massage Therapy"}
    assert body["reply_to"] == {"email": "frontdesk@clinic.example"}
    assert body["personalizations"] == [{"to": [{"email": "ana@example.org"}]}]
    assert [part["type"] for part in body["content"]] == ["text/plain", "text/html"]
    assert body["custom_args"] == {"outreach_message_id": "41"}
    assert body["categories"] == ["rebook"]
    assert body["headers"] == {"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert receipt.provider_id == request.reply.headers["X-Message-Id"]
    assert sendgrid_fake.violations == []


def test_it_sends_a_plain_text_email_without_a_category(sendgrid_fake):
    plain = OutgoingMessage(
        message_id=7, key="test:7", channel="email", to="staff@clinic.example", subject="Test", text="Just text"
    )

    sendgrid_email(sendgrid_fake.url).send(plain)

    (request,) = sendgrid_fake.accepted
    assert request.fields["content"] == [{"type": "text/plain", "value": "Just text"}]
    assert "categories" not in request.fields and "headers" not in request.fields


def test_it_fails_only_the_address_a_rule_names(sendgrid_fake):
    sendgrid_fake.fail_for("bad@example.org", sendgrid.error(400, "Does not contain a valid address."))
    channel = sendgrid_email(sendgrid_fake.url)

    channel.send(email(to="ana@example.org"))
    failure = failure_of(channel, email(to="bad@example.org"))

    assert failure.failure is Failure.permanent
    assert [request.to for request in sendgrid_fake.accepted] == ["ana@example.org"]


def test_it_sends_from_many_threads_at_once(sendgrid_fake):
    sendgrid_fake.fail_randomly(0.25, sendgrid.error(500), seed=3)
    channel = sendgrid_email(sendgrid_fake.url)

    def attempt(message_id: int) -> str:
        try:
            return channel.send(email(message_id=message_id, to=f"client{message_id}@example.org")).provider_id
        except ChannelError as exc:
            return exc.failure.value

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(1, 61)))

    sent_ids = sorted(int(request.fields["custom_args"]["outreach_message_id"]) for request in sendgrid_fake.accepted)
    assert sent_ids == [n for n, outcome in zip(range(1, 61), outcomes, strict=True) if outcome != "unknown"]
    assert 0 < outcomes.count("unknown") < 60
    assert sendgrid_fake.violations == []


def test_it_refuses_to_start_without_an_api_key():
    with pytest.raises(SettingsError, match="SENDGRID_API_KEY"):
        SendgridEmail(Settings(email={"backend": "sendgrid"}, web={"public_url": "https://clinic.example"}), Secrets())


def test_the_fake_holds_requests_to_sendgrids_contract(sendgrid_fake):
    import requests

    reply = requests.post(
        f"{sendgrid_fake.url}/v3/mail/send",
        timeout=5,
        headers={"Authorization": f"Bearer {sendgrid.API_KEY}"},
        json={
            "personalizations": [{"to": []}],
            "from": {"email": "a@clinic.example"},
            "custom_args": {"outreach_message_id": 3},
            "headers": {"From": "x"},
        },
    )

    assert reply.status_code == 400
    assert "personalizations[0].to needs an email" in " ".join(sendgrid_fake.violations)
    assert "custom_args.outreach_message_id must be a string" in " ".join(sendgrid_fake.violations)
    assert "header From may not be set" in " ".join(sendgrid_fake.violations)
