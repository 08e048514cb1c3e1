"""What TwilioSms asks of Twilio's Messages API, and what it needs to start; classification is in the contract."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from outreach.channels.base import ChannelError
from outreach.channels.twilio import TwilioSms, retry_after_seconds
from outreach.settings import Secrets, Settings, SettingsError
from tests.channels.transports import PUBLIC_URL, text, twilio_sms
from tests.fakes import twilio


def test_it_sends_a_text_through_the_messaging_service(twilio_fake):
    receipt = twilio_sms(twilio_fake.url).send(text())

    (request,) = twilio_fake.accepted
    assert request.fields["To"] == "+16125550101"
    assert request.fields["Body"].startswith("Hi Ana")
    assert request.fields["MessagingServiceSid"] == twilio.MESSAGING_SERVICE_SID
    assert request.fields["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/status"
    assert receipt.provider_id == request.answer["sid"]
    assert twilio_fake.violations == []


def test_it_sends_from_a_number_when_there_is_no_messaging_service(twilio_fake):
    twilio_sms(twilio_fake.url, messaging_service_sid="", from_number="+16125222225").send(text())

    (request,) = twilio_fake.accepted
    assert request.fields["From"] == "+16125222225"
    assert "MessagingServiceSid" not in request.fields


def test_it_reads_retry_after_given_as_an_http_date():
    now = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)

    seconds = retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now.timestamp())

    assert seconds == 90
    assert retry_after_seconds("soon") is None


def test_it_sends_from_many_threads_at_once(twilio_fake):
    twilio_fake.fail_randomly(0.2, twilio.rate_limited(), seed=7)
    twilio_fake.latency = 0.01
    channel = twilio_sms(twilio_fake.url)
    numbers = [f"+1612555{n:04d}" for n in range(60)]

    def attempt(number: str) -> str:
        try:
            return channel.send(text(to=number)).provider_id
        except ChannelError as exc:
            return exc.failure.value

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, numbers))

    sent = [outcome for outcome in outcomes if outcome.startswith("SM")]
    assert len(set(sent)) == len(sent) == len(twilio_fake.accepted)
    assert outcomes.count("transient") == len(twilio_fake.requests) - len(twilio_fake.accepted) > 0
    assert sorted(request.to for request in twilio_fake.accepted) == sorted(
        number for number, outcome in zip(numbers, outcomes, strict=True) if outcome.startswith("SM")
    )
    assert twilio_fake.violations == []


@pytest.mark.parametrize(
    "missing,named",
    [
        ({"account_sid": ""}, "twilio.account_sid"),
        ({"messaging_service_sid": "", "from_number": ""}, "twilio.messaging_service_sid or twilio.from_number"),
    ],
)
def test_it_refuses_to_start_without_its_settings(missing, named):
    with pytest.raises(SettingsError, match=named):
        twilio_sms("http://127.0.0.1:9", **missing)


def test_it_refuses_to_start_without_an_auth_token():
    settings = Settings(
        sms={"backend": "twilio"},
        web={"public_url": PUBLIC_URL},
        twilio={"account_sid": twilio.ACCOUNT_SID, "from_number": "+16125222225"},
    )

    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        TwilioSms(settings, Secrets())


def test_the_fake_holds_requests_to_twilios_contract(twilio_fake):
    import requests

    reply = requests.post(
        f"{twilio_fake.url}/2010-04-01/Accounts/{twilio.ACCOUNT_SID}/Messages.json",
        timeout=5,
        auth=(twilio.ACCOUNT_SID, twilio.AUTH_TOKEN),
        data={"To": "612-555-0101"},
    )

    assert reply.status_code == 400
    problems = " ".join(twilio_fake.violations)
    assert "Body is required" in problems and "From or MessagingServiceSid" in problems and "E.164" in problems
