"""What an opt-out in the client's own words revokes, and the one question its confirmation may ask (FCC 24-24):
through the signed Twilio webhook, as a client's texts arrive."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from outreach.models import Client, InboundMessage, StreamChoice
from outreach.services.streams import streams_off
from tests.helpers import load
from tests.web.webhooks import NOW
from tests.web.webhooks.test_twilio import INBOUND, add_client, reply_of, signed, text


def with_email(ctx, client_id: int) -> None:
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        client.email, client.email_consent = "ana@example.com", True
        session.add(client)
        session.commit()


def off(ctx, client_id: int) -> frozenset:
    with Session(ctx.engine) as session:
        return streams_off(session, [client_id]).get(client_id, frozenset())


def test_a_text_naming_only_email_revokes_email_and_keeps_texts(ctx, http):
    client_id = add_client(ctx)
    with_email(ctx, client_id)

    reply = reply_of(signed(http, INBOUND, text("no more emails please, texting is fine")))

    client = load(ctx, Client, client_id)
    assert (client.email_consent, client.sms_consent) == (False, True)
    assert "no more emails" in reply and "Texts continue" in reply


def test_a_text_asking_for_no_contact_at_all_revokes_both_channels(ctx, http):
    client_id = add_client(ctx)
    with_email(ctx, client_id)

    reply = reply_of(signed(http, INBOUND, text("Please stop all contact, texts and emails")))

    client = load(ctx, Client, client_id)
    assert (client.email_consent, client.sms_consent) == (False, False)
    assert "texts or emails" in reply


def test_a_text_stopping_one_stream_and_keeping_the_rest_turns_off_that_stream_by_text_only(ctx, http):
    client_id = add_client(ctx)

    reply = reply_of(signed(http, INBOUND, text("stop sending the tips please, but keep the reminders")))

    assert load(ctx, Client, client_id).sms_consent is True
    assert off(ctx, client_id) == {("education", "sms")}
    assert "massage tip" in reply and "Other texts continue" in reply


def test_own_words_stop_asks_which_stream_to_keep_and_an_answer_keeps_only_reminders(ctx, http):
    client_id = add_client(ctx)

    asked = reply_of(signed(http, INBOUND, text("I've had enough of these texts", sid="SMa")))
    kept = reply_of(signed(http, INBOUND, text("REMINDERS", sid="SMb")))

    assert "reply REMINDERS" in asked
    assert "visit reminders only" in kept
    assert load(ctx, Client, client_id).sms_consent is True
    assert off(ctx, client_id) == {("education", "sms"), ("checkin", "sms"), ("rebook", "sms")}
    with Session(ctx.engine) as session:
        sources = {choice.source for choice in session.exec(select(StreamChoice))}
    assert sources == {"sms-scope-reply"}


def test_an_answer_after_the_window_restores_nothing(ctx, http):
    client_id = add_client(ctx)
    signed(http, INBOUND, text("please take my number off", sid="SMa"))
    hours = ctx.settings.inbox.scope_reply_hours
    http.app.state.clock = lambda: NOW + timedelta(hours=hours, minutes=1)

    reply_of(signed(http, INBOUND, text("reminders", sid="SMb")))

    assert load(ctx, Client, client_id).sms_consent is False
    assert off(ctx, client_id) == frozenset()


def test_after_an_exact_keyword_only_the_keyword_confirmation_goes(ctx, http):
    client_id = add_client(ctx)

    asked = reply_of(signed(http, INBOUND, text("STOP", sid="SMa")))
    signed(http, INBOUND, text("REMINDERS", sid="SMb"))

    assert "REMINDERS" not in asked
    assert load(ctx, Client, client_id).sms_consent is False


def test_a_text_about_another_persons_account_or_a_time_of_day_goes_to_a_person(ctx, http):
    client_id = add_client(ctx)

    signed(http, INBOUND, text("my husband wants his texts stopped, not me", sid="SMa"))
    signed(http, INBOUND, text("no texts after 6pm please", sid="SMb"))

    assert load(ctx, Client, client_id).sms_consent is True
    with Session(ctx.engine) as session:
        handled = {m.handled_as for m in session.exec(select(InboundMessage))}
    assert handled == {"other-person", "time-preference"}


def test_the_scope_question_is_not_asked_of_a_client_who_gets_one_stream_by_text(ctx, http):
    client_id = add_client(ctx)
    with Session(ctx.engine) as session:
        for stream in ("education", "checkin", "rebook"):
            session.add(StreamChoice(client_id=client_id, stream=stream, channel="sms", enabled=False, source="test"))
        session.commit()

    asked = reply_of(signed(http, INBOUND, text("please stop texting me")))

    assert "REMINDERS" not in asked and "no more texts" in asked


def test_a_stream_stopped_from_a_shared_number_is_stopped_for_every_client_there(ctx, http):
    first, second = add_client(ctx, first_name="Ana"), add_client(ctx, first_name="Luis")

    signed(http, INBOUND, text("stop sending the tips please, but keep the reminders"))

    assert off(ctx, first) == off(ctx, second) == {("education", "sms")}
