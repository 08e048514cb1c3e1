"""The Twilio channel, through the real SDK over HTTP to a local fake Twilio."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from outreach.channels.base import ChannelError, Failure, OutgoingMessage
from outreach.channels.twilio import TwilioSms, retry_after_seconds
from outreach.settings import Secrets, Settings, SettingsError
from tests.fakes import twilio
from tests.fakes.server import Fault
from tests.fakes.twilio import twilio_fake  # noqa: F401  (fixture)

PUBLIC_URL = "https://clinic.example"


def make_channel(base_url: str, timeout=(1.0, 2.0), **twilio_settings) -> TwilioSms:
    config = {
        "account_sid": twilio.ACCOUNT_SID,
        "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
        "base_url": base_url,
        **twilio_settings,
    }
    settings = Settings(sms={"backend": "twilio"}, twilio=config, web={"public_url": PUBLIC_URL})
    return TwilioSms(settings, Secrets(twilio_auth_token=twilio.AUTH_TOKEN), timeout=timeout)


def text(message_id: int = 1, to: str = "+16125550101") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        key=f"1:rebook:nudge:{message_id}",
        channel="sms",
        to=to,
        text="Hi Ana, it's been a week since your massage. Book: https://example.com/book",
    )


def failure_of(channel: TwilioSms, message: OutgoingMessage | None = None) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        channel.send(message or text())
    return caught.value


def test_it_sends_a_text_through_the_messaging_service(twilio_fake):
    receipt = make_channel(twilio_fake.url).send(text())

    (request,) = twilio_fake.accepted
    assert request.fields["To"] == "+16125550101"
    assert request.fields["Body"].startswith("Hi Ana")
    assert request.fields["MessagingServiceSid"] == twilio.MESSAGING_SERVICE_SID
    assert request.fields["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/status"
    assert receipt.provider_id == request.answer["sid"]
    assert twilio_fake.violations == []


def test_it_sends_from_a_number_when_there_is_no_messaging_service(twilio_fake):
    make_channel(twilio_fake.url, messaging_service_sid="", from_number="+16125222225").send(text())

    (request,) = twilio_fake.accepted
    assert request.fields["From"] == "+16125222225"
    assert "MessagingServiceSid" not in request.fields


def test_it_reports_an_opted_out_number_as_permanent(twilio_fake):
    twilio_fake.fail_next(1, twilio.error(21610))

    failure = failure_of(make_channel(twilio_fake.url))

    assert (failure.failure, failure.code, failure.opted_out) == (Failure.permanent, "21610", True)
    assert twilio_fake.accepted == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_it_reports_an_invalid_number_as_permanent(twilio_fake, code):
    twilio_fake.fail_for("+16125550199", twilio.error(code))

    failure = failure_of(make_channel(twilio_fake.url), text(to="+16125550199"))

    assert (failure.failure, failure.invalid_address, failure.opted_out) == (Failure.permanent, True, False)


def test_it_reports_other_validation_errors_as_permanent_without_blaming_the_client(twilio_fake):
    twilio_fake.fail_next(1, twilio.error(21408, message="Permission to send to this region is not enabled"))

    failure = failure_of(make_channel(twilio_fake.url))

    assert (failure.failure, failure.invalid_address, failure.opted_out) == (Failure.permanent, False, False)
    assert "21408" in failure.reason


def test_it_is_refused_with_the_wrong_auth_token(twilio_fake):
    twilio_fake.auth_token = "rotated-token"

    failure = failure_of(make_channel(twilio_fake.url))

    assert (failure.failure, failure.code) == (Failure.permanent, "20003")


def test_it_reports_a_rate_limit_as_transient_with_the_retry_after(twilio_fake):
    twilio_fake.fail_next(1, twilio.rate_limited(retry_after=7))
    channel = make_channel(twilio_fake.url)

    failure = failure_of(channel)

    assert (failure.failure, failure.retry_after, failure.code) == (Failure.transient, 7.0, "20429")
    assert channel.send(text()).provider_id.startswith("SM")


def test_it_reports_a_rate_limit_without_retry_after_as_transient(twilio_fake):
    twilio_fake.fail_next(1, twilio.rate_limited(retry_after=None))

    failure = failure_of(make_channel(twilio_fake.url))

    assert (failure.failure, failure.retry_after) == (Failure.transient, None)


def test_it_reads_retry_after_given_as_an_http_date():
    now = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)

    seconds = retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now.timestamp())

    assert seconds == 90
    assert retry_after_seconds("soon") is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_never_calls_a_server_error_safe_to_resend(twilio_fake, status):
    twilio_fake.fail_next(1, twilio.server_error(status))

    assert failure_of(make_channel(twilio_fake.url)).failure is Failure.unknown


def test_it_calls_a_reply_that_never_came_unknown_because_the_text_went_out(twilio_fake):
    twilio_fake.fail_next(1, Fault.delay(0.6))

    failure = failure_of(make_channel(twilio_fake.url, timeout=(1.0, 0.2)))

    assert failure.failure is Failure.unknown
    assert twilio_fake.wait_idle()
    assert len(twilio_fake.accepted) == 1


def test_it_calls_a_connection_reset_after_sending_unknown(twilio_fake):
    twilio_fake.fail_next(1, Fault.reset())

    assert failure_of(make_channel(twilio_fake.url)).failure is Failure.unknown


def test_it_calls_a_refused_connection_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    failure = failure_of(make_channel(f"http://127.0.0.1:{closed_port}"))

    assert failure.failure is Failure.transient


def test_it_sends_from_many_threads_at_once(twilio_fake):
    twilio_fake.fail_randomly(0.2, twilio.rate_limited(), seed=7)
    twilio_fake.latency = 0.01
    channel = make_channel(twilio_fake.url)
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
        number for number, outcome in zip(numbers, outcomes) if outcome.startswith("SM")
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
        make_channel("http://127.0.0.1:9", **missing)


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
