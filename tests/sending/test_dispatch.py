"""Dispatch over the database with the shipped campaigns: each message once, rules re-checked at send time,
failures classified, crashes never resent."""

import email
import json
import re
import threading
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from sqlmodel import Session, select

from outreach.channels.base import ChannelError, Failure, Receipt, Transport
from outreach.channels.outbox import OutboxEmail, OutboxSms
from outreach.sending.compose import sample_words
from outreach.sending.dispatch import DueClients, _counted_since, claim, claim_tests, dispatch_due, recover_stuck
from outreach.models import Client, ConsentEvent, Message, StaffUser, Suppression
from outreach.sending.planner import plan_due
from outreach.services import facts, test_sends, users
from outreach.services.clients import load_facts
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
    [eml] = (ctx.settings.outbox.directory / "email").glob("*/*.eml")
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
    add_client(ctx, at=NOON_CHICAGO, sms_consent=False)  # two emails, lesson and check-in, both always refused
    plan_due(ctx, NOON_CHICAGO)
    # Enough refusals for both to use up their attempts: when their retries fall due together they share them.
    refusals = 2 * ctx.settings.dispatch.max_attempts
    busy = [ChannelError(Failure.transient, "connection refused") for _ in range(refusals)]
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
        revoked = session.exec(
            select(ConsentEvent).where(ConsentEvent.client_id == client_id, ConsentEvent.granted.is_(False))
        ).one()
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


def _sent_earlier(ctx, client_id, *ages):
    with Session(ctx.engine) as session:
        for n, age in enumerate(ages):
            at = NOON_CHICAGO - age
            session.add(
                Message(
                    key=f"history:{client_id}:{n}",
                    client_id=client_id,
                    campaign="education",
                    step="earlier",
                    cycle=str(n),
                    stream="education",
                    channel="email",
                    to_address="ann@example.com",
                    status="sent",
                    due_at=at,
                    sent_at=at,
                    attempts=1,
                )
            )
        session.commit()


@pytest.mark.parametrize(
    ("ages", "sent"),
    [
        ((timedelta(days=6, hours=23), timedelta(days=6, hours=22)), 1),  # inside the week: the cap has one place
        ((timedelta(days=7, minutes=1), timedelta(days=7, minutes=2)), 2),  # just outside it: no longer counted
    ],
)
def test_the_weekly_cap_sees_exactly_the_last_seven_days(ctx, ages, sent):
    client_id = add_client(ctx, at=NOON_CHICAGO, sms_consent=False)  # lesson and check-in both go by email
    _sent_earlier(ctx, client_id, *ages)
    plan_due(ctx, NOON_CHICAGO)
    channel = Scripted("email")
    dispatch_due(ctx, NOON_CHICAGO, {"email": channel, "sms": Scripted("sms")})
    assert len(channel.sent) == sent
    assert [m.reason for m in messages(ctx, status="planned")] == ["Capped: 3 messages in 7 days"] * (2 - sent)


def test_claims_past_the_read_ahead_take_whole_clients_and_every_row_once(ctx, monkeypatch):
    monkeypatch.setattr(DueClients, "READ_AHEAD", 1)  # the queue holds one batch's worth: many re-reads
    for i in range(15):
        add_client(ctx, f"c{i}", at=NOON_CHICAGO, phone=f"+1612555{i:04d}", email=f"c{i}@example.com")
    plan_due(ctx, NOON_CHICAGO)
    due = DueClients(ctx.engine, NOON_CHICAGO, 3)
    batches = []
    while ids := claim(ctx, NOON_CHICAGO, "w1", 3, due):
        batches.append(ids)
    rows = {m.id: m for m in messages(ctx)}
    claimed = [i for batch in batches for i in batch]
    assert sorted(claimed) == sorted(rows) and len(rows) == 30  # every row once
    for batch in batches:
        clients = {rows[i].client_id for i in batch}
        assert sum(m.client_id in clients for m in rows.values()) == len(batch)  # each client's rows together
    assert all(3 <= len(batch) <= 4 for batch in batches[:-1])  # about the batch size; the last takes what is left


