"""The public pages in the reader's language: gettext catalogs made with Babel, one per language, under
`locale/<lang>/LC_MESSAGES/messages.po`. The templates are written in English, the source language.

Each catalog is compiled in memory the first time a page needs it, so a wheel works with no build step and no
`.mo` file can fall behind its `.po`. After changing the words in a public template or module:

    pybabel extract -F outreach/web/locale/babel.cfg -c Translators: --no-location --sort-output \
        --project outreach --version 1 --copyright-holder outreach -o outreach/web/locale/messages.pot outreach/web
    pybabel update --no-wrap -i outreach/web/locale/messages.pot -d outreach/web/locale

then translate what is new or fuzzy (tests/web/public/test_translations.py names it). A language is added with
`pybabel init --no-wrap -l <lang>` (same -i and -d) and its tag in `[languages] served`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import negotiate_locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from outreach.settings import Settings

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the language the templates are written in: it needs no catalog


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_catalog(language: str) -> bool:
    return language == SOURCE_LANGUAGE or catalog_path(language).is_file()


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """The language's words, compiled from its `.po`; the source language's own words for it (or one without a
    catalog)."""
    if language == SOURCE_LANGUAGE or not has_catalog(language):
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def page_languages(settings: Settings) -> tuple[str, ...]:
    """The languages a public page can be shown in: those served that have words, the default first."""
    return tuple(tag for tag in settings.served_languages if has_catalog(tag))


def chosen_language(settings: Settings, *wanted: str) -> str:
    """The first of `wanted` (the client's, then the URL's) that a page can be shown in, else the default."""
    available = page_languages(settings)
    return next((tag for tag in wanted if tag in available), settings.clinic.default_language)


def negotiated_language(settings: Settings, accept_language: str) -> str:
    """For a page that knows no client: the browser's preferred language among the page languages, else the
    default."""
    found = negotiate_locale(preferred(accept_language), page_languages(settings), sep="-", aliases={})
    return found.lower() if found else settings.clinic.default_language


def preferred(accept_language: str) -> list[str]:
    """An Accept-Language header's tags, most wanted first ("es-MX,es;q=0.9,en;q=0.8" -> es-MX, es, en); a tag
    with q=0, a wildcard or an unreadable weight is left out."""
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        weight = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            quality = float(weight)
        except ValueError:
            continue
        if tag.strip() and tag.strip() != "*" and 0 < quality <= 1:
            weighted.append((quality, tag.strip()))
    return [tag for _, tag in sorted(weighted, key=lambda pair: -pair[0])]


@dataclass(frozen=True)
class LocalTime:
    """A moment as a sentence in `language` says it, in the client's time zone: "Wednesday", "3:05 PM"."""

    weekday: str
    time: str
    hour: int  # the hour as the time shows it, for a language whose words depend on it ("a la 1:05", "a las 3:05")


def local_time(at: datetime, zone: str, language: str) -> LocalTime:
    local = at.astimezone(ZoneInfo(zone))
    time = format_time(local, "short", locale=language).replace("\u202f", " ").replace("\xa0", " ")
    shown_hour = re.match(r"\d+", time)
    return LocalTime(
        format_date(local, "EEEE", locale=language), time, int(shown_hour[0]) if shown_hour else local.hour
    )


def local_day(at: datetime, zone: str, language: str) -> str:
    """A day as a sentence in `language` says it, in the client's time zone: "Monday, March 30"."""
    # Translators: a Babel date pattern (EEEE: weekday, MMMM: month, d: day), for a day within a few weeks.
    pattern = translations(language).gettext("EEEE, MMMM d")
    return format_date(at.astimezone(ZoneInfo(zone)), pattern, locale=language)
