"""Copy per language and phase: which file a message uses, what falls back, and texts that fit any name."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from outreach.policy.segments import count_segments
from outreach.rendering import Renderer
from outreach.rendering.names import candidates, language_of, parse
from outreach.rendering.templates import TooLong
from tests.rendering.test_templates import CAMPAIGN, EMAIL, SETTINGS, STEP, context, templates, write

templates = templates  # the fixture
CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("education/pain-cycle.sms.j2", ("education/pain-cycle", "sms", "", "")),
        ("education/pain-cycle.es.sms.j2", ("education/pain-cycle", "sms", "", "es")),
        ("education/pain-cycle.tapering.sms.j2", ("education/pain-cycle", "sms", "tapering", "")),
        ("education/pain-cycle.lapsed.es.email.j2", ("education/pain-cycle", "email", "lapsed", "es")),
        ("partials/email-book.es.md.j2", ("partials/email-book", "md", "", "es")),
        ("layouts/email.es.html.j2", ("layouts/email", "html", "", "es")),
        ("layouts/sms.j2", ("layouts/sms", "", "", "")),
        ("layouts/sms.es.j2", ("layouts/sms", "", "", "es")),
    ],
)
def test_a_template_name_reads_back_into_its_parts_and_spells_itself_again(name, parts):
    parsed = parse(name)
    assert (parsed.base, parsed.kind, parsed.phase, parsed.language) == parts
    assert str(parsed) == name


def test_lookup_tries_phase_and_language_then_language_then_phase_then_the_default():
    found = candidates("rebook/nudge.sms.j2", "tapering", "es", "en")
    assert [c for c in found if ".en." not in c] == [
        "rebook/nudge.tapering.es.sms.j2",
        "rebook/nudge.es.sms.j2",
        "rebook/nudge.tapering.sms.j2",
        "rebook/nudge.sms.j2",
    ]
    assert language_of("rebook/nudge.sms.j2", "en") == "en" and language_of("rebook/nudge.es.sms.j2", "en") == "es"


def test_a_spanish_client_gets_the_spanish_copy_and_layout(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }}.")
    write(templates, "hello.es.sms.j2", "Hola, {{ client.first_name }}.")
    write(templates, "layouts/sms.es.j2", "{{ clinic.sms_name }} (es): {{ body }}")
    renderer = Renderer(SETTINGS, templates)

    spanish = renderer.render(CAMPAIGN, STEP, "sms", context("Lucía", language="es"))
    english = renderer.render(CAMPAIGN, STEP, "sms", context("Ann"))

    assert (spanish.text, spanish.language) == ("Northside Massage (es): Hola, Lucía.", "es")
    assert (english.text, english.language) == ("Northside Massage: Hi Ann.", "en")


def test_a_missing_translation_goes_out_in_the_default_language_dates_and_all(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }}, see you {{ visit.day }} at {{ visit.time }}.")
    renderer = Renderer(SETTINGS, templates)
    visit = datetime(2026, 12, 9, 10, 0, tzinfo=CHICAGO)

    rendered = renderer.render(
        CAMPAIGN, STEP, "sms", context("Lucía", language="es", visit_at_local=visit, today=date(2026, 12, 1))
    )

    assert rendered.language == "en"
    assert rendered.text == "Northside Massage: Hi Lucía, see you on Wednesday at 10:00 AM."


def test_dates_and_weeks_are_said_in_the_clients_language(templates):
    write(
        templates, "hello.es.sms.j2", "{{ visit.day }}, {{ visit.date }}, {{ visit.time }}; {{ interval_weeks|weeks }}"
    )
    write(templates, "hello.sms.j2", "unused")
    renderer = Renderer(SETTINGS, templates)
    visit = datetime(2026, 12, 9, 10, 0, tzinfo=CHICAGO)

    def said(today, days):
        values = context(language="es", visit_at_local=visit, today=today, interval_days=days)
        return renderer.render(CAMPAIGN, STEP, "sms", values).text.split(": ", 1)[1]

    assert said(date(2026, 12, 1), 14) == "el miércoles, miércoles 9 de diciembre, 10:00; 2 semanas"
    assert said(date(2026, 12, 8), 7).startswith("mañana,") and said(date(2026, 12, 8), 7).endswith("una semana")
    assert said(date(2026, 12, 9), None).startswith("hoy,") and said(date(2026, 12, 9), None).endswith("unas semanas")


def test_an_include_from_a_spanish_template_loads_the_spanish_partial(templates):
    write(templates, "partials/book.md.j2", "Book now.")
    write(templates, "partials/book.es.md.j2", "Reserve ya.")
    write(templates, "hello.email.j2", EMAIL)
    write(templates, "hello.es.email.j2", EMAIL.replace("[book here]", '{% include "partials/book.md.j2" %} [aquí]'))
    write(templates, "hello.sms.j2", '{% include "partials/book.md.j2" %}')
    renderer = Renderer(SETTINGS, templates)

    spanish = renderer.render(CAMPAIGN, STEP, "email", context(language="es"))
    english = renderer.render(CAMPAIGN, STEP, "sms", context())

    assert "Reserve ya." in spanish.text and "Book now." not in spanish.text
    assert english.text.endswith("Book now.")


def test_a_phase_variant_is_used_in_its_phase_only(templates):
    write(templates, "hello.sms.j2", "Default.")
    write(templates, "hello.tapering.sms.j2", "Tapering.")
    renderer = Renderer(SETTINGS, templates)

    assert renderer.render(CAMPAIGN, STEP, "sms", context(phase="tapering", interval_days=14)).text.endswith(
        "Tapering."
    )
    assert renderer.render(CAMPAIGN, STEP, "sms", context()).text.endswith("Default.")


def test_a_lesson_text_links_the_lesson_page_in_the_clients_language(templates):
    write(templates, "hello.sms.j2", "{{ lesson_url }}")
    write(templates, "hello.es.sms.j2", "{{ lesson_url }}")
    renderer = Renderer(SETTINGS, templates)

    assert renderer.render(CAMPAIGN, STEP, "sms", context(language="es")).text.endswith("/learn/es/hello")
    assert renderer.render(CAMPAIGN, STEP, "sms", context()).text.endswith("/learn/hello")


LONG = "Hi {{ client.first_name }}, " + "this text says a good deal more than it needs to. " * 3
SHORT = "{% block short %}Hi, a short one.{% endblock %}"


def test_the_full_text_leaves_its_short_block_out(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }}.\n" + SHORT)
    renderer = Renderer(SETTINGS, templates)

    assert renderer.render(CAMPAIGN, STEP, "sms", context()).text == "Northside Massage: Hi Ann."
    assert renderer.render_short(CAMPAIGN, STEP, context()).text == "Northside Massage: Hi, a short one."


def test_a_text_over_max_segments_sends_its_short_block(templates):
    write(templates, "hello.sms.j2", LONG + SHORT)
    renderer = Renderer(SETTINGS, templates)

    fits = renderer.render_within(CAMPAIGN, STEP, "sms", context("Ann"), max_segments=2)
    long_name = renderer.render_within(CAMPAIGN, STEP, "sms", context("Joaquín María"), max_segments=1)

    assert "good deal" in fits.text
    assert long_name.text == "Northside Massage: Hi, a short one."


def test_a_text_that_cannot_fit_is_refused_with_its_size(templates):
    write(templates, "hello.sms.j2", LONG * 2)
    renderer = Renderer(SETTINGS, templates)
    full = renderer.render(CAMPAIGN, STEP, "sms", context("Zoë"))

    with pytest.raises(TooLong) as refused:
        renderer.render_within(CAMPAIGN, STEP, "sms", context("Zoë"), max_segments=2)

    assert refused.value.segments == count_segments(full.text).segments > 2
    assert str(refused.value) == f"Too long: {refused.value.segments} segments"


def test_quick_replies_list_one_name_for_all_their_languages(templates):
    write(templates, "quick-replies/thanks.sms.j2", "Thanks!")
    write(templates, "quick-replies/thanks.es.sms.j2", "¡Gracias!")
    renderer = Renderer(SETTINGS, templates)

    assert renderer.quick_replies() == ["thanks"]
    assert renderer.render_quick_reply("thanks", context(language="es")) == "¡Gracias!"
