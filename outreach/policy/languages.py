"""A client's language as people write it: "es", "ES", "es-MX", "Spanish", "Español" or "espanol" are all `es`.

Names come from Babel's locale data (each served language's name in English, in itself and in every other served
language), so adding a language to `[languages] served` needs no word list here. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError


class UnknownLanguage(ValueError):
    """A language that is not among those served; the message lists them."""


def language_tag(value: str, served: tuple[str, ...]) -> str:
    """The served language `value` names (a BCP 47 tag with or without a region, or the language's name in
    English or in any served language), or raises UnknownLanguage."""
    found = _names(served).get(_plain(value))
    if found is None:
        primary = _plain(value).replace("_", "-").split("-")[0]
        found = primary if primary in served else None
    if found is None:
        raise UnknownLanguage(f"unknown language {value.strip()!r}; use one of {', '.join(_choices(served))}")
    return found


def language_name(tag: str, in_language: str = "en") -> str:
    """A language's name as a person reads it: "Spanish", or "español" in Spanish."""
    try:
        name = Locale.parse(tag).get_display_name(in_language) or tag
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:] if in_language == "en" else name


@lru_cache(maxsize=8)
def _names(served: tuple[str, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for tag in served:
        names[tag] = tag
        for reader in ("en", *served):
            names[_plain(language_name(tag, reader))] = tag
    return names


def _choices(served: tuple[str, ...]) -> list[str]:
    return [f"{tag} ({language_name(tag)})" for tag in served]


def _plain(value: str) -> str:
    """Lower case without accents: "Español" and "espanol" read alike."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
