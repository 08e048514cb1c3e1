"""Copy edited per language: each language's copy is its own template, with its own drafts, versions and check; a
language with no file starts from the default's and is published as a new template the worker then sends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outreach.context import Context
from outreach.services import edits
from outreach.sending.worker import tick
from tests.conftest import ROOT, make_settings
from tests.helpers import add_client
from tests.services.test_edits import CHECKIN, MONDAY, in_session, sent_texts

SPANISH_CHECKIN = "checkin/pain-checkin.es.sms.j2"
NEW_SPANISH = "{{ client.first_name }}, ¿qué tal su dolor hoy? Responda del 0 al 10 (0 = sin dolor)."
NEW_ENGLISH = "Hi {{ client.first_name }}, how is your pain today? Reply with a number 0-10 (0 = no pain)."


def checkin_step(ctx: Context):  # noqa: ANN201  (campaigns.Step)
    return ctx.catalog.get("checkin").step("pain-checkin")


def text_to(ctx: Context, external_id: str, language: str, phone: str) -> str:
    """A new client in `language`, one worker pass, and the check-in text they got."""
    add_client(ctx, external_id, at=MONDAY, phone=phone, email=None, language=language)
    tick(ctx, MONDAY, record=False)
    return sent_texts(ctx)[-1]


@pytest.fixture
def french(tmp_path, database_url) -> Context:
    """A clinic that also serves French, for which no template is written."""
    settings = make_settings(database_url, tmp_path, languages={"served": ["en", "es", "fr"]})
    context = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates")
    context.upgrade_schema()
    yield context
    context.engine.dispose()


@pytest.fixture
def no_spanish_text(tmp_path, database_url) -> Context:
    """The shipped templates, but the check-in's Spanish text not written yet (its Spanish email is)."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / SPANISH_CHECKIN).unlink()
    context = Context(make_settings(database_url, tmp_path), campaigns_dir=ROOT / "campaigns", templates_dir=templates)
    context.upgrade_schema()
    yield context
    context.engine.dispose()


def test_each_language_names_its_own_templates(ctx):
    step = ctx.catalog.get("education").step("pain-cycle")

    assert edits.step_templates(step, "es", "en") == {
        "email": "education/pain-cycle.es.email.j2",
        "sms": "education/pain-cycle.es.sms.j2",
    }
    assert (
        edits.step_templates(step, "en", "en")
        == edits.step_templates(step)
        == {
            "email": "education/pain-cycle.email.j2",
            "sms": "education/pain-cycle.sms.j2",
        }
    )
    assert edits.step_templates(step, "en", "es")["sms"] == "education/pain-cycle.en.sms.j2"


def test_the_copy_of_each_language_is_its_own_file(ctx):
    spanish = in_session(ctx, lambda s: edits.step_copy(ctx, s, checkin_step(ctx), "es"))
    english = in_session(ctx, lambda s: edits.step_copy(ctx, s, checkin_step(ctx)))

    assert spanish.names["sms"] == SPANISH_CHECKIN and spanish.missing == ()
    assert spanish.sms == (ROOT / "templates" / SPANISH_CHECKIN).read_text(encoding="utf-8")
    assert english.language == "en" and english.sms == (ROOT / "templates" / CHECKIN).read_text(encoding="utf-8")


def test_a_spanish_draft_never_touches_the_english_and_each_publishes_alone(ctx):
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {SPANISH_CHECKIN: NEW_SPANISH}, "mia", MONDAY))

    english = in_session(ctx, lambda s: edits.step_copy(ctx, s, checkin_step(ctx), "en"))
    spanish = in_session(ctx, lambda s: edits.step_copy(ctx, s, checkin_step(ctx), "es"))
    assert (english.draft_by, spanish.draft_by, spanish.sms) == ("", "mia", NEW_SPANISH)

    versions = in_session(ctx, lambda s: edits.publish(ctx, s, list(english.names.values()), "mia", MONDAY))
    assert versions == [] and in_session(ctx, edits.drafts).keys() == {SPANISH_CHECKIN}

    in_session(ctx, lambda s: edits.publish(ctx, s, list(spanish.names.values()), "mia", MONDAY))
    assert set(in_session(ctx, edits.published)) == {SPANISH_CHECKIN}
    assert in_session(ctx, lambda s: edits.history(s, CHECKIN)) == []


