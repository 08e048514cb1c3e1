"""Typos of the opt-out vocabulary, read as the word meant: "sotp" → "stop", "unsubscibe" → "unsubscribe".
Pure: no clock, no database.

Fuzzy matching (rapidfuzz's optimal string alignment distance) is allowed only where it cannot turn an ordinary
word into a keyword:

- four-letter keywords ("stop", "quit") accept only two neighbouring letters swapped ("sotp", "stpo", "qiut") or a
  letter doubled ("stoop", "sttop"); never a changed letter, so "shop", "spot", "suit", "top" stay themselves;
- longer words accept one edit from a word of five letters or more (two from "unsubscribe", when the token also
  begins "un": "subscribe" is its opposite), so "end"/"and",
  "quiet"/"quite" and other short words are never touched;
- real words one edit away from the vocabulary ("massage" is not "message", "cancer" is not "cancel") are kept.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

_SHORT = ("stop", "quit")
_LONG = (
    "unsubscribe",
    "unsuscribe",
    "cancel",
    "remove",
    "revoke",
    "optout",
    "texting",
    "messages",
    "mensajes",
    "enviarme",
    "mandarme",
    "cancelar",
    "suscripcion",
    "desuscribirme",
    "recordatorios",
    "reminders",
    "contacting",
)
_KNOWN = frozenset(_SHORT + _LONG)
# Real words within one edit of the vocabulary: a massage clinic hears "massages" and "cancer" every day.
REAL_WORDS = frozenset(
    """massage massages masage message cancer cancers canceled cancels camel remote removed removes revoked
    revokes testing tending texted texts contracting contacted recibi recibio mensaje reminder remainder
    remainders cancela cancelo cancele cancelen contacten contacte contactar contacto subscription subscriptions
    subscribe subscribed subscriber resubscribe resubscribed suscribe suscribir suscribirme recordatorio there
    three theme thesis those thee""".split()
)
_REPEATS = re.compile(r"(.)\1+")


def correct(token: str) -> str:
    """The vocabulary word a token is a typo of, else the token itself."""
    if token in _KNOWN or token in REAL_WORDS or not token.isalpha():
        return token
    if len(token) <= 5:
        for word in _SHORT:
            if _swapped(token, word) or (token != word and _REPEATS.sub(r"\1", token) == word):
                return word
    if len(token) < 5 or len(token) > 16:
        return token
    for word in _LONG:
        limit = 2 if word.startswith("un") and token.startswith("un") else 1  # not "subscribe", "resubscribe"
        if abs(len(word) - len(token)) <= limit and OSA.distance(token, word, score_cutoff=limit) <= limit:
            return word
    return token


def _swapped(token: str, word: str) -> bool:
    """Two neighbouring letters swapped, nothing else: "sotp" for "stop", not "spot"."""
    if len(token) != len(word) or token == word:
        return False
    diffs = [i for i, (a, b) in enumerate(zip(token, word, strict=True)) if a != b]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and token[diffs[0]] == word[diffs[1]]
        and token[diffs[1]] == word[diffs[0]]
    )
