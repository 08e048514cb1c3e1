"""The public pages' catalogs (outreach/web/locale): every word the pages say is in them and translated, with the
same placeholders; the compiled words are the `.po`'s; and the language a page with no client is shown in follows
the browser's Accept-Language among the languages served."""

from __future__ import annotations

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from outreach.settings import Settings
from outreach.web import i18n
from outreach.web.i18n import LOCALE_DIR, catalog_path, negotiated_language, preferred, translations

WEB = LOCALE_DIR.parent
SETTINGS = Settings(languages={"served": ["en", "es"]})


def translated_languages() -> list[str]:
    return sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po"))


def catalog(path):  # noqa: ANN001, ANN201  (babel Catalog)
    with path.open("rb") as po:
        return read_po(po)


def words_in_the_sources() -> set[str | tuple[str, ...]]:
    """What `pybabel extract -F outreach/web/locale/babel.cfg` finds today: a word, or a word and its plural."""
    with (LOCALE_DIR / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(WEB, method_map, options_map, DEFAULT_KEYWORDS)
    return {message if isinstance(message, str) else tuple(message[:2]) for _, _, message, _, _ in found}


def test_the_template_holds_every_word_the_public_pages_say():
    template = {message.id for message in catalog(LOCALE_DIR / "messages.pot") if message.id}

    assert template == words_in_the_sources()


@pytest.mark.parametrize("language", translated_languages())
def test_each_language_translates_every_word_with_the_same_placeholders(language):
    words = catalog(catalog_path(language))
    template = {message.id for message in catalog(LOCALE_DIR / "messages.pot") if message.id}

    assert {message.id for message in words if message.id} == template
    untranslated = [message.id for message in words if message.id and not all(_strings(message.string))]
    assert untranslated == [] and [m.id for m in words if m.id and m.fuzzy] == [] and not words.obsolete
    assert [(message.id, errors) for message, errors in words.check()] == []


def test_the_words_a_page_uses_are_the_po_files():
    words = catalog(catalog_path("es"))
    spanish = translations("es")

    for message in words:
        if message.id and isinstance(message.id, str):
            assert spanish.gettext(message.id) == message.string, message.id
    assert spanish.gettext("Send my answer") == "Enviar mi respuesta"
    assert spanish.ngettext("%(count)s week", "%(count)s weeks", 1) == "%(count)s semana"
    assert spanish.ngettext("%(count)s week", "%(count)s weeks", 8) == "%(count)s semanas"


def test_the_source_language_and_one_without_a_catalog_use_the_templates_own_words():
    for language in ("en", "zz"):
        assert type(translations(language)) is NullTranslations
        assert translations(language).gettext("Send my answer") == "Send my answer"


def test_the_spanish_hour_takes_its_article():
    spanish = translations("es")

    assert spanish.ngettext("at %(time)s", "at %(time)s", 1) == "a la %(time)s"
    assert [spanish.ngettext("at %(time)s", "at %(time)s", n) for n in (0, 3, 13, 21)] == ["a las %(time)s"] * 4


@pytest.mark.parametrize(
    "header, expected",
    [
        ("es-MX,es;q=0.9,en;q=0.8", ["es-MX", "es", "en"]),
        ("en;q=0.5, es", ["es", "en"]),
        ("fr;q=0, es;q=0.1, *;q=0.5", ["es"]),
        ("es;q=high, en", ["en"]),
        ("", []),
    ],
)
def test_accept_language_is_read_most_wanted_first(header, expected):
    assert preferred(header) == expected


@pytest.mark.parametrize(
    "header, expected",
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("ES", "es"),
        ("fr-CA, fr;q=0.9, es;q=0.4", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr, de", "en"),
        ("", "en"),
        ("garbage;;;,,,", "en"),
    ],
)
def test_a_page_with_no_client_follows_the_browser_among_the_languages_served(header, expected):
    assert negotiated_language(SETTINGS, header) == expected


def test_a_language_not_served_is_never_chosen_even_with_a_catalog():
    english_only = Settings(languages={"served": ["en"]})

    assert negotiated_language(english_only, "es") == "en"
    assert i18n.chosen_language(english_only, "es") == "en"
    assert i18n.chosen_language(SETTINGS, "fr", "es") == "es"


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else string
