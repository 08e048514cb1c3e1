"""The editor's language columns: each language is edited, previewed, sized, checked, published and restored on its
own; a language with no copy yet starts from the default's."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from outreach.context import Context
from outreach.rendering.context import SAMPLE_NON_GSM_NAME
from outreach.sending.worker import tick
from tests.conftest import ROOT, make_settings
from tests.desk import Desk, audit_entries, give_contact, page_text
from tests.helpers import messages
from tests.services.test_edits import MONDAY, sent_texts
from tests.services.test_edits_languages import NEW_SPANISH, SPANISH_CHECKIN
from tests.web.dashboard.test_editor import EDIT, LESSON_EDIT, form, seen_client

PREVIEW = EDIT.replace("/edit", "/preview")


@pytest.fixture
def marketing(ctx) -> Desk:
    desk = Desk(ctx, now=MONDAY).sign_in_as("marketing")
    give_contact(ctx, "marketing", phone="+16125550199")  # a test goes to the member's own phone
    return desk


def columns(desk: Desk, path: str = EDIT) -> dict[str, str]:
    """What a person reads in each language's column, by language."""
    found = re.finditer(
        r'<section class="card editor-column" id="copy-(\w+)".*?</section>', desk.get(path).text, re.DOTALL
    )
    return {column.group(1): page_text(SimpleNamespace(text=column.group(0))) for column in found}


def test_each_language_has_its_own_column_with_its_own_copy(ctx, marketing):
    english, spanish = form(marketing, EDIT, "en"), form(marketing, EDIT, "es")

    assert english["sms"].startswith("Hi {{ client.first_name }},")
    assert spanish["sms"] == (ROOT / "templates" / SPANISH_CHECKIN).read_text(encoding="utf-8")
    assert list(columns(marketing)) == ["en", "es"]
    assert columns(marketing)["es"].startswith("Spanish español")
    assert 'id="sms-es" name="sms" lang="es"' in marketing.get(EDIT).text
    page = page_text(marketing.get(EDIT))
    assert "Spanish texts: target 2 segments, maximum 2." in page
    assert "English texts: target 1 segment, maximum 2." in page


def test_a_spanish_draft_leaves_the_english_column_live(ctx, marketing):
    response = marketing.post(EDIT, {**form(marketing, EDIT, "es"), "sms": NEW_SPANISH, "action": "save"})

    assert response.headers["location"] == f"{EDIT}?phase=establishing#copy-es"
    assert "Spanish draft saved. It is not sent until it is published." in page_text(marketing.get(EDIT))
    shown = columns(marketing)
    assert "A draft by marketing" in shown["es"] and "This is the live copy." in shown["en"]
    assert form(marketing, EDIT, "es")["sms"] == NEW_SPANISH


def test_the_preview_renders_in_the_column_s_language_with_its_own_target(ctx, marketing):
    lesson = LESSON_EDIT.replace("/edit", "/preview")
    spanish = json.loads(marketing.post(lesson, {**form(marketing, LESSON_EDIT, "es")}).text)
    english = json.loads(marketing.post(lesson, {**form(marketing, LESSON_EDIT, "en")}).text)

    assert spanish["sms"]["text"].startswith("Northside Massage: Por qué el dolor")
    assert "/learn/es/pain-cycle" in spanish["sms"]["text"]
    assert spanish["email"]["subject"] == "Por qué el dolor que dura se alimenta a sí mismo"
    assert '<html lang="es"' in spanish["email"]["html"]
    assert "/learn/pain-cycle" in english["sms"]["text"] and "Why lasting pain" in english["sms"]["text"]
    assert "size" not in spanish["email"], "an email has no SMS size"

    long_spanish = "Á" * 150  # UCS-2: 3 segments, over Spanish's target of 2 and the maximum of 2
    sized = json.loads(marketing.post(lesson, {**form(marketing, LESSON_EDIT, "es"), "sms": long_spanish}).text)
    assert sized["sms"]["size"].startswith("3 segments · UCS-2")
    assert sized["sms"]["size"].endswith("over the maximum of 2: never sent this long")


def test_a_text_with_a_short_block_shows_its_size_and_what_a_long_name_gets(ctx, marketing):
    full = "{{ client.first_name }}, " + "¿cómo va su dolor desde su última visita a la clínica? " * 3
    draft = f"{full}{{% block short %}}¿Cómo va su dolor? Responda del 0 al 10.{{% endblock %}}"

    found = json.loads(marketing.post(PREVIEW, {**form(marketing, EDIT, "es"), "sms": draft}).text)["sms"]
    plain = json.loads(marketing.post(PREVIEW, {**form(marketing, EDIT, "es"), "sms": full}).text)["sms"]

    assert found["short_size"].startswith("2 segments · UCS-2")  # with the opt-out line of a first text
    assert found["long_name"].startswith(f"{SAMPLE_NON_GSM_NAME}: the short text (2 segments), since the full one")
    assert found["size"].startswith("4 segments · UCS-2")
    assert plain["short_size"] == ""
    assert plain["long_name"].startswith(f"{SAMPLE_NON_GSM_NAME}: not sent, too long")
    broken = "Hola {% block short %}{{ client.last_name }}{% endblock %}"
    found = json.loads(marketing.post(PREVIEW, {**form(marketing, EDIT, "es"), "sms": broken}).text)["sms"]
    assert found["text"].startswith("Northside Massage: Hola") and found["size"].startswith("1 segment")
    assert found["short_size"].startswith("cannot be rendered:") and "last_name" in found["short_size"]
    shipped = json.loads(marketing.post(PREVIEW, form(marketing, EDIT, "es")).text)["sms"]
    assert "the full text" in shipped["long_name"] and shipped["short_size"]


