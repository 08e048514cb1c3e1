"""The public pages in the client's language. A lesson's Spanish text links `/learn/es/LESSON`, the Spanish email's
words; `/learn/LESSON` stays the default language. The unsubscribe, check-in and preference pages (confirmations
and errors too) are in the language of the client their signed link names, and say it in `<html lang>`; a link
that names no client follows the browser's Accept-Language. The preference page sets the client's language."""

from __future__ import annotations

import html
import re
import shutil
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.context import Context
from outreach.models import AuditEntry, Client
from outreach.rendering import sample_context
from outreach.services.lessons import lesson_steps
from outreach.signed_links import make_checkin_token, make_preference_token, make_unsubscribe_token
from outreach.web.i18n import LOCALE_DIR
from tests.conftest import ROOT, utc
from tests.desk import page_text
from tests.helpers import add_client, load, web_client
from tests.test_shipped_campaigns import email_body
from tests.web.public.test_checkin_email import sent_checkin
from tests.web.public.test_preferences import form

NOW = utc(2026, 3, 2, 16, 0)  # Monday 10:00 in Chicago
BEFORE = NOW - timedelta(days=30)
EMAIL, PHONE = "maria.lopez@example.org", "+16125550101"


@pytest.fixture
def http(ctx):
    with web_client(ctx, NOW) as client:
        yield client


def client_in(ctx, language: str, first_name: str = "María", external_id: str = "c1") -> int:
    client_id = add_client(ctx, external_id, at=BEFORE, first_name=first_name, email=EMAIL, phone=PHONE)
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        client.language = language
        session.add(client)
        session.commit()
    return client_id


@pytest.fixture
def maria(ctx) -> int:
    return client_in(ctx, "es")


def lang(response) -> str:  # noqa: ANN001
    return re.search(r'<html lang="([^"]*)"', response.text).group(1)


def heading(response) -> str:  # noqa: ANN001
    found = re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found)).split())


def english_sentences() -> list[str]:
    """The pages' English words, from their catalog: each run of words between placeholders and tags."""
    source = (LOCALE_DIR / "messages.pot").read_text()
    words = re.findall(r'^msgid(?:_plural)? "(.+)"$', source, re.M)
    runs = (run.strip(" .,:?") for text in words for run in re.split(r"%\(\w+\)s|<[^>]+>|\\\"", text))
    return sorted({run for run in runs if len(run) >= 12})


def english_left(response) -> list[str]:  # noqa: ANN001
    text = page_text(response)
    return [sentence for sentence in english_sentences() if sentence in text]


def in_spanish(response) -> bool:  # noqa: ANN001
    """Said in Spanish, all of it: `lang`, Content-Language, and none of the pages' English words left."""
    return (
        lang(response) == "es"
        and response.headers["content-language"] == "es"
        and english_left(response) == []
        and "¿Tiene preguntas? Llámenos al" in page_text(response)
    )


# --- lessons ------------------------------------------------------------------------------------------------------


def spanish_lessons(ctx: Context) -> list:
    return [step for step in lesson_steps(ctx.catalog) if ctx.renderer.has_template(step, "email", "es")]


def test_each_spanish_lesson_text_links_a_spanish_page_with_the_whole_spanish_lesson(ctx, http):
    education = ctx.catalog.get("education")
    assert spanish_lessons(ctx)
    for step in spanish_lessons(ctx):
        text = ctx.renderer.render(education, step, "sms", sample_context(ctx.settings, "establishing", "sms", "es"))
        path = re.search(r"https?://\S+(/learn/\S+)", text.text).group(1)

        page = http.get(path)

        assert path == f"/learn/es/{step.key}" and page.status_code == 200, step.key
        email = ctx.renderer.render(education, step, "email", sample_context(ctx.settings, "", "email", "es"))
        assert heading(page) == email.subject and in_spanish(page), step.key
        paragraphs = [p for p in email_body(email.text).split("\n\n")[1:] if p and "<http" not in p]
        for paragraph in paragraphs:
            for item in re.split(r"^- ", paragraph, flags=re.MULTILINE):
                assert " ".join(item.split()) in page_text(page), step.key
        assert "Christopher" not in page.text and "there" not in page_text(page)


