"""The inbox: texts from clients reach a person, who replies through the outbox; the attention list."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from outreach.sending.dispatch import dispatch_due
from outreach.models import Client, Conversation, Message, Suppression
from outreach.sending.planner import plan_due
from outreach.services import conversations, facts
from outreach.settings import Secrets
from tests.conftest import utc
from tests.helpers import add_client, change, count, load, messages
from tests.desk import Desk, audit_entries, page_text

AUTH_TOKEN = "test-twilio-auth-token"
ANN = "+16125550100"
# 14:00 in Minneapolis, inside the 08:00-20:00 window.
NOON = utc(2026, 3, 2, 20, 0)


@pytest.fixture
def desk(ctx) -> Desk:
    ctx.secrets = Secrets(twilio_auth_token=AUTH_TOKEN)
    desk = Desk(ctx, NOON)
    desk.sign_in_as("front_desk")
    return desk


@pytest.fixture
def ann(ctx) -> int:
    return add_client(ctx, at=NOON - timedelta(days=30), first_name="Ann", phone=ANN)


def text_in(desk: Desk, body: str, sender: str = ANN, sid: str = "SMin1"):
    params = {"MessageSid": sid, "From": sender, "To": "+16125550000", "Body": body}
    path = "/webhooks/twilio/inbound"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(desk.ctx.settings.web.public_url + path, params)
    response = desk.http.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text
    return response


def conversation_id(ctx, phone: str = ANN) -> int:
    with Session(ctx.engine) as session:
        return session.exec(select(Conversation.id).where(Conversation.phone == phone)).one()


def outbox_texts(ctx) -> list[dict]:
    path = ctx.settings.outbox.directory / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_text_from_a_client_waits_in_the_inbox_and_on_the_attention_list(desk, ann):
    text_in(desk, "Can I come in Thursday afternoon instead?")
    cid = conversation_id(desk.ctx)
    inbox = desk.get("/inbox")
    assert "Ann" in page_text(inbox) and "needs reply" in page_text(inbox)
    assert f'href="/inbox/{cid}"' in inbox.text
    assert '<span class="count" aria-label="1 waiting">1</span>' in inbox.text
    attention = desk.get("/attention")
    assert "Texts waiting for a reply" in page_text(attention)
    assert "Thursday afternoon" in page_text(attention)


def test_the_front_desk_starts_on_the_attention_list(ctx):
    desk = Desk(ctx, NOON)
    response = desk.sign_in_as("front_desk").sign_in("frontdesk")
    assert response.headers["location"] == "/attention"
    marketing = Desk(ctx, NOON).sign_in_as("marketing")
    assert marketing.get("/attention").status_code == 403
    assert marketing.get("/inbox").status_code == 403


def test_a_reply_goes_through_the_outbox_audited_and_is_sent(desk, ann):
    text_in(desk, "Running 10 minutes late, sorry!")
    cid = conversation_id(desk.ctx)
    response = desk.post(f"/inbox/{cid}/reply", {"body": "No problem Ann, see you soon."})
    assert response.status_code == 303
    [row] = messages(desk.ctx, stream="reply")
    assert (row.client_id, row.channel, row.to_address, row.author) == (ann, "sms", ANN, "frontdesk")
    assert row.body == "Northside Massage: No problem Ann, see you soon."
    assert row.due_at == NOON and row.status == "planned"
    [entry] = audit_entries(desk.ctx, "inbox.reply")
    assert (entry.actor, entry.client_id) == ("frontdesk", ann)
    assert not load(desk.ctx, Conversation, cid).needs_reply

    dispatch_due(desk.ctx, NOON + timedelta(seconds=30))
    assert load(desk.ctx, Message, row.id).status == "sent"
    assert [t["body"] for t in outbox_texts(desk.ctx)] == [row.body]
    thread = page_text(desk.get(f"/inbox/{cid}"))
    assert thread.index("Running 10 minutes late") < thread.index("No problem Ann")
    assert "Reply from frontdesk" in thread and "sent" in thread


def test_after_a_reply_the_page_returns_to_the_thread_end_saying_it_is_queued(desk, ann):
    text_in(desk, "Running late, sorry!")
    cid = conversation_id(desk.ctx)

    response = desk.post(f"/inbox/{cid}/reply", {"body": "No problem, see you soon."})

    [row] = messages(desk.ctx, stream="reply")
    back = response.headers["location"]
    assert back == f"/inbox/{cid}?queued={row.id}#queued"
    page = desk.get(back.split("#")[0]).text
    note = re.search(r'<p class="flash flash-ok" id="queued" role="status"[^>]*>([^<]*)</p>', page)
    assert note and note.group(1).startswith("Reply queued: it goes out with the next dispatch pass")
    assert page.index("No problem, see you soon.") < page.index('id="queued"')  # after the thread's last text
    dispatch_due(desk.ctx, NOON + timedelta(seconds=30))
    assert 'id="queued"' not in desk.get(back.split("#")[0]).text  # sent: nothing waits any more
    assert 'id="queued"' not in desk.get(f"/inbox/{cid}?queued={row.id + 1}").text


def test_automatic_answers_show_as_outgoing_texts_after_what_they_answer(desk, ann):
    answers = {}
    for sid, body in (("SM1", "HELP"), ("SM2", "Can I come Friday?"), ("SM3", "STOP")):
        reply = re.search(r"<Message>(.*)</Message>", text_in(desk, body, sid=sid).text)
        answers[body] = html.unescape(reply.group(1)) if reply else ""
    assert answers["HELP"] and answers["STOP"] and answers["Can I come Friday?"]

    page = desk.get(f"/inbox/{conversation_id(desk.ctx)}").text
    bubbles = re.findall(r'<li class="bubble bubble-(in|out)">\s*<p class="text"[^>]*>(.*?)</p>', page, re.S)
    words = [(side, html.unescape(text)) for side, text in bubbles]
    assert words == [
        ("in", "HELP"),
        ("out", answers["HELP"]),
        ("in", "Can I come Friday?"),
        ("out", answers["Can I come Friday?"]),
        ("in", "STOP"),
        ("out", answers["STOP"]),
    ]
    assert page_text(desk.get(f"/inbox/{conversation_id(desk.ctx)}")).count("Automatic answer") == 3


def test_campaign_texts_appear_in_the_thread_labelled_with_their_words(desk, ann):
    plan_due(desk.ctx, NOON)
    dispatch_due(desk.ctx, NOON)
    [sent] = [m for m in messages(desk.ctx, channel="sms") if m.status == "sent"]
    assert sent.body and sent.body.startswith("Northside Massage:")
    text_in(desk, "Thanks, that was helpful")
    thread = page_text(desk.get(f"/inbox/{conversation_id(desk.ctx)}"))
    assert f"Campaign text: {sent.campaign}/{sent.step}" in thread
    assert " ".join(sent.body.split()) in thread


def test_replies_do_not_count_against_the_clients_caps(desk, ann):
    text_in(desk, "Question about parking?")
    cid = conversation_id(desk.ctx)
    for words in ("There is parking behind the clinic.", "Use the side entrance."):
        assert desk.post(f"/inbox/{cid}/reply", {"body": words}).status_code == 303
    dispatch_due(desk.ctx, NOON)
    plan_due(desk.ctx, NOON)
    dispatch_due(desk.ctx, NOON)
    campaign_texts = [m for m in messages(desk.ctx, channel="sms") if m.stream != "reply" and m.status == "sent"]
    assert len(campaign_texts) == 1  # texts_per_day still allows today's campaign text


def test_a_number_that_opted_out_gets_no_reply_form_and_no_reply(desk, ann):
    text_in(desk, "Where do I park?", sid="SM1")
    text_in(desk, "STOP", sid="SM2")
    cid = conversation_id(desk.ctx)
    page = desk.get(f"/inbox/{cid}")
    assert 'name="body"' not in page.text
    assert "opted out of texts" in page_text(page)
    refused = desk.post(f"/inbox/{cid}/reply", {"body": "Sorry to see you go"})
    assert refused.status_code == 400
    assert "opted out" in page_text(refused)
    assert messages(desk.ctx, stream="reply") == []


def test_no_reply_without_sms_consent_or_to_an_unknown_number(desk, ctx):
    add_client(ctx, "c2", at=NOON, first_name="Bo", phone="+16125550177", sms_consent=False)
    text_in(desk, "hello?", sender="+16125550177", sid="SM1")
    text_in(desk, "who is this", sender="+16125550999", sid="SM2")
    for phone, reason in (("+16125550177", "No SMS consent"), ("+16125550999", "No client has this number")):
        cid = conversation_id(ctx, phone)
        assert reason in page_text(desk.get(f"/inbox/{cid}"))
        assert desk.post(f"/inbox/{cid}/reply", {"body": "Hi"}).status_code == 400
    assert messages(ctx, stream="reply") == []


def test_a_late_reply_outside_the_conversation_waits_for_the_window(ctx, ann):
    ctx.secrets = Secrets(twilio_auth_token=AUTH_TOKEN)
    evening = utc(2026, 3, 3, 1, 30)  # 19:30 in Minneapolis
    desk = Desk(ctx, evening)
    desk.sign_in_as("front_desk")
    text_in(desk, "Can I book for tomorrow?")
    cid = conversation_id(ctx)
    desk.advance(minutes=50)  # 20:20: in quiet hours, but within the conversation
    desk.sign_in("frontdesk")  # (past the idle timeout)
    assert desk.post(f"/inbox/{cid}/reply", {"body": "Yes, 10am works."}).status_code == 303
    desk.advance(minutes=20)  # 20:40, 70 minutes after the client's text: an unprompted text now
    desk.sign_in("frontdesk")
    page = page_text(desk.get(f"/inbox/{cid}"))
    assert "quiet hours" in page and "Queue reply" in page, page
    assert desk.post(f"/inbox/{cid}/reply", {"body": "See you then!"}).status_code == 303
    first, second = messages(ctx, stream="reply")
    assert first.due_at == evening + timedelta(minutes=50) and first.reason == ""
    assert second.due_at == utc(2026, 3, 3, 14, 0)  # 08:00 the next morning
    assert "quiet hours" in second.reason
    dispatch_due(ctx, evening + timedelta(minutes=71))
    assert [load(ctx, Message, m.id).status for m in (first, second)] == ["sent", "planned"]


def test_the_server_checks_the_segment_limit_and_empty_replies(desk, ann):
    text_in(desk, "?")
    cid = conversation_id(desk.ctx)
    too_long = "Thanks for asking about your next visit, " * 12
    response = desk.post(f"/inbox/{cid}/reply", {"body": too_long})
    assert response.status_code == 400 and "segments" in page_text(response)
    assert too_long.strip() in response.text  # what was typed is kept
    assert desk.post(f"/inbox/{cid}/reply", {"body": "   "}).status_code == 400
    assert messages(desk.ctx, stream="reply") == []


def test_the_form_carries_the_counter_and_quick_replies_without_inline_script(desk, ann):
    text_in(desk, "Can I reschedule?")
    cid = conversation_id(desk.ctx)
    page = desk.get(f"/inbox/{cid}")
    assert 'data-sms-prefix="Northside Massage: "' in page.text and 'data-sms-max="3"' in page.text
    assert "<script>" not in page.text and "onclick" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "reschedule" in page_text(page)
    filled = desk.get(f"/inbox/{cid}?quick=reschedule")
    assert "No problem, Ann. Which day and time would suit you better?" in filled.text


def test_the_reply_form_needs_a_csrf_token(desk, ann):
    text_in(desk, "hi")
    assert desk.post(f"/inbox/{conversation_id(desk.ctx)}/reply", {"body": "Hi"}, csrf=False).status_code == 403
    assert messages(desk.ctx, stream="reply") == []


def test_marking_done_takes_it_off_the_list_and_a_new_text_brings_it_back(desk, ann):
    text_in(desk, "Thanks!", sid="SM1")
    cid = conversation_id(desk.ctx)
    desk.post(f"/inbox/{cid}/done")
    assert "Nothing is waiting for you" in page_text(desk.get("/attention"))
    assert "No conversation needs a reply" in page_text(desk.get("/inbox"))
    assert "Ann" in page_text(desk.get("/inbox?show=all"))
    text_in(desk, "One more question", sid="SM2")
    assert load(desk.ctx, Conversation, cid).needs_reply


def test_keyword_texts_answered_automatically_need_no_person(desk, ann):
    text_in(desk, "HELP")
    assert not load(desk.ctx, Conversation, conversation_id(desk.ctx)).needs_reply


def test_a_possible_opt_out_is_settled_in_one_click_with_one_confirmation(desk, ann):
    with Session(desk.ctx.engine) as session:
        conversations.note_inbound(session, ANN, ann, "possible-opt-out", "I don't want these anymore", NOON)
        session.commit()
    cid = conversation_id(desk.ctx)
    attention = page_text(desk.get("/attention"))
    assert "May be asking to stop texts" in attention and "I don't want these anymore" in attention
    assert desk.post(f"/inbox/{cid}/opt-out", {"decision": "opt-out"}).status_code == 303
    client = load(desk.ctx, Client, ann)
    assert not client.sms_consent
    assert count(desk.ctx, Suppression, Suppression.address == ANN) == 1
    [confirmation] = messages(desk.ctx, stream="reply")
    assert confirmation.step == "opt-out-confirmation" and "unsubscribed" in confirmation.body
    dispatch_due(desk.ctx, NOON)
    assert load(desk.ctx, Message, confirmation.id).status == "sent"  # despite the opt-out it confirms
    assert "Nothing is waiting for you" in page_text(desk.get("/attention"))
    # Deciding again sends nothing more.
    desk.post(f"/inbox/{cid}/opt-out", {"decision": "opt-out"})
    assert len(messages(desk.ctx, stream="reply")) == 1


def test_a_start_after_a_person_opted_the_number_out_lets_the_client_back_in(desk, ann):
    with Session(desk.ctx.engine) as session:
        conversations.note_inbound(session, ANN, ann, "possible-opt-out", "I don't want these anymore", NOON)
        session.commit()
    desk.post(f"/inbox/{conversation_id(desk.ctx)}/opt-out", {"decision": "opt-out"})

    text_in(desk, "START", sid="SMstart")

    assert load(desk.ctx, Client, ann).sms_consent is True
    assert count(desk.ctx, Suppression, Suppression.address == ANN) == 0


def test_not_a_request_to_stop_keeps_the_number_and_the_conversation(desk, ann):
    with Session(desk.ctx.engine) as session:
        conversations.note_inbound(session, ANN, ann, "possible-opt-out", "stop by later?", NOON)
        session.commit()
    cid = conversation_id(desk.ctx)
    desk.post(f"/inbox/{cid}/opt-out", {"decision": "keep"})
    conversation = load(desk.ctx, Conversation, cid)
    assert not conversation.possible_opt_out and conversation.needs_reply
    assert load(desk.ctx, Client, ann).sms_consent
    assert [e.action for e in audit_entries(desk.ctx, "inbox.not-opt-out")] == ["inbox.not-opt-out"]


def test_a_shared_number_says_so_and_the_front_desk_picks_the_client(desk, ctx, ann):
    son = add_client(ctx, "c2", at=NOON, first_name="Sam", phone=ANN)
    text_in(desk, "This is Sam, can I book?")
    cid = conversation_id(ctx)
    page = page_text(desk.get(f"/inbox/{cid}"))
    assert "2 clients share this number" in page
    desk.post(f"/inbox/{cid}/client", {"client_id": str(son)})
    assert load(ctx, Conversation, cid).client_id == son
    desk.post(f"/inbox/{cid}/reply", {"body": "Hi Sam, Tuesday at 3?"})
    [row] = messages(ctx, stream="reply")
    assert row.client_id == son


def test_a_newly_worsening_client_is_on_the_attention_list_until_seen(desk, ctx, ann):
    for weeks_ago, pain in ((8, 8), (7, 4), (6, 4), (5, 8), (4, 8)):
        change(ctx, ann, facts.record_progress, NOON - timedelta(weeks=weeks_ago), pain, "test")
    plan_due(ctx, NOON)
    client = load(ctx, Client, ann)
    assert client.worsening_since == NOON and client.phase == "establishing"
    attention = page_text(desk.get("/attention"))
    assert "Newly worsening" in attention and "Ann" in attention
    clients = desk.get("/clients?sort=worsening")
    assert "worsening" in page_text(clients)
    desk.post(f"/clients/{ann}/flags-seen")
    assert "Newly worsening" not in page_text(desk.get("/attention"))
    plan_due(ctx, NOON + timedelta(days=1))  # still worsening: the flag keeps its date and stays seen
    assert load(ctx, Client, ann).worsening_since == NOON
    assert "Newly worsening" not in page_text(desk.get("/attention"))


def test_the_client_list_sorts_by_the_new_columns(desk, ctx):
    early = add_client(ctx, "a", at=NOON, first_name="Early", phone="+16125550111")
    late = add_client(ctx, "b", at=NOON, first_name="Late", phone="+16125550112")
    for client_id, days in ((early, 20), (late, 2)):
        change(ctx, client_id, facts.record_visit, NOON - timedelta(days=days), "attended", "test")
    plan_due(ctx, NOON)
    page = page_text(desk.get("/clients?sort=last_visit"))
    assert page.index("Late") < page.index("Early")
    assert 'aria-sort="descending"' in desk.get("/clients?sort=last_visit").text


def test_a_delivery_of_unknown_outcome_is_settled_from_the_attention_list(desk, ctx, ann):
    with Session(ctx.engine) as session:
        row = Message(
            key="k1",
            client_id=ann,
            campaign="rebook",
            step="nudge",
            cycle="1",
            stream="rebook",
            channel="sms",
            to_address=ANN,
            status="unknown",
            due_at=NOON,
            reason="Outcome unknown",
        )
        session.add(row)
        session.commit()
        message_id = row.id
    assert "Deliveries of unknown outcome" in page_text(desk.get("/attention"))
    desk.post(f"/messages/{message_id}/settle", {"outcome": "sent"})
    settled = load(ctx, Message, message_id)
    assert settled.status == "sent" and "frontdesk" in settled.reason
    assert "Deliveries of unknown outcome" not in page_text(desk.get("/attention"))
    desk.post(f"/messages/{message_id}/settle", {"outcome": "failed"})  # settled already: nothing changes
    assert load(ctx, Message, message_id).status == "sent"
    assert len(audit_entries(ctx, "message.settle")) == 1


def test_a_text_that_may_be_an_opt_out_gets_no_answer_and_waits_for_a_decision(desk, ann):
    response = text_in(desk, "Why do you keep texting me?")
    assert "<Message>" not in response.text
    conversation = load(desk.ctx, Conversation, conversation_id(desk.ctx))
    assert conversation.possible_opt_out
    assert "May be asking to stop texts" in page_text(desk.get("/attention"))
    assert "Is this a request to stop texts?" in page_text(desk.get(f"/inbox/{conversation.id}"))


def test_a_clear_opt_out_in_plain_words_needs_no_one(desk, ann):
    text_in(desk, "Please stop texting me")
    conversation = load(desk.ctx, Conversation, conversation_id(desk.ctx))
    assert not conversation.needs_reply and not conversation.possible_opt_out
    assert not load(desk.ctx, Client, ann).sms_consent
