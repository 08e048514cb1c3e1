"""Dispatch over the database with the shipped campaigns: each message once, rules re-checked at send time,
failures classified, crashes never resent."""
import email
import json
import threading
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from outreach.channels.base import ChannelError, Failure, Receipt, Transport
from outreach.channels.outbox import OutboxEmail, OutboxSms
from outreach.dispatch import claim, dispatch_due, recover_stuck
from outreach.models import Client, ConsentEvent, Suppression
from outreach.planner import plan_due
from outreach.services import facts
from tests.helpers import add_client, change, messages

NOON_CHICAGO = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)


class Scripted(Transport):
    """Our own channel interface, answering from a script: the failures a provider can give."""

    def __init__(self, channel, *outcomes):
        self.channel, self.outcomes, self.sent = channel, list(outcomes), []
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            outcome = self.outcomes.pop(0) if self.outcomes else None
            if isinstance(outcome, ChannelError):
                raise outcome
            self.sent.append(message)
            return Receipt(f"{self.channel}-{message.message_id}")


def outbox(ctx):
    directory = ctx.settings.outbox.directory
    return {"email": OutboxEmail(directory, "hello@example.com", "Clinic"), "sms": OutboxSms(directory)}


def test_a_tick_writes_real_messages_to_the_outbox(ctx):
    add_client(ctx, at=NOON_CHICAGO)
    plan_due(ctx, NOON_CHICAGO)
    result = dispatch_due(ctx, NOON_CHICAGO, outbox(ctx))
    assert result.sent == 2
    [eml] = (ctx.settings.outbox.directory / "email").glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes())
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].startswith("<http://localhost:8000/unsubscribe/")
    assert {part.get_content_type() for part in parsed.walk()} >= {"text/plain", "text/html"}
    [text] = [json.loads(line) for line in (ctx.settings.outbox.directory / "sms.jsonl").read_text().splitlines()]
    assert text["to"] == "+16125550100" and "STOP" in text["body"]
    assert {m.status for m in messages(ctx)} == {"sent"}


def test_two_dispatch_passes_started_together_send_each_message_once(ctx):
    for i in range(40):
        add_client(ctx, f"c{i}", at=NOON_CHICAGO, phone=f"+1612555{i:04d}", email=f"c{i}@example.com")
    plan_due(ctx, NOON_CHICAGO)
    email_channel, sms_channel = Scripted("email"), Scripted("sms")
    transports = {"email": email_channel, "sms": sms_channel}
    ctx.settings.dispatch.__dict__["batch_size"] = 7  # small batches: many claims interleave
    barrier = threading.Barrier(2)

    def run(worker):
        barrier.wait()
        dispatch_due(ctx, NOON_CHICAGO, transports, worker=worker)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_ids = [m.message_id for m in email_channel.sent + sms_channel.sent]
    assert len(sent_ids) == len(set(sent_ids)) == 80
    assert {m.status for m in messages(ctx)} == {"sent"}


def test_a_claimed_row_is_not_claimed_again(ctx):
    add_client(ctx, at=NOON_CHICAGO)
    plan_due(ctx, NOON_CHICAGO)
    first = claim(ctx, NOON_CHICAGO, "w1", 10)
    assert len(first) == 2 and claim(ctx, NOON_CHICAGO, "w2", 10) == []


def test_quiet_hours_are_checked_again_at_send_time(ctx):
    add_client(ctx, at=NOON_CHICAGO, email_consent=False)
    plan_due(ctx, NOON_CHICAGO)
    late = datetime(2026, 3, 3, 3, tzinfo=timezone.utc)  # 21:00 in Chicago: the worker was down all evening
    sms = Scripted("sms")
    result = dispatch_due(ctx, late, {"email": Scripted("email"), "sms": sms})
    assert sms.sent == [] and result.deferred == 2
    lesson, checkin = messages(ctx, campaign="education")[0], messages(ctx, campaign="checkin")[0]
    assert lesson.status == checkin.status == "planned"
    assert lesson.reason == "Deferred: send window in America/Chicago until Tue 09:00"  # the campaign's own window
    assert checkin.reason == "Deferred: send window in America/Chicago until Tue 10:00"


def test_the_daily_text_cap_holds_across_campaigns(ctx):
    add_client(ctx, at=NOON_CHICAGO, email_consent=False)  # lesson and check-in both go by text
    plan_due(ctx, NOON_CHICAGO)
    sms = Scripted("sms")
    dispatch_due(ctx, NOON_CHICAGO, {"email": Scripted("email"), "sms": sms})
    assert len(sms.sent) == 1
    held = [m for m in messages(ctx) if m.status == "planned"]
    assert len(held) == 1 and held[0].reason == "Capped: 1 text(s) in 24 hours"
    assert held[0].due_at == NOON_CHICAGO + timedelta(days=1)