def test_the_default_lesson_page_stays_english_whatever_the_browser_asks(ctx, http):
    step = spanish_lessons(ctx)[0]
    english = ctx.renderer.render(
        ctx.catalog.get("education"), step, "email", sample_context(ctx.settings, "tapering", "email")
    )

    page = http.get(f"/learn/{step.key}", headers={"Accept-Language": "es-MX,es;q=0.9"})

    assert page.status_code == 200 and lang(page) == "en" and heading(page) == english.subject
    assert "Questions? Call us at" in page_text(page)


@pytest.mark.parametrize("segment", ["ES", "es-MX", "Spanish", "español"])
def test_a_lesson_url_names_the_language_as_people_write_it(ctx, http, segment):
    step = spanish_lessons(ctx)[0]

    page = http.get(f"/learn/{segment}/{step.key}")

    assert page.status_code == 200 and lang(page) == "es"


@pytest.mark.parametrize("segment", ["fr", "zz", "x" * 40, "en"])
def test_a_language_not_served_shows_the_default_lesson(ctx, http, segment):
    step = spanish_lessons(ctx)[0]

    page = http.get(f"/learn/{segment}/{step.key}")

    assert page.status_code == 200 and lang(page) == "en"
    assert heading(page) == heading(http.get(f"/learn/{step.key}"))


def test_a_lesson_not_yet_translated_shows_the_default_page(ctx, tmp_path):
    step = spanish_lessons(ctx)[0]
    templates = shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (templates / f"{step.template}.es.email.j2").unlink()
    untranslated = Context(ctx.settings, campaigns_dir=ROOT / "campaigns", templates_dir=templates)

    with web_client(untranslated, NOW) as http:
        page = http.get(f"/learn/es/{step.key}")
        english = http.get(f"/learn/{step.key}")

    assert page.status_code == 200 and lang(page) == "en" and heading(page) == heading(english)
    assert page.headers["content-language"] == "en" and "Questions? Call us at" in page_text(page)


def test_an_unknown_lesson_says_so_in_the_urls_language_or_the_browsers(http):
    spanish = http.get("/learn/es/no-such-lesson")
    asked = http.get("/learn/no-such-lesson", headers={"Accept-Language": "es"})
    plain = http.get("/learn/no-such-lesson")

    assert spanish.status_code == asked.status_code == plain.status_code == 404
    assert in_spanish(spanish) and in_spanish(asked) and "No encontramos esta lección" in page_text(spanish)
    assert lang(plain) == "en" and "We couldn't find this lesson" in page_text(plain)


# --- unsubscribe --------------------------------------------------------------------------------------------------


def unsubscribe_path(ctx, client_id: int, channel: str = "email", stream: str = "") -> str:
    return f"/unsubscribe/{make_unsubscribe_token(ctx.secret_key, client_id, channel, 'education', stream)}"


def test_the_unsubscribe_page_and_what_it_lands_on_are_in_the_clients_language(ctx, http, maria):
    page = http.get(unsubscribe_path(ctx, maria, stream="education"))
    stopped = http.post(unsubscribe_path(ctx, maria, stream="education"), data={"List-Unsubscribe": "One-Click"})
    everything = http.post(unsubscribe_path(ctx, maria), data={"channels": "all"})

    assert page.status_code == stopped.status_code == everything.status_code == 200
    assert in_spanish(page) and in_spanish(stopped) and in_spanish(everything)
    assert "Hola, María: este enlace es para m***@example.org." in page_text(page)
    assert "Solo los correos con consejos" in page_text(page) and "Darme de baja" in page_text(page)
    assert heading(stopped) == "Ya no recibirá correos con consejos"
    assert "No le enviaremos más correos ni mensajes de texto." in page_text(everything)


