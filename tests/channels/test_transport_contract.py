"""The contract every Transport keeps, whichever channel it is: `send` answers with a Receipt carrying the
provider's id for the message, or raises a ChannelError whose Failure says what to do next (permanent: never
retry; transient: retry later; unknown: it may have gone out, never resend); `close` is always safe.

The provider transports run through their real SDKs over HTTP to the local fakes in tests/fakes; the tables below
hold each provider's answers and how they are classified."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from outreach.channels.base import Failure, OutgoingMessage, Receipt, Transport
from outreach.channels.outbox import NullTransport, OutboxEmail, OutboxSms
from tests.channels.transports import email, failure_of, sendgrid_email, text, twilio_sms
from tests.fakes import sendgrid, twilio
from tests.fakes.server import Fault, FakeProvider

TRANSPORTS = ["outbox-email", "outbox-sms", "null", "sendgrid", "twilio"]
PROVIDERS = ["sendgrid", "twilio"]


MAKERS: dict[str, Callable[..., Transport]] = {"sendgrid": sendgrid_email, "twilio": twilio_sms}
MESSAGES: dict[str, Callable[..., OutgoingMessage]] = {"sendgrid": email, "twilio": text}


@pytest.fixture(params=TRANSPORTS)
def transport_and_message(request, tmp_path):
    """Each transport with a message for its channel; the provider ones talk to their fake."""
    kind = request.param
    if kind == "outbox-email":
        made: Transport = OutboxEmail(tmp_path, "hello@clinic.example")
    elif kind == "outbox-sms":
        made = OutboxSms(tmp_path, "+16125222225")
    elif kind == "null":
        made = NullTransport("sms")
    else:
        made = MAKERS[kind](request.getfixturevalue(f"{kind}_fake").url)
    message = email if made.channel == "email" else text
    yield made, message
    made.close()


def test_a_send_answers_with_a_receipt_carrying_the_providers_id_for_that_message(transport_and_message):
    transport, message = transport_and_message

    receipts = [transport.send(message(message_id=n)) for n in (1, 2)]

    assert all(isinstance(receipt, Receipt) and receipt.provider_id for receipt in receipts)
    assert receipts[0].provider_id != receipts[1].provider_id
    assert transport.channel in ("email", "sms")


def test_close_is_safe_before_a_send_and_twice_after(transport_and_message):
    transport, message = transport_and_message

    transport.close()  # nothing open yet
    receipt = transport.send(message())
    transport.close()
    transport.close()

    assert receipt.provider_id


# --- how each provider's answers are classified ----------------------------------------------------------------


class Between:
    """Equal to any number in (low, high]."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (int, float)) and self.low < other <= self.high

    def __repr__(self) -> str:
        return f"Between({self.low}, {self.high}]"


@dataclass
class Case:
    arrange: Callable[[FakeProvider], object]  # what the fake does to the next request(s)
    expect: dict[str, object]  # the ChannelError's attributes
    to: str = ""  # the recipient, if not the default one
    timeout: Any = None
    reason_has: str = ""
    accepted: int | None = None  # how many requests the fake took on, once every answer is out
    recovers: str | None = None  # the fault passes: the next send works, and its id starts with this


def _rotate(attribute: str, value: str) -> Callable[[FakeProvider], object]:
    return lambda fake: setattr(fake, attribute, value)