def test_revoked_consent_skips_a_planned_message_with_the_reason(ctx):
    client_id = add_client(ctx, at=NOON_CHICAGO)
    plan_due(ctx, NOON_CHICAGO)
    change(ctx, client_id, facts.record_consent, "sms", False, "sms-keyword", "client")
    dispatch_due(ctx, NOON_CHICAGO, {"email": Scripted("email"), "sms": Scripted("sms")})
    assert messages(ctx, channel="sms")[0].status == "skipped"
    assert messages(ctx, channel="sms")[0].reason == "No SMS consent"


def test_a_transient_failure_is_retried_later_and_sent_once(ctx):
    add_client(ctx, at=NOON_CHICAGO)  # one email (the lesson); the check-in goes by text
    plan_due(ctx, NOON_CHICAGO)
    channel = Scripted("email", ChannelError(Failure.transient, "HTTP 429", "429", retry_after=60))
    transports = {"email": channel, "sms": Scripted("sms")}
    first = dispatch_due(ctx, NOON_CHICAGO, transports)
    row = messages(ctx, channel="email")[0]
    assert first.retried == 1 and row.status == "planned" and row.due_at >= NOON_CHICAGO + timedelta(seconds=60)
    dispatch_due(ctx, row.due_at, transports)
    assert [m.message_id for m in channel.sent] == [row.id]
    assert messages(ctx, channel="email")[0].status == "sent"


def test_retries_stop_at_the_attempt_limit(ctx):
    add_client(ctx, at=NOON_CHICAGO, sms_consent=False)
    plan_due(ctx, NOON_CHICAGO)
    busy = [ChannelError(Failure.transient, "connection refused") for _ in range(10)]
    transports = {"email": Scripted("email", *busy), "sms": Scripted("sms")}
    row = messages(ctx, channel="email")[0]
    for _ in range(30):
        if row.status != "planned":
            break
        dispatch_due(ctx, row.due_at, transports)
        row = messages(ctx, channel="email")[0]
    assert (row.status, row.attempts) == ("failed", ctx.settings.dispatch.max_attempts)


def test_an_opted_out_number_is_recorded_and_never_retried(ctx):
    client_id = add_client(ctx, at=NOON_CHICAGO, email_consent=False)
    plan_due(ctx, NOON_CHICAGO)
    refusal = ChannelError(Failure.permanent, "Number opted out of texts (21610)", "21610", opted_out=True)
    result = dispatch_due(ctx, NOON_CHICAGO, {"email": Scripted("email"), "sms": Scripted("sms", refusal)})
    assert result.failed == 1
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        assert client.sms_consent is False
        assert len(session.exec(select(Suppression).where(Suppression.address == "+16125550100")).all()) == 1
        revoked = session.exec(select(ConsentEvent).where(ConsentEvent.client_id == client_id, ConsentEvent.granted.is_(False))).one()
        assert (revoked.source, revoked.note) == ("provider", "Provider says opted out (21610)")


def test_an_unknown_outcome_is_flagged_not_resent(ctx):
    add_client(ctx, at=NOON_CHICAGO)  # one email (the lesson); the check-in goes by text
    plan_due(ctx, NOON_CHICAGO)
    timeout = ChannelError(Failure.unknown, "read timed out after sending")
    channel = Scripted("email", timeout)
    dispatch_due(ctx, NOON_CHICAGO, {"email": channel, "sms": Scripted("sms")})
    dispatch_due(ctx, NOON_CHICAGO + timedelta(days=1), {"email": channel, "sms": Scripted("sms")})
    row = messages(ctx, channel="email")[0]
    assert row.status == "unknown" and row.reason == "Outcome unknown: read timed out after sending"
    assert channel.sent == []


def test_a_row_left_sending_by_a_crash_becomes_unknown_after_the_timeout(ctx):
    add_client(ctx, at=NOON_CHICAGO)
    plan_due(ctx, NOON_CHICAGO)
    claim(ctx, NOON_CHICAGO, "crashed-worker", 10)  # ...and then the process died
    timeout = timedelta(seconds=ctx.settings.dispatch.sending_timeout_seconds)
    assert recover_stuck(ctx, NOON_CHICAGO + timeout / 2) == 0
    assert recover_stuck(ctx, NOON_CHICAGO + timeout + timedelta(seconds=1)) == 2
    assert {m.status for m in messages(ctx)} == {"unknown"}
    channel = Scripted("email")
    dispatch_due(ctx, NOON_CHICAGO + timedelta(days=1), {"email": channel, "sms": Scripted("sms")})
    assert channel.sent == []
