"""What an inbound text asks for: opt out, opt back in, help, or a pain score reply. Pure: no clock, no database.

Keywords follow Twilio's defaults and the FCC's additions, matched against the whole message in any case
(a trailing "." or "!" is forgiven: "Stop." is as clear as "STOP"). With Twilio's Advanced Opt-Out the
webhook says what Twilio decided in OptOutType, and that wins over our own matching.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    stop = "stop"
    start = "start"
    help = "help"
    other = "other"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

# Keywords that say which language to answer in, from a known number or not: "ALTO" is answered in Spanish.
KEYWORD_LANGUAGES = {
    "es": frozenset({"ALTO", "PARAR", "PARA", "PAREN", "BAJA", "CANCELAR", "DETENER", "BASTA", "AYUDA"}),
}
# A keyword answers in its language only in a short text: in a sentence, the sentence's language decides.
_KEYWORD_TEXT_WORDS = 4

_WORDS = {Keyword.stop: STOP_WORDS, Keyword.start: START_WORDS, Keyword.help: HELP_WORDS}

# "7", "7/10", "7 / 10", "7 out of 10", "pain 4", "Pain: 4", "my pain is 4/10".
_SCORE = re.compile(
    r"""^(?:(?:my\s+)?pain(?:\s+(?:is|level|score))?\s*[:=\-]?\s*)?
        (?P<score>\d{1,2})
        (?:\s*(?:/|out\s+of|of)\s*10)?$""",
    re.IGNORECASE | re.VERBOSE,
)


def _normalise(body: str) -> str:
    return body.strip().rstrip(".!").strip()


def classify(body: str, opt_out_type: str | None = None) -> Keyword:
    """The keyword a text is, or Keyword.other. OptOutType (STOP, START, HELP) from Twilio wins."""
    if opt_out_type:
        try:
            return Keyword(opt_out_type.strip().lower())
        except ValueError:
            pass
    word = _normalise(body).upper()
    for keyword, words in _WORDS.items():
        if word in words:
            return keyword
    return Keyword.other


def keyword_language(body: str) -> str:
    """The language a short keyword text is in ("ALTO", "Ayuda por favor": "es"), or "" when it names none."""
    plain = unicodedata.normalize("NFKD", body).encode("ascii", "ignore").decode().upper()
    words = re.findall(r"[A-Z]+", plain)
    if not words or len(words) > _KEYWORD_TEXT_WORDS:
        return ""
    return next((language for language, keywords in KEYWORD_LANGUAGES.items() if keywords & set(words)), "")


def parse_score(body: str) -> int | None:
    """A 0-10 pain rating written as a bare number or one of the common short forms, else None."""
    match = _SCORE.match(_normalise(body))
    if match is None:
        return None
    score = int(match["score"])
    return score if 0 <= score <= 10 else None