def test_the_worker_sends_each_client_their_language_s_published_copy_and_a_restored_one(ctx):
    in_session(
        ctx, lambda s: edits.save_draft(ctx, s, {SPANISH_CHECKIN: NEW_SPANISH, CHECKIN: NEW_ENGLISH}, "mia", MONDAY)
    )
    in_session(ctx, lambda s: edits.publish(ctx, s, [SPANISH_CHECKIN], "mia", MONDAY))

    assert text_to(ctx, "es1", "es", "+16125550110").startswith("Northside Massage: Ann, ¿qué tal su dolor hoy?")
    assert "how is your pain today" not in text_to(ctx, "en1", "en", "+16125550111"), "the English is a draft"

    (shipped,) = [v for v in in_session(ctx, lambda s: edits.history(s, SPANISH_CHECKIN)) if v.author == edits.SHIPPED]
    in_session(ctx, lambda s: edits.restore(s, shipped.id, "mia", MONDAY))
    assert "¿cómo va su dolor esta semana?" in text_to(ctx, "es2", "es", "+16125550112")
    assert in_session(ctx, lambda s: edits.drafts(s)[CHECKIN].source) == NEW_ENGLISH


def test_spanish_copy_is_checked_with_the_spanish_deny_words_and_english_with_the_english(ctx):
    in_spanish = "{{ client.first_name }}, ¿cómo va su artritis? Responda del 0 al 10."
    in_english = "Hi {{ client.first_name }}, how is your arthritis? Reply with a number 0-10."

    spanish = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), {SPANISH_CHECKIN: in_spanish}))
    english = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), {CHECKIN: in_english}))
    crossed = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), {CHECKIN: in_spanish}))

    assert any("artritis" in f.message and f.is_error for f in spanish), spanish
    assert {Path(f.path).name for f in spanish} == {"pain-checkin.es.sms.j2"}
    assert any("arthritis" in f.message and f.is_error for f in english), english
    assert not any("artritis" in f.message for f in crossed), "the English list does not hold Spanish words"

    in_session(ctx, lambda s: edits.save_draft(ctx, s, {SPANISH_CHECKIN: in_spanish}, "mia", MONDAY))
    with pytest.raises(edits.CopyHasErrors):
        in_session(ctx, lambda s: edits.publish(ctx, s, [SPANISH_CHECKIN], "mia", MONDAY))
    assert in_session(ctx, edits.published) == {}


def test_a_language_with_no_file_starts_from_the_default_and_is_published_as_a_new_template(french):
    ctx, step = french, checkin_step(french)
    before = in_session(ctx, lambda s: edits.step_copy(ctx, s, step, "fr"))
    assert (set(before.missing), before.sources()) == ({"email", "sms"}, {})
    assert before.names["sms"] == "checkin/pain-checkin.fr.sms.j2"

    started = in_session(ctx, lambda s: edits.start_from_default(ctx, s, step, "fr", "mia", MONDAY))
    assert started == ["checkin/pain-checkin.fr.email.j2", "checkin/pain-checkin.fr.sms.j2"]
    drafted = in_session(ctx, lambda s: edits.step_copy(ctx, s, step, "fr"))
    assert drafted.missing == () and drafted.sms == (ROOT / "templates" / CHECKIN).read_text(encoding="utf-8")
    assert in_session(ctx, lambda s: edits.start_from_default(ctx, s, step, "fr", "mia", MONDAY)) == []

    french_copy = "{{ client.first_name }}, comment va votre douleur ? Répondez de 0 à 10 (0 = aucune)."
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {"checkin/pain-checkin.fr.sms.j2": french_copy}, "mia", MONDAY))
    versions = in_session(ctx, lambda s: edits.publish(ctx, s, list(drafted.names.values()), "mia", MONDAY))
    edits.refresh_published(ctx)

    assert [(v.name, v.note) for v in versions] == [
        ("checkin/pain-checkin.fr.email.j2", "published as a new file"),
        ("checkin/pain-checkin.fr.sms.j2", "published as a new file"),
    ]
    assert not any(v.author == edits.SHIPPED for v in versions)
    assert "comment va votre douleur" in text_to(ctx, "fr1", "fr", "+16125550120")
    assert "comment va votre douleur" not in text_to(ctx, "en1", "en", "+16125550121")
    assert not (ROOT / "templates" / "checkin" / "pain-checkin.fr.sms.j2").exists()


def test_the_default_language_cannot_be_started_from_itself(ctx):
    with pytest.raises(ValueError, match="default language"):
        in_session(ctx, lambda s: edits.start_from_default(ctx, s, checkin_step(ctx), "en", "mia", MONDAY))


def test_a_missing_translation_of_one_channel_starts_that_channel_only(no_spanish_text):
    ctx, step = no_spanish_text, checkin_step(no_spanish_text)
    email_before = in_session(ctx, lambda s: edits.step_copy(ctx, s, step, "es")).email

    started = in_session(ctx, lambda s: edits.start_from_default(ctx, s, step, "es", "mia", MONDAY))
    after = in_session(ctx, lambda s: edits.step_copy(ctx, s, step, "es"))

    assert started == [SPANISH_CHECKIN]
    assert after.sms == (ROOT / "templates" / CHECKIN).read_text(encoding="utf-8")
    assert after.email == email_before and after.missing == ()