def test_a_link_by_text_names_the_number_in_the_clients_language(ctx, http, maria):
    page = http.get(unsubscribe_path(ctx, maria, channel="sms"))

    assert in_spanish(page) and "este enlace es para el número •••• 0101." in page_text(page)


def test_the_clients_language_wins_over_the_browsers(ctx, http):
    ann = client_in(ctx, "en", "Ann")

    page = http.get(unsubscribe_path(ctx, ann), headers={"Accept-Language": "es"})

    assert lang(page) == "en" and "Hi Ann, this link is for m***@example.org." in page_text(page)


def test_a_client_whose_language_is_no_longer_served_reads_the_default(ctx, http):
    client_id = client_in(ctx, "fr")

    page = http.get(unsubscribe_path(ctx, client_id), headers={"Accept-Language": "es"})

    assert lang(page) == "en" and "Stop messages from us?" in page_text(page)


@pytest.mark.parametrize("header, expected", [("es-US,es;q=0.9,en;q=0.5", "es"), ("fr-CA,fr", "en"), ("", "en")])
def test_a_link_that_names_no_client_follows_the_browser(ctx, http, header, expected):
    headers = {"Accept-Language": header} if header else {}
    pages = [
        http.get("/unsubscribe/not-a-token", headers=headers),
        http.get(unsubscribe_path(ctx, 99999), headers=headers),  # genuine, but no such client
        http.get("/checkin/not-a-token/4", headers=headers),
        http.get("/preferences/not-a-token", headers=headers),
    ]

    assert [(page.status_code, lang(page)) for page in pages] == [(400, expected)] * 4
    assert all(page.headers["vary"] == "Accept-Language" for page in pages)
    if expected == "es":
        assert all(in_spanish(page) and heading(page) == "No pudimos usar este enlace" for page in pages)


# --- check-in -----------------------------------------------------------------------------------------------------


def checkin_path(ctx, client_id: int, message_id: int, answer: int) -> str:
    return f"/checkin/{make_checkin_token(ctx.secret_key, client_id, message_id)}/{answer}"


def test_the_checkin_pages_are_in_the_clients_language(ctx, http, maria):
    message_id = sent_checkin(ctx, maria, NOW)

    asked = http.get(checkin_path(ctx, maria, message_id, 4))
    done = http.post(checkin_path(ctx, maria, message_id, 4))
    again = http.get(checkin_path(ctx, maria, message_id, 5))

    assert asked.status_code == done.status_code == 200 and in_spanish(asked) and in_spanish(done)
    assert heading(asked) == "Hola, María: ¿es esta su respuesta?" and "Enviar mi respuesta" in page_text(asked)
    assert heading(done) == "Gracias, María" and "Recibimos su respuesta: 4" in page_text(done)
    # The reply window closes 48 hours after Monday 10:00 in Chicago.
    assert "hasta el miércoles a las 10:00" in page_text(done)
    assert in_spanish(again) and "reemplazará a la anterior" in page_text(again)


def test_the_hour_one_takes_the_singular_in_spanish(ctx, http, maria):
    message_id = sent_checkin(ctx, maria, utc(2026, 3, 2, 7, 0))  # 01:00 in Chicago

    done = http.post(checkin_path(ctx, maria, message_id, 3))

    assert "hasta el miércoles a la 1:00 y reemplazará a este." in page_text(done)


def test_an_expired_checkin_link_says_so_in_the_clients_language(ctx, http, maria):
    message_id = sent_checkin(ctx, maria, NOW - timedelta(days=5))

    closed = http.post(checkin_path(ctx, maria, message_id, 4))

    assert closed.status_code == 410 and in_spanish(closed) and heading(closed) == "Este enlace ya venció"
    assert "Gracias por querer responder, María." in page_text(closed)


