"""`campaigns check` per language served: every template translated, each rendered and checked in its own language
(its deny-word list, its segment target), and every text's size held for long names inside and outside GSM-7."""

import shutil
from pathlib import Path

import pytest

from outreach.campaigns import load_catalog
from outreach.rendering import Renderer
from outreach.rendering.context import LONG_SAMPLE_NAMES, SAMPLE_FIRST_NAME, SAMPLE_NON_GSM_NAME
from outreach.services.campaign_check import Finding, check_campaigns, errors, sms_table
from outreach.settings import Settings
from tests.conftest import FIXTURES

FIXTURE_TEMPLATES = FIXTURES / "broken_campaigns" / "templates"
SETTINGS = Settings(
    sms={"target_segments": 1, "max_segments": 2, "price_per_segment": 0.0083},
    languages={"served": ["en", "es"], "required": [], "es": {"target_segments": 2}},
    compliance={"deny_words": {"en": ["medication"], "es": ["medicament"]}},
)
# 80 characters with the clinic's name and the opt-out line: one GSM-7 segment for Christopher; two UCS-2 segments
# for Joaquín María.
SHORT_ENOUGH = "Hi {{ client.first_name }}, time to book."
# About 140 characters: one GSM-7 segment for Christopher, three UCS-2 segments for Joaquín María.
LONG_FOR_SOME = "Hi {{ client.first_name }}, it's been a while since your last massage; book your visit when it suits."
# The layouts and replies of a small project, and their Spanish copies.
SPANISH = {
    "layouts/sms.es.j2": "{{ clinic.name }}: {{ body }}{% if stop_notice %} Baja: STOP.{% endif %}",
    "layouts/email.es.html.j2": (FIXTURE_TEMPLATES / "layouts" / "email.html.j2").read_text(),
    "layouts/email.es.txt.j2": (FIXTURE_TEMPLATES / "layouts" / "email.txt.j2").read_text(),
    **{
        f"replies/{path.name.replace('.sms.j2', '.es.sms.j2')}": "La respuesta."
        for path in (FIXTURE_TEMPLATES / "replies").glob("*.sms.j2")
    },
}


def project(tmp_path: Path, files: dict[str, str], channels: str = '["sms"]') -> tuple[Path, Path]:
    """A campaign with one step (lesson/hello) and `files` over the layouts, replies and their Spanish copies."""
    campaigns, templates = tmp_path / "campaigns", tmp_path / "templates"
    campaigns.mkdir()
    (campaigns / "lesson.toml").write_text(
        'name = "lesson"\ntitle = "Lesson"\nstream = "education"\n\n'
        f'[[steps]]\nkey = "hello"\ntemplate = "lesson/hello"\nchannels = {channels}\n'
    )
    for folder in ("layouts", "replies"):
        shutil.copytree(FIXTURE_TEMPLATES / folder, templates / folder)
    for name, source in {**SPANISH, **files}.items():
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        (templates / name).write_text(source, encoding="utf-8")
    return campaigns, templates


def check(tmp_path: Path, files: dict[str, str], settings: Settings = SETTINGS, **options) -> list[Finding]:
    return check_campaigns(*project(tmp_path, files, **options), settings)


def about(findings: list[Finding], name: str) -> list[str]:
    return [f"{'warning: ' if not f.is_error else ''}{f.message}" for f in findings if f.path.name == name]


def test_the_sample_names_are_long_and_one_is_outside_gsm7():
    assert LONG_SAMPLE_NAMES == (SAMPLE_FIRST_NAME, SAMPLE_NON_GSM_NAME)
    assert all(len(name) >= 11 for name in LONG_SAMPLE_NAMES)
    assert SAMPLE_FIRST_NAME.isascii() and not SAMPLE_NON_GSM_NAME.isascii()


def test_a_translated_project_has_nothing_to_report(tmp_path):
    findings = check(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": "Hola, reserve."})

    assert [str(f) for f in findings] == []


def test_a_missing_translation_is_a_warning_naming_the_missing_file(tmp_path):
    campaigns, templates = project(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH})

    findings = check_campaigns(campaigns, templates, SETTINGS)

    assert [str(f) for f in findings] == [
        f"{templates}/lesson/hello.es.sms.j2:1: warning: no Spanish copy; Spanish clients get the English"
    ]