def test_publishing_spanish_applies_the_spanish_deny_words_in_its_column_only(ctx, marketing):
    word = "{{ client.first_name }}, ¿cómo va su artritis? Responda del 0 al 10."

    marketing.post(EDIT, {**form(marketing, EDIT, "es"), "sms": word, "action": "publish", "confirm": "yes"})

    assert "Spanish copy not published: fix the errors below first." in page_text(marketing.get(EDIT))
    shown = columns(marketing)
    assert "artritis" in shown["es"] and "Errors to fix" in shown["es"]
    assert "Errors to fix" not in shown["en"]
    assert audit_entries(ctx, "copy.publish") == []


def test_spanish_is_published_and_restored_on_its_own_and_the_worker_follows(ctx, marketing):
    marketing.post(EDIT, {**form(marketing, EDIT, "es"), "sms": NEW_SPANISH, "action": "publish", "confirm": "yes"})
    assert [e.detail for e in audit_entries(ctx, "copy.publish")] == [SPANISH_CHECKIN]
    seen_client(ctx, "es1", "+16125550130", email=None, language="es")
    tick(ctx, MONDAY, record=False)
    assert "¿qué tal su dolor hoy?" in sent_texts(ctx)[-1]

    shown = columns(marketing)
    shipped = re.search(r"Version (\d+) ?: the shipped file", shown["es"]).group(1)
    assert "Version " not in shown["en"], "the English copy has no version"
    version = marketing.get(f"{EDIT.replace('/edit', '')}/versions/{int(shipped) + 1}")
    assert f"Version {int(shipped) + 1} of the Spanish copy {SPANISH_CHECKIN}" in page_text(version)

    response = marketing.post(f"{EDIT.replace('/edit', '')}/versions/{shipped}/restore", {"confirm": "yes"})
    assert response.headers["location"].endswith("#copy-es")
    seen_client(ctx, "es2", "+16125550131", email=None, language="es")
    tick(ctx, MONDAY, record=False)
    assert "¿cómo va su dolor esta semana?" in sent_texts(ctx)[-1]
    assert f"Spanish version {shipped} restored and published" in page_text(marketing.get(EDIT))


def test_a_language_that_is_not_served_is_not_a_page(ctx, marketing):
    assert marketing.post(PREVIEW, {"language": "klingon"}).status_code == 404
    response = marketing.post(EDIT, {"language": "tlh", "sms": "x", "action": "publish", "confirm": "yes"})
    assert response.status_code == 404
    assert "unknown language 'tlh'; use one of en (English), es (Spanish)" in page_text(response)


@pytest.fixture
def french(tmp_path, database_url) -> Desk:
    settings = make_settings(database_url, tmp_path, languages={"served": ["en", "es", "fr"]})
    context = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates")
    context.upgrade_schema()
    yield Desk(context, now=MONDAY).sign_in_as("marketing")
    context.engine.dispose()


def test_a_language_with_no_copy_starts_from_the_default_and_publishes_a_new_template(french):
    before = columns(french)["fr"]
    assert "No French copy yet: these clients get the English (previewed below)." in before
    assert "Start the French copy from the English" in before
    assert 'id="sms-fr"' not in french.get(EDIT).text

    french.post(EDIT, {"language": "fr", "action": "start", "phase": "establishing"})

    assert "French copy started from the English: translate it, then publish it." in page_text(french.get(EDIT))
    started = form(french, EDIT, "fr")
    assert started["sms"].startswith("Hi {{ client.first_name }},") and "A draft by marketing" in columns(french)["fr"]

    copy = "{{ client.first_name }}, comment va votre douleur ? Répondez de 0 à 10 (0 = aucune)."
    french.post(EDIT, {**started, "sms": copy, "action": "publish", "confirm": "yes"})
    after = columns(french)["fr"]
    assert "published as a new file" in after and "the shipped file" not in after
    assert "Start the French copy" not in after

    again = french.post(EDIT, {"language": "fr", "action": "start"})
    assert again.status_code == 303
    assert "Nothing to start: the French copy is written already." in page_text(french.get(EDIT))


def test_a_test_of_the_spanish_draft_is_queued_in_spanish(ctx, marketing):
    marketing.post(EDIT, {**form(marketing, EDIT, "es"), "sms": NEW_SPANISH, "action": "save"})

    response = marketing.post(f"{EDIT}/test", {"to": "+16125550199", "language": "es", "phase": "tapering"})

    assert response.headers["location"] == f"{EDIT}?phase=tapering#copy-es"
    [message] = messages(ctx, is_test=True)
    assert message.rendered["text"].startswith("Northside Massage: Christopher, ¿qué tal su dolor hoy?")