def test_the_english_checkin_keeps_its_words_and_its_clock(ctx, http):
    ann = client_in(ctx, "en", "Ann")
    message_id = sent_checkin(ctx, ann, NOW)

    done = http.post(checkin_path(ctx, ann, message_id, 4))

    assert lang(done) == "en" and "until Wednesday at 10:00 AM, and it replaces this one" in page_text(done)


def test_a_client_with_no_first_name_is_greeted_without_one(ctx, http):
    nameless = client_in(ctx, "es", " ")
    message_id = sent_checkin(ctx, nameless, NOW)

    asked = http.get(checkin_path(ctx, nameless, message_id, 4))

    assert heading(asked) == "¿Es esta su respuesta?" and "there" not in page_text(asked)


# --- the preference page ------------------------------------------------------------------------------------------


def preferences_path(ctx, client_id: int, at=NOW) -> str:  # noqa: ANN001
    return f"/preferences/{make_preference_token(ctx.secret_key, client_id, 'email', EMAIL, at)}"


def test_the_preference_page_is_in_the_clients_language_and_offers_each_language_in_its_own(ctx, http, maria):
    page = http.get(preferences_path(ctx, maria))

    assert page.status_code == 200 and in_spanish(page)
    assert heading(page) == "Hola, María: elija qué le enviamos" and "Guardar mis preferencias" in page.text
    offered = re.findall(
        r'<input type="radio" name="language" value="(\w+)"( checked)?> <span lang="(\w+)">(\w+)<', page.text
    )
    assert offered == [("en", "", "en", "English"), ("es", " checked", "es", "Español")]


def test_choosing_a_language_sets_the_clients_and_the_page_follows(ctx, http, maria):
    saved = http.post(preferences_path(ctx, maria), data=form(language="en"), follow_redirects=False)
    page = http.get(saved.headers["location"])

    assert saved.status_code == 303 and load(ctx, Client, maria).language == "en"
    assert lang(page) == "en" and "Saved. Your choices apply from now on." in page_text(page)
    assert 'value="en" checked>' in page.text
    with Session(ctx.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "client.language")).all()
    assert [(e.actor, e.client_id, e.detail) for e in entries] == [("client", maria, "es -> en")]


def test_a_language_the_clinic_does_not_serve_is_refused_and_changes_nothing(ctx, http, maria):
    refused = http.post(preferences_path(ctx, maria), data=form(language="fr", **{"channel-sms": None}))

    assert refused.status_code == 400
    client = load(ctx, Client, maria)
    assert client.language == "es" and client.sms_consent


def test_a_form_that_asks_no_language_keeps_the_clients(ctx, http, maria):
    http.post(preferences_path(ctx, maria), data=form())

    assert load(ctx, Client, maria).language == "es"


def test_a_pause_is_dated_the_spanish_way(ctx, http, maria):
    http.post(preferences_path(ctx, maria), data={"action": "pause", "weeks": "2"})

    page = http.get(preferences_path(ctx, maria))

    assert in_spanish(page) and "En pausa hasta el lunes 16 de marzo" in page_text(page)
    assert "Reanudar ahora" in page_text(page)


def test_an_expired_preference_link_and_its_fresh_link_are_in_the_clients_language(ctx, maria):
    old = preferences_path(ctx, maria, at=NOW - timedelta(days=ctx.settings.web.preference_link_days + 1))
    with web_client(ctx, NOW) as http:
        expired = http.get(old)
        sent = http.post(old, data={"action": "fresh-link"})

    assert expired.status_code == 410 and in_spanish(expired) and heading(expired) == "Este enlace ya venció"
    assert "Podemos enviarle uno nuevo a m***@example.org." in page_text(expired)
    assert in_spanish(sent) and heading(sent) == "Le estamos enviando un enlace nuevo"