def test_a_missing_translation_of_a_required_language_is_an_error(tmp_path):
    required = Settings(
        **{**SETTINGS.model_dump(), "languages": {**SETTINGS.languages.model_dump(), "required": ["es"]}}
    )

    findings = check(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH}, required)

    assert [f.message for f in errors(findings)] == [
        "no Spanish copy; Spanish clients get the English, and Spanish is required (languages.required)"
    ]


@pytest.mark.parametrize(
    "missing",
    ["layouts/sms.es.j2", "layouts/email.es.html.j2", "replies/help.es.sms.j2", "replies/scope-kept.es.sms.j2"],
)
def test_layouts_and_replies_need_their_translation_too(tmp_path, missing):
    campaigns, templates = project(
        tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": "Hola, reserve."}
    )
    (templates / missing).unlink()

    findings = check_campaigns(campaigns, templates, SETTINGS)

    assert [str(f) for f in findings] == [
        f"{templates}/{missing}:1: warning: no Spanish copy; Spanish clients get the English"
    ]


def test_a_partial_and_a_quick_reply_need_their_translation_too(tmp_path):
    files = {
        "lesson/hello.sms.j2": "{% include 'partials/book.md.j2' %}",
        "lesson/hello.es.sms.j2": "{% include 'partials/book.md.j2' %}",
        "partials/book.md.j2": "Book now.",
        "quick-replies/thanks.sms.j2": "Thank you!",
    }

    findings = check(tmp_path, files)

    assert sorted(f"{f.path.parent.name}/{f.path.name}: {f.message}" for f in findings) == [
        "partials/book.es.md.j2: no Spanish copy; Spanish clients get the English",
        "quick-replies/thanks.es.sms.j2: no Spanish copy; Spanish clients get the English",
    ]


def test_a_phase_variant_without_its_translation_sends_the_languages_everyday_copy(tmp_path):
    files = {
        "lesson/hello.sms.j2": SHORT_ENOUGH,
        "lesson/hello.tapering.sms.j2": "Hi {{ client.first_name }}, well done.",
        "lesson/hello.es.sms.j2": "Hola, reserve.",
    }

    findings = check(tmp_path, files)

    assert [(f.path.name, f.message, f.is_error) for f in findings] == [
        (
            "hello.tapering.es.sms.j2",
            "no Spanish copy; Spanish clients in phase 'tapering' get lesson/hello.es.sms.j2",
            False,
        )
    ]


def test_a_translation_in_the_browser_counts_as_written(tmp_path):
    campaigns, templates = project(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH})

    findings = check_campaigns(campaigns, templates, SETTINGS, {"lesson/hello.es.sms.j2": "Hola, reserve."})

    assert [str(f) for f in findings] == []


def test_each_file_is_held_to_the_deny_words_of_its_own_language(tmp_path):
    files = {
        "lesson/hello.sms.j2": "Hi, ask us about medicamentos and medication.",
        "lesson/hello.es.sms.j2": "Hola, pregunte por sus medicamentos o medication.",
    }

    findings = check(tmp_path, files)

    assert about(findings, "hello.sms.j2") == ["deny-listed word 'medication' (compliance.deny_words) in the text"]
    assert about(findings, "hello.es.sms.j2") == ["deny-listed word 'medicament' (compliance.deny_words) in the text"]


