"""Twilio's webhooks: status callbacks and inbound texts, signed as Twilio signs them."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

from outreach.models import (
    STOP_HANDLINGS,
    Client,
    ConsentEvent,
    DeliveryEvent,
    InboundMessage,
    Message,
    ProgressEntry,
    Suppression,
)
from tests.helpers import count, load
from tests.web.webhooks import NOW, PUBLIC_URL
from tests.web.webhooks import TWILIO_AUTH_TOKEN as AUTH_TOKEN

ANA = "+16125550101"
STATUS, INBOUND = "/webhooks/twilio/status", "/webhooks/twilio/inbound"


def signed(http: TestClient, path: str, params: dict[str, str], token: str = AUTH_TOKEN, url: str = ""):
    signature = RequestValidator(token).compute_signature(url or PUBLIC_URL + path, params)
    return http.post(path, data=params, headers={"X-Twilio-Signature": signature})


def reply_of(response) -> str:
    assert response.headers["content-type"].startswith("application/xml")
    message = ElementTree.fromstring(response.text).find("Message")
    return "" if message is None else message.text or ""


def add_client(ctx, phone: str = ANA, first_name: str = "Ana", sms_consent: bool = True) -> int:
    with Session(ctx.engine) as session:
        client = Client(
            external_id=f"c-{phone}-{first_name}", first_name=first_name, phone=phone, sms_consent=sms_consent
        )
        session.add(client)
        session.commit()
        return client.id


def add_message(
    ctx,
    client_id: int,
    *,
    status: str = "sent",
    sid: str = "SM1",
    stream: str = "rebook",
    sent_at=NOW - timedelta(hours=1),
    key: str = "",
) -> int:
    with Session(ctx.engine) as session:
        message = Message(
            key=key or f"{client_id}:{stream}:{sid}",
            client_id=client_id,
            campaign=stream,
            step="one",
            cycle="1",
            stream=stream,
            channel="sms",
            to_address=ANA,
            status=status,
            due_at=sent_at or NOW - timedelta(hours=1),
            sent_at=sent_at,
            provider_id=sid,
        )
        session.add(message)
        session.commit()
        return message.id


def status(sid: str, value: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "MessageStatus": value,
        "To": ANA,
        "From": "+16125222225",
        "AccountSid": "AC123",
        **extra,
    }


def text(body: str, sid: str = "SMin1", sender: str = ANA, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+16125222225", "Body": body, "NumMedia": "0", **extra}


# --- status callbacks ---------------------------------------------------------------------------------------


def test_it_marks_a_message_delivered(ctx, http):
    message_id = add_message(ctx, add_client(ctx))

    response = signed(http, STATUS, status("SM1", "delivered"))

    assert response.status_code == 204
    assert load(ctx, Message, message_id).status == "delivered"
    assert count(ctx, DeliveryEvent, DeliveryEvent.message_id == message_id) == 1


def test_it_never_lets_a_late_sent_overwrite_delivered(ctx, http):
    message_id = add_message(ctx, add_client(ctx))

    signed(http, STATUS, status("SM1", "delivered"))
    signed(http, STATUS, status("SM1", "sent"))

    assert load(ctx, Message, message_id).status == "delivered"
    assert count(ctx, DeliveryEvent) == 2


def test_it_records_a_repeated_callback_once(ctx, http):
    add_message(ctx, add_client(ctx))

    first = signed(http, STATUS, status("SM1", "delivered"))
    again = signed(http, STATUS, status("SM1", "delivered"))

    assert (first.status_code, again.status_code) == (204, 204)
    assert count(ctx, DeliveryEvent) == 1


def test_it_marks_an_undelivered_text_failed_with_the_reason(ctx, http):
    message_id = add_message(ctx, add_client(ctx))

    signed(http, STATUS, status("SM1", "undelivered", ErrorCode="30003", ErrorMessage="Unreachable handset"))

    message = load(ctx, Message, message_id)
    assert (message.status, message.error_code) == ("failed", "30003")
    assert "Unreachable handset" in message.reason


def test_it_settles_a_message_whose_send_had_an_unknown_outcome(ctx, http):
    message_id = add_message(ctx, add_client(ctx), status="unknown", sent_at=None)

    signed(http, STATUS, status("SM1", "delivered"))

    message = load(ctx, Message, message_id)
    assert message.status == "delivered"
    assert message.sent_at is not None


def test_it_treats_error_21610_as_an_opt_out(ctx, http):
    client_id = add_client(ctx)
    add_message(ctx, client_id)

    signed(http, STATUS, status("SM1", "failed", ErrorCode="21610"))

    assert load(ctx, Client, client_id).sms_consent is False
    assert count(ctx, Suppression, Suppression.channel == "sms", Suppression.address == ANA) == 1
    assert count(ctx, ConsentEvent, ConsentEvent.source == "provider") == 1


def test_it_records_a_callback_for_a_message_it_does_not_know(ctx, http):
    response = signed(http, STATUS, status("SMunknown", "delivered"))

    assert response.status_code == 204
    assert count(ctx, DeliveryEvent, DeliveryEvent.message_id.is_(None)) == 1


# --- signatures and bad requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("path,params", [(STATUS, status("SM1", "delivered")), (INBOUND, text("STOP"))])
def test_it_refuses_requests_not_signed_by_twilio(ctx, http, path, params, snapshot):
    add_message(ctx, add_client(ctx))
    before = snapshot()

    forged = signed(http, path, params, token="someone-elses-token")
    signed_for_the_host_header = signed(http, path, params, url=f"http://10.0.0.5:8000{path}")
    unsigned = http.post(path, data=params)
    valid = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    tampered = http.post(path, data={**params, "To": "+16125550199"}, headers={"X-Twilio-Signature": valid})

    assert [r.status_code for r in (forged, signed_for_the_host_header, unsigned, tampered)] == [403] * 4
    assert snapshot() == before


def test_it_refuses_a_replayed_status_with_a_changed_status(ctx, http):
    message_id = add_message(ctx, add_client(ctx))
    params = status("SM1", "sent")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + STATUS, params)

    replay = http.post(STATUS, data={**params, "MessageStatus": "failed"}, headers={"X-Twilio-Signature": signature})

    assert replay.status_code == 403
    assert load(ctx, Message, message_id).status == "sent"


def test_it_answers_400_to_a_signed_request_that_is_not_a_status(ctx, http, snapshot):
    before = snapshot()

    missing_sid = signed(http, STATUS, {"MessageStatus": "delivered"})
    odd_sid = signed(http, STATUS, status("SM" + "9" * 250, "delivered"))
    odd_status = signed(http, STATUS, status("SM1", "delivered'; --"))
    garbage = http.post(
        STATUS,
        content=b"\xff\xfe not a form",
        headers={"X-Twilio-Signature": "x", "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert [r.status_code for r in (missing_sid, odd_sid, odd_status, garbage)] == [400] * 4
    assert snapshot() == before


def test_it_drops_nul_characters_that_the_database_would_refuse(ctx, http):
    add_client(ctx)

    response = signed(http, INBOUND, text("Can I come\x00 in Friday?"))

    assert response.status_code == 200
    with Session(ctx.engine) as session:
        assert session.exec(select(InboundMessage.body)).one() == "Can I come in Friday?"


def test_it_refuses_a_body_over_a_megabyte(ctx, http, snapshot):
    before = snapshot()

    response = signed(http, INBOUND, text("x" * 1_100_000))

    assert response.status_code == 413
    assert snapshot() == before


# --- inbound texts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words,again,source",
    [
        ("Stop", "STOP", "sms-keyword"),
        # In the client's own words (FCC: revocation by any reasonable means): just like STOP.
        ("Please stop texting me", "stop texting me!!", "sms-words"),
        ("No más mensajes", "STOP", "sms-words"),
        ("ＳＴＯＰ 🙏", "please stop", "sms-words"),
        ("opt out", "Unsubscribe me", "sms-words"),
    ],
)
def test_it_opts_a_client_out_on_stop_and_confirms_once(ctx, http, words, again, source):
    client_id = add_client(ctx)

    first = signed(http, INBOUND, text(words, sid="SMa"))
    second = signed(http, INBOUND, text(again, sid="SMb"))

    assert "no more texts" in reply_of(first)
    assert reply_of(second) == ""
    assert load(ctx, Client, client_id).sms_consent is False
    with Session(ctx.engine) as session:
        (event,) = session.exec(select(ConsentEvent)).all()
    assert (event.channel, event.granted, event.source) == ("sms", False, source)
    assert event.at.replace(tzinfo=NOW.tzinfo) == NOW
    assert count(ctx, Suppression, Suppression.address == ANA, Suppression.source == source) == 1
    assert count(ctx, InboundMessage, col(InboundMessage.handled_as).in_(STOP_HANDLINGS)) == 2


def test_it_lets_twilio_advanced_opt_out_send_the_confirmation(ctx, http):
    client_id = add_client(ctx)

    response = signed(http, INBOUND, text("Arrêt", OptOutType="STOP"))

    assert reply_of(response) == ""
    assert load(ctx, Client, client_id).sms_consent is False


def test_it_honours_stop_from_a_number_that_is_not_a_client(ctx, http):
    response = signed(http, INBOUND, text("unsubscribe", sender="+16125550177"))

    assert "no more texts" in reply_of(response)
    assert count(ctx, Suppression, Suppression.channel == "sms", Suppression.address == "+16125550177") == 1


def test_it_opts_everyone_sharing_the_number_out(ctx, http):
    parent, child = add_client(ctx, first_name="Ana"), add_client(ctx, first_name="Leo")

    signed(http, INBOUND, text("STOP"))

    assert (load(ctx, Client, parent).sms_consent, load(ctx, Client, child).sms_consent) == (False, False)


def test_it_sends_nothing_more_after_stop_until_start(ctx, http):
    client_id = add_client(ctx)
    signed(http, INBOUND, text("STOP", sid="SMa"))

    chatter = signed(http, INBOUND, text("ok thanks", sid="SMb"))
    start = signed(http, INBOUND, text("start", sid="SMc"))

    assert reply_of(chatter) == ""
    assert "subscribed again" in reply_of(start)
    assert load(ctx, Client, client_id).sms_consent is True
    assert count(ctx, Suppression) == 0


def test_it_answers_help_with_who_we_are_and_how_to_stop(ctx, http):
    add_client(ctx)

    for sender in (ANA, "+16125550177"):
        answer = reply_of(signed(http, INBOUND, text("HELP", sid=f"SM{sender[1:]}", sender=sender)))
        assert ctx.settings.clinic.name in answer
        assert "STOP" in answer and "Msg & data rates may apply" in answer


@pytest.mark.parametrize("body,score", [("6/10", 6), ("about a 4 today 🙂", 4)])
def test_it_records_a_score_replied_to_a_check_in(ctx, http, body, score):
    client_id = add_client(ctx)
    add_message(ctx, client_id, stream="checkin", sid="SMcheck", sent_at=NOW - timedelta(hours=3))

    response = signed(http, INBOUND, text(body))

    assert "Thanks for checking in" in reply_of(response)
    with Session(ctx.engine) as session:
        (entry,) = session.exec(select(ProgressEntry)).all()
        inbound = session.exec(select(InboundMessage)).one()
    assert (entry.client_id, entry.pain, entry.source) == (client_id, score, "sms-reply")
    assert (inbound.handled_as, inbound.client_id) == ("progress", client_id)


def test_it_takes_a_second_reply_as_a_correction(ctx, http):
    client_id = add_client(ctx)
    add_message(ctx, client_id, stream="checkin", sid="SMcheck", sent_at=NOW - timedelta(hours=3))

    signed(http, INBOUND, text("7", sid="SMa"))
    signed(http, INBOUND, text("pain 5", sid="SMb"))

    with Session(ctx.engine) as session:
        assert [entry.pain for entry in session.exec(select(ProgressEntry)).all()] == [5]


def test_it_does_not_take_a_number_as_a_score_without_a_recent_check_in(ctx, http):
    client_id = add_client(ctx)
    add_message(ctx, client_id, stream="checkin", sid="SMold", sent_at=NOW - timedelta(hours=49))

    response = signed(http, INBOUND, text("7"))

    assert "front desk" in reply_of(response)
    assert count(ctx, ProgressEntry) == 0
    assert count(ctx, InboundMessage, InboundMessage.handled_as == "other") == 1


def test_it_acknowledges_other_messages_at_most_once_a_day(ctx, http):
    add_client(ctx)

    first = signed(http, INBOUND, text("Can I move my Tuesday visit?", sid="SMa"))
    second = signed(http, INBOUND, text("To Wednesday I mean", sid="SMb"))

    assert "front desk" in reply_of(first)
    assert reply_of(second) == ""
    with Session(ctx.engine) as session:
        stored = session.exec(select(InboundMessage.body, InboundMessage.replied).order_by(InboundMessage.id)).all()
    assert stored == [("Can I move my Tuesday visit?", True), ("To Wednesday I mean", False)]


def test_it_handles_a_retried_inbound_webhook_once(ctx, http):
    add_client(ctx)

    signed(http, INBOUND, text("Can I move my visit?"))
    retry = signed(http, INBOUND, text("Can I move my visit?"))

    assert retry.status_code == 200 and reply_of(retry) == ""
    assert count(ctx, InboundMessage) == 1


def test_it_takes_yes_from_a_client_who_never_opted_in_as_an_ordinary_message(ctx, http):
    client_id = add_client(ctx, sms_consent=False)

    response = signed(http, INBOUND, text("Yes"))

    assert "front desk" in reply_of(response)
    assert load(ctx, Client, client_id).sms_consent is False
    assert count(ctx, InboundMessage, InboundMessage.handled_as == "other") == 1


# --- opt-out in the client's own words ------------------------------------------------------------------------


def test_start_undoes_a_plain_word_opt_out(ctx, http):
    client_id = add_client(ctx)
    signed(http, INBOUND, text("Please stop texting me", sid="SMa"))

    start = signed(http, INBOUND, text("START", sid="SMb"))

    assert "subscribed again" in reply_of(start)
    assert load(ctx, Client, client_id).sms_consent is True
    assert count(ctx, Suppression) == 0


def test_it_takes_cancelling_an_appointment_to_the_front_desk_without_a_booking_link(ctx, http):
    client_id = add_client(ctx)

    first = signed(http, INBOUND, text("I need to cancel Tuesday's appointment", sid="SMa"))
    second = signed(http, INBOUND, text("Cancel my 3pm please", sid="SMb"))

    assert "front desk" in reply_of(first) and reply_of(second) == ""  # one acknowledgement a day
    assert all(
        ctx.settings.clinic.booking_url not in reply_of(r) and "http" not in reply_of(r) for r in (first, second)
    )
    assert load(ctx, Client, client_id).sms_consent is True
    assert count(ctx, Suppression) == 0
    assert count(ctx, InboundMessage, InboundMessage.handled_as == "appointment") == 2


@pytest.mark.parametrize("words", ["Why do you keep texting me?", "I want to end this", "Too many texts this week"])
def test_it_sends_nothing_to_a_possible_opt_out_and_leaves_it_to_a_person(ctx, http, words):
    client_id = add_client(ctx)

    response = signed(http, INBOUND, text(words))

    assert response.status_code == 200 and reply_of(response) == ""
    assert load(ctx, Client, client_id).sms_consent is True
    with Session(ctx.engine) as session:
        inbound = session.exec(select(InboundMessage)).one()
    assert (inbound.handled_as, inbound.replied, inbound.client_id) == ("possible-opt-out", False, client_id)


# --- what Twilio's own validator accepts --------------------------------------------------------------------


def test_it_accepts_a_signed_request_with_a_repeated_field(ctx, http):
    message_id = add_message(ctx, add_client(ctx))
    pairs = [*status("SM1", "delivered").items(), ("MediaUrl", "https://a.example"), ("MediaUrl", "https://b.example")]
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + STATUS, ImmutableMultiDict(pairs))

    response = http.post(
        STATUS,
        content=urlencode(pairs),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 204
    assert load(ctx, Message, message_id).status == "delivered"


def test_it_refuses_a_repeated_field_added_to_a_signed_request(ctx, http, snapshot):
    add_message(ctx, add_client(ctx))
    params = status("SM1", "delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + STATUS, params)
    before = snapshot()

    response = http.post(
        STATUS,
        content=urlencode([*params.items(), ("MessageStatus", "failed")]),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 403
    assert snapshot() == before


def signed_json(http: TestClient, path: str, payload: dict, token: str = AUTH_TOKEN, body: bytes | None = None):
    """As Twilio signs a JSON body: the URL carries bodySHA256, and the signature covers the URL alone."""
    content = json.dumps(payload).encode()
    url = f"{PUBLIC_URL}{path}?" + urlencode({"bodySHA256": hashlib.sha256(content).hexdigest()})
    signature = RequestValidator(token).compute_signature(url, {})
    return http.post(
        url.removeprefix(PUBLIC_URL),
        content=content if body is None else body,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
    )


def test_it_accepts_a_json_body_signed_with_body_sha256(ctx, http):
    message_id = add_message(ctx, add_client(ctx))

    response = signed_json(http, STATUS, status("SM1", "delivered"))

    assert response.status_code == 204
    assert load(ctx, Message, message_id).status == "delivered"


def test_it_refuses_a_json_body_that_is_not_the_one_signed(ctx, http, snapshot):
    add_message(ctx, add_client(ctx))
    before = snapshot()

    tampered = signed_json(http, STATUS, status("SM1", "delivered"), body=json.dumps(status("SM1", "failed")).encode())
    forged = signed_json(http, STATUS, status("SM1", "delivered"), token="someone-elses-token")

    assert [tampered.status_code, forged.status_code] == [403, 403]
    assert snapshot() == before
