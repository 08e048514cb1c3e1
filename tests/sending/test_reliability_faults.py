"""Flaky providers: a fifth of all requests fail at random (rate limits, server errors, connection resets,
answers too slow to wait for). Pass after pass, every message settles exactly once: retried only after a
failure that proves nothing went out, never after one that may have; sent once, or flagged unknown."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from outreach.channels.sendgrid import MESSAGE_ID_ARG, SendgridEmail
from outreach.channels.twilio import TwilioSms
from outreach.sending.dispatch import dispatch_due
from outreach.settings import Secrets
from tests.fakes import sendgrid, twilio
from tests.fakes.server import Fault, Request
from tests.sending.worker_process import seed_due_messages, status_counts, statuses

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago
READ_TIMEOUT = 0.3
SLOW = Fault.delay(1.0)  # answers after the client stopped waiting: accepted, but nobody heard
SHARE = 0.056  # four kinds of fault at 5.6% each: about 20% of requests fail
RETRY_LATER = {"failed 429", "failed 503"}  # the provider says it did nothing
STEP = timedelta(minutes=10)


def flaky(fake, faults: list[Fault]) -> None:
    for seed, fault in enumerate(faults):
        fake.fail_randomly(SHARE, fault, seed=seed)


def transports(ctx, twilio_url: str, sendgrid_url: str) -> dict:
    settings = ctx.settings.model_copy(
        update={
            "twilio": ctx.settings.twilio.model_copy(
                update={
                    "account_sid": twilio.ACCOUNT_SID,
                    "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
                    "base_url": twilio_url,
                }
            ),
            "sendgrid": ctx.settings.sendgrid.model_copy(update={"base_url": sendgrid_url}),
        }
    )
    secrets = Secrets(twilio_auth_token=twilio.AUTH_TOKEN, sendgrid_api_key=sendgrid.API_KEY)
    return {
        "sms": TwilioSms(settings, secrets, timeout=(2.0, READ_TIMEOUT)),
        "email": SendgridEmail(settings, secrets, timeout=READ_TIMEOUT),
    }


def requests_by_message(twilio_fake, sendgrid_fake, seeded_texts) -> dict[int, list[Request]]:
    by_phone = {address: mid for mid, address in seeded_texts.addresses.items()}
    found: dict[int, list[Request]] = defaultdict(list)
    for request in twilio_fake.requests:
        found[by_phone[request.to]].append(request)
    for request in sendgrid_fake.requests:
        found[int(request.fields["custom_args"][MESSAGE_ID_ARG])].append(request)
    return found


def provider_id(request: Request) -> str:
    return request.answer["sid"] if request.path.endswith("Messages.json") else request.reply.headers["X-Message-Id"]


@pytest.mark.slow
def test_every_message_settles_exactly_once_however_the_providers_fail(ctx, twilio_fake, sendgrid_fake):
    limits = {
        "max_attempts": 6,
        "retry_base_seconds": 30,
        "retry_max_seconds": STEP.total_seconds(),
        "sms_per_second": 100000,
        "email_per_second": 100000,
    }
    ctx.settings = ctx.settings.model_copy(update={"dispatch": ctx.settings.dispatch.model_copy(update=limits)})
    texts = seed_due_messages(ctx, 300, NOW, channel="sms")
    emails = seed_due_messages(ctx, 200, NOW, channel="email", first=300)
    flaky(twilio_fake, [twilio.rate_limited(retry_after=7), twilio.server_error(500), Fault.reset(), SLOW])
    flaky(
        sendgrid_fake,
        [sendgrid.rate_limited(int(time.time())), sendgrid.error(503), sendgrid.error(500), Fault.reset(), SLOW],
    )
    ids = texts.ids + emails.ids
    channels = transports(ctx, twilio_fake.url, sendgrid_fake.url)

    now, passes = NOW, 0
    while status_counts(ctx.engine, ids).get("planned") and passes < 20:
        dispatch_due(ctx, now, channels)
        now, passes = now + STEP, passes + 1
    assert twilio_fake.wait_idle() and sendgrid_fake.wait_idle()

    rows = statuses(ctx.engine, ids)
    seen = requests_by_message(twilio_fake, sendgrid_fake, texts)
    assert set(status_counts(ctx.engine, ids)) <= {"sent", "unknown", "failed"}
    for mid, row in rows.items():
        outcomes = [request.outcome for request in seen[mid]]
        assert len(outcomes) == row.attempts <= limits["max_attempts"], (mid, outcomes)
        assert set(outcomes[:-1]) <= RETRY_LATER, f"message {mid} was tried again after {outcomes}"
        assert outcomes.count("accepted") <= 1
        if row.status == "sent":
            assert outcomes[-1] == "accepted" and row.provider_id == provider_id(seen[mid][-1])
        elif row.status == "unknown":
            assert outcomes[-1] not in RETRY_LATER and row.reason.startswith("Outcome unknown")
        else:
            assert outcomes[-1] in RETRY_LATER and row.attempts == limits["max_attempts"]
    assert twilio_fake.violations == [] and sendgrid_fake.violations == []
    last = {mid: seen[mid][-1].outcome for mid in rows}
    retried_then_sent = [mid for mid, row in rows.items() if row.status == "sent" and row.attempts > 1]
    unknown_after = {last[mid] for mid, row in rows.items() if row.status == "unknown"}
    assert retried_then_sent and {"reset", "failed 500", "accepted"} <= unknown_after