def test_an_email_is_checked_in_each_language_with_its_own_layout(tmp_path):
    email = "{% block subject %}SUBJECT{% endblock %}{% block body %}BODY{% endblock %}"
    files = {
        "lesson/hello.email.j2": email.replace("SUBJECT", "Hello").replace("BODY", "Read on."),
        "lesson/hello.es.email.j2": email.replace("SUBJECT", "Hola").replace("BODY", "Sus medicamentos"),
        "layouts/email.es.txt.j2": "{{ body }}\n\nBaja: {{ unsubscribe_url }}",
    }

    findings = check(tmp_path, files, channels='["email"]')

    assert sorted((f.path.name, f.message) for f in findings) == [
        ("email.es.html.j2", "an email part has no preferences link ({{ preferences_url }})"),
        ("email.es.txt.j2", "the plain-text part does not show the postal address ({{ clinic.postal_address }})"),
        ("hello.es.email.j2", "deny-listed word 'medicament' (compliance.deny_words) in the plain-text part"),
    ]


def test_a_text_too_long_for_a_name_outside_gsm7_fails_naming_the_file_and_the_name(tmp_path):
    findings = check(tmp_path, {"lesson/hello.sms.j2": LONG_FOR_SOME, "lesson/hello.es.sms.j2": "Hola."})

    [failure] = errors(findings)
    assert failure.path.name == "hello.sms.j2"
    assert failure.message == (
        f"SMS needs 3 segments (UCS-2, 141 characters) for \"{SAMPLE_NON_GSM_NAME}\" in phase 'establishing'; "
        "the budget is 2 (sms.max_segments)"
    )
    assert len(findings) == 1  # for Christopher it is one GSM-7 segment, within the target


def test_a_short_text_that_fits_is_sent_to_long_names_and_says_so(tmp_path):
    template = LONG_FOR_SOME + "{% block short %}Time to book your next massage.{% endblock %}"

    findings = check(tmp_path, {"lesson/hello.sms.j2": template, "lesson/hello.es.sms.j2": "Hola."})

    [warning] = findings
    assert not warning.is_error and warning.path.name == "hello.sms.j2"
    assert warning.message.startswith(
        f'full text needs 3 segments for "{SAMPLE_NON_GSM_NAME}"; the short text (1) is sent (phase '
    )


def test_a_short_text_too_long_as_well_is_an_error(tmp_path):
    template = LONG_FOR_SOME + "{% block short %}" + LONG_FOR_SOME.replace("Hi", "Hello") + "{% endblock %}"

    findings = check(tmp_path, {"lesson/hello.sms.j2": template, "lesson/hello.es.sms.j2": "Hola."})

    [failure] = errors(findings)
    assert f'for "{SAMPLE_NON_GSM_NAME}"' in failure.message
    assert "its short text 3 segments" in failure.message
    assert failure.message.endswith("the budget is 2 (sms.max_segments), so it is not sent to such names")


def test_the_short_text_is_held_to_the_rules_of_any_text(tmp_path):
    template = SHORT_ENOUGH + "{% block short %}Ask about medication — soon.{% endblock %}"

    findings = check(tmp_path, {"lesson/hello.sms.j2": template, "lesson/hello.es.sms.j2": "Hola."})

    assert sorted(about(findings, "hello.sms.j2")) == [
        "'—' (U+2014) switches the SMS to UCS-2, 70 characters a segment: column 80; use plain quotes and dashes",
        "deny-listed word 'medication' (compliance.deny_words) in the text",
        'warning: the short text needs 2 segments (UCS-2, 78 characters) for "Christopher" in phase '
        "'establishing'; each segment is billed, aim for 1 (sms.target_segments)",
    ]


