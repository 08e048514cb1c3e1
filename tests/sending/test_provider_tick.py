"""A dispatch pass with the real providers selected: planned rows go out through the real SendGrid and Twilio
SDKs to local fakes, and what the providers answer (and later report) lands on the rows."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from outreach.sending.dispatch import dispatch_due
from outreach.models import Client, Message, Suppression
from outreach.settings import Secrets
from outreach.web.app import create_app
from tests.conftest import make_settings, utc
from tests.fakes import sendgrid, twilio
from tests.fakes.server import Fault
from tests.helpers import add_client, web_client

PUBLIC_URL = "https://clinic.example"
NOW = utc(2026, 3, 3, 17, 0)  # Tuesday 11:00 in Chicago: inside every send window
ANN_PHONE = "+16125550100"


@pytest.fixture
def settings(database_url, tmp_path, sendgrid_fake, twilio_fake):
    return make_settings(
        database_url,
        tmp_path,
        web={"public_url": PUBLIC_URL},
        email={"backend": "sendgrid", "from_address": "hello@clinic.example"},
        sendgrid={"base_url": sendgrid_fake.url},
        sms={"backend": "twilio"},
        twilio={
            "account_sid": twilio.ACCOUNT_SID,
            "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
            "base_url": twilio_fake.url,
        },
    )


@pytest.fixture
def provider_ctx(ctx):
    ctx.secrets = Secrets(
        sendgrid_api_key=sendgrid.API_KEY, twilio_auth_token=twilio.AUTH_TOKEN, secret_key="tick-test-key-" + "k" * 32
    )
    return ctx


def plan(ctx, client_id: int, channel: str, step: str = "pain-cycle") -> int:
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        message = Message(
            key=f"{client_id}:education:{step}:{channel}",
            client_id=client_id,
            campaign="education",
            step=step,
            cycle="1",
            stream="education",
            channel=channel,
            to_address=client.email if channel == "email" else client.phone,
            due_at=NOW - timedelta(minutes=5),
        )
        session.add(message)
        session.commit()
        return message.id


def row(ctx, message_id: int) -> Message:
    with Session(ctx.engine) as session:
        return session.get(Message, message_id)


def test_it_sends_planned_email_and_text_through_the_providers(provider_ctx, sendgrid_fake, twilio_fake):
    ann = add_client(provider_ctx, at=NOW - timedelta(days=1))
    email_id, text_id = plan(provider_ctx, ann, "email"), plan(provider_ctx, ann, "sms")

    result = dispatch_due(provider_ctx, NOW)

    assert (result.sent, result.failed, result.unknown) == (2, 0, 0)
    (mail,) = sendgrid_fake.accepted
    (sms,) = twilio_fake.accepted
    assert mail.fields["custom_args"] == {"outreach_message_id": str(email_id)}
    assert mail.fields["categories"] == ["education"]
    assert mail.fields["headers"]["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/unsubscribe/")
    assert mail.fields["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [part["type"] for part in mail.fields["content"]] == ["text/plain", "text/html"]
    assert sms.fields["To"] == ANN_PHONE
    assert sms.fields["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/status"
    assert (row(provider_ctx, email_id).status, row(provider_ctx, email_id).provider_id) == (
        "sent",
        mail.reply.headers["X-Message-Id"],
    )
    assert (row(provider_ctx, text_id).status, row(provider_ctx, text_id).provider_id) == ("sent", sms.answer["sid"])
    assert sendgrid_fake.violations == twilio_fake.violations == []


def test_it_closes_the_loop_when_twilio_reports_delivery(provider_ctx, twilio_fake):
    text_id = plan(provider_ctx, add_client(provider_ctx, at=NOW - timedelta(days=1)), "sms")
    dispatch_due(provider_ctx, NOW)
    callback = {
        "MessageSid": row(provider_ctx, text_id).provider_id,
        "MessageStatus": "delivered",
        "To": ANN_PHONE,
        "AccountSid": twilio.ACCOUNT_SID,
    }
    signature = RequestValidator(twilio.AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}/webhooks/twilio/status", callback)

    app = create_app(provider_ctx)
    app.state.clock = lambda: NOW + timedelta(seconds=20)
    with TestClient(app) as http:
        response = http.post("/webhooks/twilio/status", data=callback, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 204
    assert row(provider_ctx, text_id).status == "delivered"


def test_it_records_an_opted_out_number_and_never_retries(provider_ctx, twilio_fake):
    ann = add_client(provider_ctx, at=NOW - timedelta(days=1))
    text_id = plan(provider_ctx, ann, "sms")
    twilio_fake.fail_for(ANN_PHONE, twilio.error(21610))

    result = dispatch_due(provider_ctx, NOW)

    assert result.failed == 1
    assert (row(provider_ctx, text_id).status, row(provider_ctx, text_id).error_code) == ("failed", "21610")
    with Session(provider_ctx.engine) as session:
        assert session.get(Client, ann).sms_consent is False
        assert session.exec(select(Suppression.address)).all() == [ANN_PHONE]
    assert dispatch_due(provider_ctx, NOW + timedelta(hours=2)).claimed == 0
    assert len(twilio_fake.requests) == 1


def test_it_retries_after_sendgrid_rate_limits_no_sooner_than_the_reset(provider_ctx, sendgrid_fake):
    email_id = plan(provider_ctx, add_client(provider_ctx, at=NOW - timedelta(days=1)), "email")
    # SendGrid's reset is an epoch second on the real clock, an hour from now.
    sendgrid_fake.fail_next(1, sendgrid.rate_limited(reset_at=int(time.time()) + 3600))

    result = dispatch_due(provider_ctx, NOW)

    message = row(provider_ctx, email_id)
    assert result.retried == 1
    assert message.status == "planned"
    assert message.due_at.replace(tzinfo=NOW.tzinfo) >= NOW + timedelta(minutes=58)
    assert sendgrid_fake.accepted == []


def test_it_never_resends_a_text_whose_outcome_is_unknown(provider_ctx, twilio_fake):
    text_id = plan(provider_ctx, add_client(provider_ctx, at=NOW - timedelta(days=1)), "sms")
    twilio_fake.fail_next(1, twilio.server_error(500))

    first = dispatch_due(provider_ctx, NOW)
    later = dispatch_due(provider_ctx, NOW + timedelta(hours=1))

    assert (first.unknown, later.claimed) == (1, 0)
    assert row(provider_ctx, text_id).status == "unknown"
    assert len(twilio_fake.requests) == 1


def test_it_sends_a_batch_concurrently_with_some_failures(provider_ctx, twilio_fake):
    clients = [
        add_client(
            provider_ctx, f"c{n}", at=NOW - timedelta(days=1), phone=f"+1612555{n:04d}", email=None, email_consent=False
        )
        for n in range(1, 41)
    ]
    ids = [plan(provider_ctx, client_id, "sms") for client_id in clients]
    twilio_fake.fail_randomly(0.2, Fault.reset(), seed=11)
    twilio_fake.latency = 0.02

    result = dispatch_due(provider_ctx, NOW)

    statuses = [row(provider_ctx, message_id).status for message_id in ids]
    assert statuses.count("sent") == result.sent == len(twilio_fake.accepted)
    assert statuses.count("unknown") == result.unknown == len(twilio_fake.requests) - len(twilio_fake.accepted) > 0
    assert twilio_fake.violations == []


def database_busy(monkeypatch, times: int | None) -> list[int]:
    """The batch record fails `times` times (None: always) as SQLite does when another writer holds the lock."""
    import outreach.sending.dispatch as dispatch

    real, calls = dispatch._record, []

    def record(*args, **kwargs):
        calls.append(1)
        if times is None or len(calls) <= times:
            raise OperationalError("UPDATE message ...", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(dispatch, "_record", record)
    return calls


def twilio_status(ctx, sid: str, status: str) -> int:
    callback = {"MessageSid": sid, "MessageStatus": status, "To": ANN_PHONE, "AccountSid": twilio.ACCOUNT_SID}
    signature = RequestValidator(twilio.AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}/webhooks/twilio/status", callback)
    with web_client(ctx, NOW + timedelta(seconds=20)) as http:
        return http.post(
            "/webhooks/twilio/status", data=callback, headers={"X-Twilio-Signature": signature}
        ).status_code


def test_it_retries_the_record_when_the_database_is_busy_after_the_providers_accepted(
    provider_ctx, sendgrid_fake, twilio_fake, monkeypatch
):
    ann = add_client(provider_ctx, at=NOW - timedelta(days=1))
    email_id, text_id = plan(provider_ctx, ann, "email"), plan(provider_ctx, ann, "sms")
    attempts = database_busy(monkeypatch, times=2)

    result = dispatch_due(provider_ctx, NOW)

    assert len(attempts) == 3
    assert result.sent == 2
    assert [row(provider_ctx, i).status for i in (email_id, text_id)] == ["sent", "sent"]
    assert row(provider_ctx, text_id).provider_id == twilio_fake.accepted[0].answer["sid"]


def test_it_keeps_the_receipts_when_the_record_keeps_failing_and_settles_the_rows_later(
    provider_ctx, sendgrid_fake, twilio_fake, monkeypatch, caplog
):
    ann = add_client(provider_ctx, at=NOW - timedelta(days=1))
    email_id, text_id = plan(provider_ctx, ann, "email"), plan(provider_ctx, ann, "sms")
    database_busy(monkeypatch, times=None)

    with pytest.raises(OperationalError):
        dispatch_due(provider_ctx, NOW)

    sid = twilio_fake.accepted[0].answer["sid"]
    assert any(f"message {text_id} " in line and sid in line for line in caplog.messages), caplog.messages
    assert row(provider_ctx, text_id).status == "sending"
    assert twilio_status(provider_ctx, sid, "delivered") == 204  # the callback comes before the row knows its SID
    monkeypatch.undo()

    dispatch_due(provider_ctx, NOW + timedelta(hours=2))  # the next pass, after the sending timeout

    sms, mail = row(provider_ctx, text_id), row(provider_ctx, email_id)
    assert (sms.status, sms.provider_id) == ("delivered", sid)
    assert (mail.status, mail.provider_id) == ("sent", sendgrid_fake.accepted[0].reply.headers["X-Message-Id"])
    assert (len(twilio_fake.accepted), len(sendgrid_fake.accepted)) == (1, 1)