P, T, U = Failure.permanent, Failure.transient, Failure.unknown
CASES = {
    "twilio": {
        "opted out": Case(
            lambda fake: fake.fail_next(1, twilio.error(21610)),
            {"failure": P, "code": "21610", "opted_out": True},
            accepted=0,
        ),
        **{
            f"invalid number {code}": Case(
                lambda fake, code=code: fake.fail_for("+16125550199", twilio.error(code)),
                {"failure": P, "invalid_address": True, "opted_out": False},
                to="+16125550199",
            )
            for code in (21211, 21614)
        },
        "other validation error, not the client's fault": Case(
            lambda fake: fake.fail_next(1, twilio.error(21408, message="Permission to send to this region")),
            {"failure": P, "invalid_address": False, "opted_out": False},
            reason_has="21408",
        ),
        "wrong auth token": Case(_rotate("auth_token", "rotated-token"), {"failure": P, "code": "20003"}),
        "rate limit with Retry-After": Case(
            lambda fake: fake.fail_next(1, twilio.rate_limited(retry_after=7)),
            {"failure": T, "retry_after": 7.0, "code": "20429"},
            recovers="SM",
        ),
        "rate limit without Retry-After": Case(
            lambda fake: fake.fail_next(1, twilio.rate_limited(retry_after=None)), {"failure": T, "retry_after": None}
        ),
        **{
            f"server error {status}": Case(
                lambda fake, s=status: fake.fail_next(1, twilio.server_error(s)), {"failure": U}
            )
            for status in (500, 502, 503)
        },
        "reply never came: the text went out": Case(
            lambda fake: fake.fail_next(1, Fault.delay(0.6)), {"failure": U}, timeout=(1.0, 0.2), accepted=1
        ),
        "connection reset after sending": Case(lambda fake: fake.fail_next(1, Fault.reset()), {"failure": U}),
    },
    "sendgrid": {
        **{
            f"refused {status}": Case(
                lambda fake, s=status: fake.fail_next(
                    1, sendgrid.error(s, "The from address does not match a verified Sender Identity")
                ),
                {"failure": P, "code": str(status)},
                reason_has="verified Sender Identity",
            )
            for status in (400, 401, 403, 413, 404)
        },
        "wrong api key": Case(_rotate("api_key", "SG.rotated"), {"failure": P}),
        "rate limit until X-RateLimit-Reset": Case(
            lambda fake: fake.fail_next(1, sendgrid.rate_limited(reset_at=int(time.time()) + 3600)),
            {"failure": T, "retry_after": Between(3500, 3600)},
            recovers="",
        ),
        "503, which SendGrid never handled": Case(
            lambda fake: fake.fail_next(1, Fault.status(503, headers={"Retry-After": "30"})),
            {"failure": T, "retry_after": 30.0},
        ),
        **{
            f"server error {status} that may have queued the mail": Case(
                lambda fake, s=status: fake.fail_next(1, sendgrid.error(s, "internal server error")), {"failure": U}
            )
            for status in (500, 502, 504)
        },
        "reply never came: the mail went out": Case(
            lambda fake: fake.fail_next(1, Fault.delay(0.6)), {"failure": U}, timeout=0.2, accepted=1
        ),
        "connection reset after sending": Case(lambda fake: fake.fail_next(1, Fault.reset()), {"failure": U}),
    },
}
FAILURES = [
    pytest.param(provider, case, id=f"{provider}: {name}")
    for provider in PROVIDERS
    for name, case in CASES[provider].items()
]


@pytest.mark.parametrize("provider,case", FAILURES)
def test_a_provider_answer_is_classified_once_in_the_channel(request, provider, case):
    fake = request.getfixturevalue(f"{provider}_fake")
    case.arrange(fake)
    transport = MAKERS[provider](fake.url, **({"timeout": case.timeout} if case.timeout else {}))
    message = MESSAGES[provider](to=case.to) if case.to else MESSAGES[provider]()

    failure = failure_of(transport, message)

    assert {name: getattr(failure, name) for name in case.expect} == case.expect
    assert case.reason_has in failure.reason
    if case.accepted is not None:
        assert fake.wait_idle()
        assert len(fake.accepted) == case.accepted
    if case.recovers is not None:
        receipt = transport.send(MESSAGES[provider]())
        assert receipt.provider_id and receipt.provider_id.startswith(case.recovers)
    transport.close()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_connection_is_transient_because_the_provider_never_had_the_message(provider):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    failure = failure_of(MAKERS[provider](f"http://127.0.0.1:{closed_port}"), MESSAGES[provider]())

    assert failure.failure is Failure.transient