def test_a_name_that_switches_a_text_to_ucs2_is_held_to_the_maximum_not_the_target(tmp_path):
    # Two UCS-2 segments for Joaquín María, over the English target of 1, within the maximum of 2: nothing to say.
    findings = check(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": "Hola."})

    assert findings == []


def test_each_language_has_its_own_target(tmp_path):
    # Two segments each: UCS-2 in Spanish (accents are spelling), within its target of 2; GSM-7 in English, over 1.
    spanish = (
        "Hola {{ client.first_name }}, ¿cómo está? Ya puede reservar su próxima visita con nosotros, cuando guste."
    )
    english = "Hello! You can book your next visit with us whenever it suits you best; we keep time for you. " * 2

    findings = check(tmp_path, {"lesson/hello.sms.j2": english, "lesson/hello.es.sms.j2": spanish})

    assert about(findings, "hello.es.sms.j2") == []
    assert about(findings, "hello.sms.j2") == [
        "warning: SMS needs 2 segments (GSM-7, 237 characters) for \"Christopher\" in phase 'establishing'; "
        "each segment is billed, aim for 1 (sms.target_segments)"
    ]


def test_a_spanish_text_over_its_target_names_the_languages_setting(tmp_path):
    spanish = "Hola {{ client.first_name }}, ¿cómo está? " + "Ya puede reservar su próxima visita. " * 3

    findings = check(
        tmp_path,
        {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": spanish},
        Settings(**{**SETTINGS.model_dump(), "sms": {"target_segments": 1, "max_segments": 3}}),
    )

    [warning] = about(findings, "hello.es.sms.j2")
    assert warning.startswith("warning: SMS needs 3 segments (UCS-2, ")
    assert warning.endswith("each segment is billed, aim for 2 (languages.es.target_segments)")


def test_accented_letters_are_spelling_but_a_curly_quote_is_flagged(tmp_path):
    files = {
        "lesson/hello.sms.j2": SHORT_ENOUGH,
        "lesson/hello.es.sms.j2": "Hola, ¿qué tal? Aquí está su próxima cita.\nUna \u201cvisita\u201d más.",
    }

    findings = check(tmp_path, files)

    assert about(findings, "hello.es.sms.j2") == [
        "'\u201c' (U+201C) switches the SMS to UCS-2, 70 characters a segment: column 5; use plain quotes and dashes"
    ]
    assert [f.line for f in findings] == [2]


def test_a_reply_is_held_to_the_maximum_in_each_language(tmp_path):
    long_reply = "Para no recibir más mensajes, responda ALTO. Para volver a recibirlos, responda START. " * 2

    findings = check(
        tmp_path,
        {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": "Hola.", "replies/help.es.sms.j2": long_reply},
    )

    [failure] = findings
    assert (failure.path.name, failure.is_error) == ("help.es.sms.j2", True)
    assert failure.message.endswith("the budget is 2 (sms.max_segments)")


def test_the_list_costs_each_language_per_thousand_texts(tmp_path):
    spanish = (
        "Hola {{ client.first_name }}, ¿cómo está? Ya puede reservar su próxima visita con nosotros, cuando guste."
    )
    campaigns, templates = project(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH, "lesson/hello.es.sms.j2": spanish})

    rows = sms_table(load_catalog(campaigns), Renderer(SETTINGS, templates), SETTINGS)

    [lesson] = [row for row in rows if row.campaign == "lesson"]
    assert {phase: count.segments for phase, count in lesson.segments["es"].items() if count} == {
        "establishing": 2,
        "tapering": 2,
        "maintaining": 2,
    }
    assert lesson.segments["en"]["lapsed"] is None  # the education campaign is not sent to lapsed clients
    assert lesson.cost_per_thousand("en", 0.0083) == pytest.approx(8.30)
    assert lesson.cost_per_thousand("es", 0.0083) == pytest.approx(16.60)
    help_row = next(row for row in rows if row.step == "help")
    assert help_row.cost_per_thousand("es", 0.01) == pytest.approx(10.0)


def test_a_translation_written_in_the_browser_only_is_checked_like_a_file(tmp_path):
    campaigns, templates = project(tmp_path, {"lesson/hello.sms.j2": SHORT_ENOUGH})
    spanish = (
        "Hola{% if progress is defined %} {{ progress }}{% endif %}. {% block short %}Sus medicamentos{% endblock %}"
    )

    findings = check_campaigns(campaigns, templates, SETTINGS, {"lesson/hello.es.sms.j2": spanish})

    assert sorted((f.path.name, f.line, f.message) for f in findings) == [
        ("hello.es.sms.j2", 1, "deny-listed word 'medicament' (compliance.deny_words) in the text"),
        (
            "hello.es.sms.j2",
            1,
            "uses deny-listed variable 'progress' (compliance.deny_variables): "
            "health information must never reach a message",
        ),
    ]
