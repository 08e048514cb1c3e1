"""Keyword replies in the client's language, or the keyword's: "AYUDA" and "ALTO" are answered in Spanish."""

from __future__ import annotations

from sqlmodel import Session

from outreach.models import Client
from tests.web.webhooks.test_twilio import ANA, INBOUND, reply_of, signed, text

STRANGER = "+16125550177"


def add_client(ctx, language: str, phone: str = ANA) -> int:
    with Session(ctx.engine) as session:
        client = Client(external_id=f"c-{phone}", first_name="Lucía", phone=phone, sms_consent=True, language=language)
        session.add(client)
        session.commit()
        return client.id


def test_help_from_a_spanish_client_is_answered_in_spanish(ctx, http):
    add_client(ctx, "es")

    answer = reply_of(signed(http, INBOUND, text("HELP")))

    assert ctx.settings.clinic.name in answer
    assert "tarifas" in answer and "STOP" in answer


def test_ayuda_from_an_unknown_number_is_answered_in_spanish(ctx, http):
    answer = reply_of(signed(http, INBOUND, text("Ayuda", sender=STRANGER)))

    assert ctx.settings.clinic.name in answer and "tarifas" in answer


def test_alto_from_a_client_set_to_english_is_confirmed_in_spanish(ctx, http):
    add_client(ctx, "en")

    answer = reply_of(signed(http, INBOUND, text("ALTO")))

    assert "mensajes" in answer and "texts" not in answer


def test_stop_from_a_spanish_client_is_confirmed_in_spanish_and_start_too(ctx, http):
    add_client(ctx, "es")

    stopped = reply_of(signed(http, INBOUND, text("STOP", sid="SMa")))
    started = reply_of(signed(http, INBOUND, text("START", sid="SMb")))

    assert "baja" in stopped.lower()
    assert started and "You" not in started and started != stopped


def test_help_from_an_unknown_number_stays_in_the_default_language(ctx, http):
    answer = reply_of(signed(http, INBOUND, text("HELP", sender=STRANGER)))

    assert "Msg & data rates may apply" in answer


def test_with_advanced_opt_out_twilio_answers_and_we_stay_quiet_in_any_language(ctx, http):
    add_client(ctx, "es")

    answer = reply_of(signed(http, INBOUND, text("ALTO", OptOutType="STOP")))

    assert answer == ""
