"""The hold, through the worker's real tick: while a possible opt-out waits for a person, no automated text goes
to that number (emails and staff replies do); "Keep the number" sends what is still worth sending, "Opt this
number out" skips it all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.sending.planner import plan_due
from outreach.sending.worker import tick
from outreach.services import facts
from tests.desk import Desk, page_text
from tests.helpers import add_client, change, messages
from tests.services import test_inbox
from tests.services.test_inbox import ANN, NOON, conversation_id, outbox_texts, text_in

# The inbox's front desk, signed in, with Twilio's signing secret set.
desk = test_inbox.desk

HELD = "Held: possible opt-out since 2026-03-02 20:00 UTC"
TUESDAY_8AM = NOON + timedelta(hours=18)  # 08:00 in Minneapolis: texting hours again


@pytest.fixture
def ann(ctx) -> int:
    """A client due a lesson by email and a check-in by text, with a visit booked for Tuesday at 08:00 (its
    reminder by text was due at 10:00 on Monday)."""
    client = add_client(ctx, at=NOON - timedelta(days=30), first_name="Ann", phone=ANN)
    change(ctx, client, facts.record_visit, TUESDAY_8AM, "booked", "desk")
    plan_due(ctx, NOON - timedelta(hours=6))  # booked before its reminder's moment (10:00): planned then
    return client


def by_stream(ctx, client_id: int) -> dict[tuple[str, str], object]:
    return {(m.stream, m.channel): m for m in messages(ctx, client_id=client_id) if m.stream != "reply"}


def held_while_waiting(desk: Desk, client_id: int) -> int:
    """A possible opt-out arrives through the signed webhook, then the worker's tick runs; the conversation id."""
    text_in(desk, "Why do you keep texting me?")
    tick(desk.ctx, NOON)
    rows = by_stream(desk.ctx, client_id)
    assert rows[("education", "email")].status == "sent"
    for stream in ("checkin", "reminder"):
        assert (rows[(stream, "sms")].status, rows[(stream, "sms")].reason) == ("planned", HELD)
    assert outbox_texts(desk.ctx) == []
    return conversation_id(desk.ctx)


def decide(desk: Desk, cid: int, decision: str, at) -> None:  # noqa: ANN001
    desk.now = at
    desk.sign_in("frontdesk")  # (past the idle timeout)
    assert desk.post(f"/inbox/{cid}/opt-out", {"decision": decision}).status_code == 303


def test_a_held_number_gets_the_email_and_a_staff_reply_but_no_automated_text(desk, ann):
    cid = held_while_waiting(desk, ann)
    attention = page_text(desk.get("/attention"))
    assert "Texts held since Mon 2 Mar 2026, 14:00 CST · 2 texts waiting" in attention, attention
    page = page_text(desk.get(f"/inbox/{cid}"))
    assert "Automated texts to this number are held" in page and "2 texts waiting" in page
    assert "Keep the number" in page and "Opt this number out" in page

    assert desk.post(f"/inbox/{cid}/reply", {"body": "Sorry Ann, we will check."}).status_code == 303
    tick(desk.ctx, NOON + timedelta(minutes=1))
    assert [t["body"] for t in outbox_texts(desk.ctx)] == ["Northside Massage: Sorry Ann, we will check."]
    assert {m.reason for m in messages(desk.ctx, channel="sms", status="planned")} == {HELD}


def test_keeping_the_number_sends_what_is_still_in_time_at_the_next_pass(desk, ann):
    cid = held_while_waiting(desk, ann)
    decide(desk, cid, "keep", TUESDAY_8AM + timedelta(minutes=1))
    tick(desk.ctx, desk.now)
    rows = by_stream(desk.ctx, ann)
    # Due 22 hours ago, inside the day's grace, but the visit it reminds of has started.
    assert (rows[("reminder", "sms")].status, rows[("reminder", "sms")].reason) == ("skipped", "Held past its moment")
    # Released, the check-in keeps the rules every text keeps: its send window opens at 10:00.
    assert rows[("checkin", "sms")].reason.startswith("Deferred: send window")
    assert "Texts held since" not in page_text(desk.get("/attention"))
    tick(desk.ctx, TUESDAY_8AM + timedelta(hours=2))
    assert by_stream(desk.ctx, ann)[("checkin", "sms")].status == "sent"  # 20 hours late, inside the grace
    assert len(outbox_texts(desk.ctx)) == 1


def test_a_text_more_than_a_day_past_its_moment_is_not_sent_when_kept(desk, ann):
    cid = held_while_waiting(desk, ann)
    decide(desk, cid, "keep", NOON + timedelta(hours=25))
    tick(desk.ctx, desk.now)
    checkin = by_stream(desk.ctx, ann)[("checkin", "sms")]
    assert (checkin.status, checkin.reason) == ("skipped", "Held past its moment")
    assert [t for t in outbox_texts(desk.ctx) if "check" in t["body"].lower()] == []


def test_opting_the_number_out_skips_every_held_text(desk, ann):
    cid = held_while_waiting(desk, ann)
    decide(desk, cid, "opt-out", NOON + timedelta(minutes=5))
    tick(desk.ctx, desk.now)
    rows = by_stream(desk.ctx, ann)
    for stream in ("checkin", "reminder"):
        assert (rows[(stream, "sms")].status, rows[(stream, "sms")].reason) == (
            "skipped",
            "Number opted out of texts",
        )
    [confirmation] = outbox_texts(desk.ctx)
    assert "unsubscribed" in confirmation["body"]