def test_a_reply_queued_during_a_long_pass_goes_out_at_the_next_read(ctx, monkeypatch):
    from outreach.services.conversations import REPLY_STREAM

    monkeypatch.setattr(DueClients, "REFRESH_SECONDS", 0.0)
    first = add_client(ctx, "c1", at=NOON_CHICAGO)
    last = add_client(ctx, "c2", at=NOON_CHICAGO, phone="+16125550101", email="bo@example.com")
    plan_due(ctx, NOON_CHICAGO)
    due = DueClients(ctx.engine, NOON_CHICAGO, 2)
    assert due.take(2) == [first]
    with Session(ctx.engine) as session:
        session.add(
            Message(
                key="reply:1",
                client_id=last,
                campaign="inbox",
                step="reply",
                cycle="1",
                stream=REPLY_STREAM,
                priority=0,
                channel="sms",
                to_address="+16125550101",
                status="planned",
                due_at=NOON_CHICAGO,
                body="See you Thursday",
            )
        )
        session.commit()
    assert due.take(2)[0] == last


def test_a_crowded_worker_goes_on_elsewhere_in_its_read_and_still_hands_out_every_client_once(ctx):
    ids = [
        add_client(ctx, f"c{i}", at=NOON_CHICAGO, phone=f"+1612555{i:04d}", email=f"c{i}@example.com")
        for i in range(12)
    ]
    plan_due(ctx, NOON_CHICAGO)
    due = DueClients(ctx.engine, NOON_CHICAGO, 2)
    batches = [claim(ctx, NOON_CHICAGO, "w1", 2, due)]
    due.crowded()  # as when another worker had taken the next clients
    while batch := claim(ctx, NOON_CHICAGO, "w1", 2, due):
        batches.append(batch)
    claimed = [row for batch in batches for row in batch]
    assert sorted(claimed) == sorted(m.id for m in messages(ctx)) and len(claimed) == 2 * len(ids)


def test_every_read_in_a_pass_goes_through_an_index_that_bounds_it(ctx):
    """O(due), never O(messages): each statement on `message` finds its rows by client, by id or by due time;
    none scans the table or walks a status index through every sent message. No visit is read by a scan either."""
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    from sqlalchemy import event

    for i in range(3):
        add_client(ctx, f"c{i}", at=NOON_CHICAGO, phone=f"+1612555{i:04d}", email=f"c{i}@example.com")
    statements = []
    event.listen(
        ctx.engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, params, context, many: statements.append((sql, params)),
    )
    plan_due(ctx, NOON_CHICAGO)
    dispatch_due(ctx, NOON_CHICAGO, outbox(ctx))
    with Session(ctx.engine) as session:  # what a batch of 400 clients asks (SQLite's plan depends on the count)
        load_facts(session, range(1, 401), ctx.settings, _counted_since(NOON_CHICAGO))
    plans = []
    with ctx.engine.connect() as connection:
        for sql, params in statements:
            if sql.lstrip().upper().startswith("SELECT") and re.search(r"\bFROM message\b", sql):
                detail = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
                by_client = "message.client_id IN" in sql
                plans.append((by_client, " / ".join(line for line in detail if "message" in line)))
    expected = {
        True: r"SEARCH message USING INDEX ix_message_client\w* \(client_id=\?",
        False: r"SEARCH message USING (INDEX ix_message_due \(status=\? AND due_at|INTEGER PRIMARY KEY)",
    }
    assert {by_client for by_client, _ in plans} == {True, False}
    assert all(re.search(expected[by_client], plan) for by_client, plan in plans), plans
    with ctx.engine.connect() as connection:  # visits too: the pass settles past bookings before planning
        visit_plans = [
            " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
            if sql.lstrip().upper().startswith("SELECT") and re.search(r"\bFROM visit\b", sql)
        ]
    assert visit_plans and not any("SCAN visit" in plan for plan in visit_plans), visit_plans


MIA = {"email": "owner@example.com", "phone": "+16125550199"}


def queue_test(ctx, to="owner@example.com", at=NOON_CHICAGO) -> Message:
    """A test of the first lesson queued as the dashboard queues one."""
    campaign = ctx.catalog.get("education")
    step = campaign.step("pain-cycle")
    words = partial(sample_words, ctx, campaign, step, phase="establishing")
    with Session(ctx.engine, expire_on_commit=False) as session:
        if users.find_user(session, "mia") is None:  # a test goes to the sender's own addresses
            session.add(StaffUser(username="mia", password_hash="-", role="marketing", **MIA))
        row = test_sends.queue(session, "mia", campaign, step, to, at, region="US", words=words)
        session.commit()
    return row


