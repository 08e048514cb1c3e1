"""Which served language a client's text reads as, "" when it does not say: lingua, offline, for the served
languages only. Its module and models weigh about 95 MB, so it is imported and built on first use, once per
process: the web process pays for it when a text arrives, the CLI never.

Thresholds set on the `dev` rows of tests/fixtures/inbound_corpus.csv (2,026 texts: 1 of 1,731 answers wrong,
85% answered; 0.3 to 0.6 all give one wrong answer, 0.2 three) and then measured once on its `test` rows (361
texts: 312 answers, none wrong, 86% answered). A false suggestion costs a person's attention, a missed one
nothing, so unsure texts give "".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Below this relative distance between the two likeliest languages, the text is unclear.
MIN_RELATIVE_DISTANCE = 0.4
# "ok", "7", "STOP", "gracias": a bare word or two says nothing about the language a person reads.
MIN_WORDS = 3
# Spanglish ("please ya no me manden texts") reads as either language: most of the text must agree.
MIN_SHARE = 0.75
_WORD = re.compile(r"[^\W\d_]{2,}")

_lock = threading.Lock()
_detectors: dict[tuple[str, ...], tuple[LanguageDetector, LanguageDetector] | None] = {}


def detected_language(text: str, served: tuple[str, ...]) -> str:
    """The served language (its BCP 47 tag) `text` clearly reads as, or "" for short, mixed or unclear texts."""
    plain = _unaccented(text)
    if len(_WORD.findall(plain)) < MIN_WORDS:
        return ""
    detectors = _detectors_for(tuple(served))
    if detectors is None:
        return ""
    strict, parts = detectors
    found = strict.detect_language_of(plain)
    if found is None or _share(parts, plain, found) < MIN_SHARE:
        return ""
    return found.iso_code_639_1.name.lower()


def _detectors_for(served: tuple[str, ...]) -> tuple[LanguageDetector, LanguageDetector] | None:
    """Built once per set of served languages (the models are shared): one that declines unclear texts, one that
    reads a text's parts. None when fewer than two are known to lingua: there is nothing to tell apart."""
    with _lock:
        if served not in _detectors:
            _detectors[served] = _build(served)
        return _detectors[served]


def _build(served: tuple[str, ...]) -> tuple[LanguageDetector, LanguageDetector] | None:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = set()
    for tag in served:
        try:
            languages.add(Language.from_iso_code_639_1(IsoCode639_1.from_str(tag.split("-")[0])))
        except ValueError:
            continue  # a language lingua has no model for is never detected
    if len(languages) < 2:
        return None
    strict = LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
    # The parts are read without the distance: with it, a part too close to call is dropped, not counted against.
    return strict.build(), LanguageDetectorBuilder.from_languages(*languages).build()


def _share(detector: LanguageDetector, text: str, language: object) -> float:
    """How much of the text (in characters) reads as `language` when each part is read on its own."""
    parts = detector.detect_multiple_languages_of(text)
    total = sum(part.end_index - part.start_index for part in parts)
    agreeing = sum(part.end_index - part.start_index for part in parts if part.language == language)
    return agreeing / total if total else 0.0


def _unaccented(text: str) -> str:
    """Latin letters without their accents: between English and Spanish an "í" decides alone, so "Thanks, José!"
    would read as Spanish. The words themselves still do. Other scripts keep their marks."""
    kept, base = [], ""
    for char in unicodedata.normalize("NFD", text):
        if not unicodedata.combining(char):
            base = char
        elif base.isascii() and base.isalpha():
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))
