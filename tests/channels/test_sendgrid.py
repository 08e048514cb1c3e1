"""The SendGrid channel, through the real SDK over HTTP to a local fake SendGrid."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from outreach.channels.base import ChannelError, Failure, OutgoingMessage
from outreach.channels.sendgrid import SendgridEmail
from outreach.settings import Secrets, Settings, SettingsError
from tests.fakes import sendgrid
from tests.fakes.sendgrid import sendgrid_fake  # noqa: F401  (fixture)
from tests.fakes.server import Fault

UNSUBSCRIBE = "<https://clinic.example/unsubscribe/TOKEN>, <mailto:unsubscribe@example.com?subject=unsubscribe>"


def make_channel(base_url: str, timeout: float = 2.0, **email_settings) -> SendgridEmail:
    settings = Settings(
        email={
            "backend": "sendgrid",
            "from_address": "hello@clinic.example",
            "from_name": "Northside Massage Therapy",
            "reply_to": "frontdesk@clinic.example",
            **email_settings,
        },
        sendgrid={"base_url": base_url},
        web={"public_url": "https://clinic.example"},
    )
    return SendgridEmail(settings, Secrets(sendgrid_api_key=sendgrid.API_KEY), timeout=timeout)


def email(message_id: int = 41, to: str = "ana@example.org", campaign: str = "rebook") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        key=f"1:{campaign}:nudge:1",
        channel="email",
        to=to,
        subject="Time for your next massage?",
        text="Hi Ana,\n\nBook: https://example.com/book",
        html="<p>Hi Ana,</p><p><a href='https://example.com/book'>Book</a></p>",
        campaign=campaign,
        headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def failure_of(channel: SendgridEmail, message: OutgoingMessage | None = None) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        channel.send(message or email())
    return caught.value


def test_it_sends_text_and_html_with_our_id_category_and_one_click_headers(sendgrid_fake):
    receipt = make_channel(sendgrid_fake.url).send(email())

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

    make_channel(sendgrid_fake.url).send(plain)

    (request,) = sendgrid_fake.accepted
    assert request.fields["content"] == [{"type": "text/plain", "value": "Just text"}]
    assert "categories" not in request.fields and "headers" not in request.fields


@pytest.mark.parametrize("status", [400, 401, 403, 413, 404])
def test_it_reports_refusals_as_permanent(sendgrid_fake, status):
    sendgrid_fake.fail_next(1, sendgrid.error(status, "The from address does not match a verified Sender Identity"))

    failure = failure_of(make_channel(sendgrid_fake.url))

    assert (failure.failure, failure.code) == (Failure.permanent, str(status))
    assert "verified Sender Identity" in failure.reason


def test_it_is_refused_with_the_wrong_api_key(sendgrid_fake):
    sendgrid_fake.api_key = "SG.rotated"

    assert failure_of(make_channel(sendgrid_fake.url)).failure is Failure.permanent


def test_it_waits_for_the_rate_limit_reset_after_a_429(sendgrid_fake):
    sendgrid_fake.fail_next(1, sendgrid.rate_limited(reset_at=int(time.time()) + 3600))
    channel = make_channel(sendgrid_fake.url)

    failure = failure_of(channel)

    assert failure.failure is Failure.transient
    assert 3500 < failure.retry_after <= 3600
    assert channel.send(email()).provider_id


def test_it_retries_a_503_which_sendgrid_never_handled(sendgrid_fake):
    sendgrid_fake.fail_next(1, Fault.status(503, headers={"Retry-After": "30"}))

    failure = failure_of(make_channel(sendgrid_fake.url))

    assert (failure.failure, failure.retry_after) == (Failure.transient, 30.0)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_it_never_resends_after_a_server_error_that_may_have_queued_the_mail(sendgrid_fake, status):
    sendgrid_fake.fail_next(1, sendgrid.error(status, "internal server error"))

    assert failure_of(make_channel(sendgrid_fake.url)).failure is Failure.unknown


def test_it_calls_a_reply_that_never_came_unknown_because_the_mail_went_out(sendgrid_fake):
    sendgrid_fake.fail_next(1, Fault.delay(0.6))

    failure = failure_of(make_channel(sendgrid_fake.url, timeout=0.2))

    assert failure.failure is Failure.unknown
    assert sendgrid_fake.wait_idle()
    assert len(sendgrid_fake.accepted) == 1


def test_it_calls_a_connection_reset_after_sending_unknown(sendgrid_fake):
    sendgrid_fake.fail_next(1, Fault.reset())

    assert failure_of(make_channel(sendgrid_fake.url)).failure is Failure.unknown


def test_it_calls_a_refused_connection_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    assert failure_of(make_channel(f"http://127.0.0.1:{closed_port}")).failure is Failure.transient


def test_it_fails_only_the_address_a_rule_names(sendgrid_fake):
    sendgrid_fake.fail_for("bad@example.org", sendgrid.error(400, "Does not contain a valid address."))
    channel = make_channel(sendgrid_fake.url)

    channel.send(email(to="ana@example.org"))
    failure = failure_of(channel, email(to="bad@example.org"))

    assert failure.failure is Failure.permanent
    assert [request.to for request in sendgrid_fake.accepted] == ["ana@example.org"]


def test_it_sends_from_many_threads_at_once(sendgrid_fake):
    sendgrid_fake.fail_randomly(0.25, sendgrid.error(500), seed=3)
    channel = make_channel(sendgrid_fake.url)

    def attempt(message_id: int) -> str:
        try:
            return channel.send(email(message_id=message_id, to=f"client{message_id}@example.org")).provider_id
        except ChannelError as exc:
            return exc.failure.value

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(1, 61)))

    sent_ids = sorted(int(request.fields["custom_args"]["outreach_message_id"]) for request in sendgrid_fake.accepted)
    assert sent_ids == [n for n, outcome in zip(range(1, 61), outcomes) if outcome != "unknown"]
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