def test_a_queued_test_goes_out_with_its_words_at_any_hour(ctx):
    night = datetime(2026, 3, 3, 9, tzinfo=timezone.utc)  # 03:00 in Chicago: quiet hours for any client
    row = queue_test(ctx, at=night)
    channel = Scripted("email")

    result = dispatch_due(ctx, night, {"email": channel, "sms": Scripted("sms")})

    [sent] = channel.sent
    assert result.sent == 1 and messages(ctx)[0].status == "sent"
    assert (sent.message_id, sent.to, sent.is_test) == (row.id, "owner@example.com", True)
    words = {"subject": sent.subject, "text": sent.text, "html": sent.html, "headers": sent.headers}
    assert {**words, "language": sent.language} == row.rendered
    assert sent.headers["Content-Language"] == "en"


def test_a_transient_failure_of_a_test_fails_it_with_the_reason_and_is_never_retried(ctx):
    queue_test(ctx)
    busy = ChannelError(Failure.transient, "HTTP 429", "429", retry_after=60)
    channel = Scripted("email", busy)

    result = dispatch_due(ctx, NOON_CHICAGO, {"email": channel, "sms": Scripted("sms")})
    dispatch_due(ctx, NOON_CHICAGO + timedelta(days=1), {"email": channel, "sms": Scripted("sms")})

    [row] = messages(ctx)
    assert (result.failed, result.retried) == (1, 0)
    assert (row.status, row.reason, row.error_code, row.attempts) == ("failed", "HTTP 429", "429", 1)
    assert channel.sent == []


def test_each_queued_test_is_claimed_by_one_worker(ctx):
    first, second = queue_test(ctx), queue_test(ctx, to="+16125550199")

    taken = [claim_tests(ctx, NOON_CHICAGO, worker, 1) for worker in ("w1", "w2", "w3")]

    assert [[row.id for row in rows] for rows in taken] == [[first.id], [second.id], []]
    assert {(m.status, m.claimed_by) for m in messages(ctx)} == {("sending", "w1"), ("sending", "w2")}


def test_a_test_claimed_and_never_recorded_becomes_unknown_not_resent(ctx):
    queue_test(ctx)
    claim_tests(ctx, NOON_CHICAGO, "crashed-worker", 10)  # ...and then the process died
    later = NOON_CHICAGO + timedelta(seconds=ctx.settings.dispatch.sending_timeout_seconds + 1)
    channel = Scripted("email")

    dispatch_due(ctx, later, {"email": channel, "sms": Scripted("sms")})

    assert messages(ctx)[0].status == "unknown" and channel.sent == []


def test_a_queued_test_to_an_address_that_opted_out_since_goes_nowhere(ctx):
    client = add_client(ctx, "c1", at=NOON_CHICAGO, email="owner@example.com")
    queue_test(ctx)
    change(ctx, client, facts.record_consent, "email", False, "unsubscribe-link", "client", at=NOON_CHICAGO)
    channel = Scripted("email")

    result = dispatch_due(ctx, NOON_CHICAGO, {"email": channel, "sms": Scripted("sms")})

    [row] = messages(ctx, is_test=True)
    assert channel.sent == [] and result.skipped == 1
    assert row.status == "skipped" and row.reason.startswith("Test not sent: a client at owner@example.com opted out")


def test_a_queued_test_whose_words_cannot_be_read_fails_alone_and_the_pass_goes_on(ctx):
    broken, fine = queue_test(ctx), queue_test(ctx, to="+16125550199")
    with Session(ctx.engine) as session:
        session.get(Message, broken.id).rendered = {"subject": "no text or html"}
        session.commit()
    sms = Scripted("sms")

    dispatch_due(ctx, NOON_CHICAGO, {"email": Scripted("email"), "sms": sms})

    statuses = {m.id: (m.status, m.reason) for m in messages(ctx)}
    assert statuses[broken.id][0] == "failed" and statuses[broken.id][1].startswith("Could not compose")
    assert statuses[fine.id] == ("sent", "") and [m.message_id for m in sms.sent] == [fine.id]
