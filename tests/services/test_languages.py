"""services.languages: which served language a client's text reads as ("" when it does not say), built lazily so the
CLI never loads lingua, and recorded on each inbound text."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.channels.base import InboundText
from outreach.models import InboundMessage
from outreach.services import languages
from outreach.services.inbound import handle_inbound_sms
from outreach.services.languages import detected_language
from tests.conftest import FIXTURES, ROOT, utc
from tests.helpers import add_client

SERVED = ("en", "es")
NOW = utc(2026, 3, 2, 15)


def test_neither_the_cli_nor_the_web_app_loads_lingua_when_imported():
    probe = "import sys, outreach.cli, outreach.web.app, outreach.services.inbound; print('lingua' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "text, language",
    [
        ("Hola, ¿puedo cambiar mi cita para el viernes?", "es"),
        ("me duele mucho la espalda desde ayer", "es"),
        ("Buenos dias, gracias por el recordatorio de la cita", "es"),
        ("Can I move my appointment to Friday afternoon?", "en"),
        ("Thank you so much, the stretching tips really help", "en"),
    ],
)
def test_a_clear_sentence_reads_as_its_language(text, language):
    assert detected_language(text, SERVED) == language


@pytest.mark.parametrize(
    "text",
    ["ok", "7", "STOP", "Stop!!!", "ALTO", "gracias", "no gracias", "👍", "7/10", "", "   ", "ok thx", "k"],
)
def test_a_bare_word_a_number_or_an_emoji_says_nothing(text):
    assert detected_language(text, SERVED) == ""


@pytest.mark.parametrize(
    "text", ["please ya no me manden texts", "mi appointment es el martes verdad?", "dejen de textearme please"]
)
def test_a_text_mixing_both_languages_says_nothing(text):
    assert detected_language(text, SERVED) == ""


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, José! See you Tuesday",
        "Hi it's María, running 10 min late",
        "This is Joaquín, can I come at 3 instead?",
        "Ana Lucía will be there on Tuesday",
    ],
)
def test_an_accented_name_does_not_make_an_english_text_spanish(text):
    assert detected_language(text, SERVED) in ("en", "")


def test_with_one_language_served_or_none_lingua_knows_there_is_nothing_to_tell():
    assert detected_language("Hola, ¿puedo cambiar mi cita para el viernes?", ("en",)) == ""
    assert detected_language("Hola, ¿puedo cambiar mi cita para el viernes?", ("en", "zz")) == ""


def test_the_held_out_corpus_is_read_right_whenever_the_detector_answers():
    """Thresholds were set on the corpus's dev rows; the test rows were only measured (all 312 answers right,
    86% answered, at the time of writing)."""
    rows = [row for row in csv.DictReader((FIXTURES / "inbound_corpus.csv").open()) if row["set"] == "test"]
    answers = [(row["language"], detected_language(row["text"], SERVED)) for row in rows]
    answered = [(truth, found) for truth, found in answers if found]
    wrong = [(truth, found) for truth, found in answered if truth != found]
    assert len(wrong) <= len(answered) // 100, wrong
    for language in SERVED:
        of_language = [found for truth, found in answers if truth == language]
        assert of_language.count(language) >= 0.8 * len(of_language), language


def test_the_detector_is_built_once_however_many_threads_ask_first(monkeypatch):
    built = []
    real_build = languages._build

    def counting_build(served):  # noqa: ANN001, ANN202
        built.append(served)
        return real_build(served)

    monkeypatch.setattr(languages, "_detectors", {})
    monkeypatch.setattr(languages, "_build", counting_build)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(detected_language("necesito cambiar la cita", SERVED)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [SERVED] and results == ["es"] * 8


def inbound(ctx, body: str, sid: str, detect=None) -> InboundMessage:  # noqa: ANN001
    with Session(ctx.engine) as session:
        extra = {"detect": detect} if detect else {}
        handle_inbound_sms(session, ctx, InboundText(sid, "+16125550100", body), NOW, **extra)
        session.commit()
        return session.exec(select(InboundMessage).where(InboundMessage.provider_id == sid)).one()


def test_each_inbound_text_records_the_language_it_reads_as(ctx):
    add_client(ctx, at=NOW - timedelta(days=30))
    assert inbound(ctx, "¿Puedo cambiar mi cita para el jueves en la tarde?", "SM1").language == "es"
    assert inbound(ctx, "Can I come in Thursday afternoon instead?", "SM2").language == "en"
    assert inbound(ctx, "7", "SM3").language == ""


def test_the_inbound_handler_takes_its_detector_from_the_caller(ctx):
    asked = []

    def detect(text: str, served: tuple[str, ...]) -> str:
        asked.append((text, served))
        return "es"

    assert inbound(ctx, "whatever it says", "SM9", detect).language == "es"
    assert asked == [("whatever it says", ctx.settings.served_languages)]
