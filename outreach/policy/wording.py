"""How a text is read into clauses before intent looks at it: normalised (fullwidth letters, case, accents, quotes,
spelled-out and spoken punctuation), split at punctuation and at contrasts ("but", "pero", "keep"), and each word
typo-corrected on the opt-out vocabulary (policy.typos). Also the padding around a pain score. Pure: no clock, no
database.
"""

from __future__ import annotations

import re
import unicodedata

from outreach.policy import scope
from outreach.policy.keywords import parse_score
from outreach.policy.typos import correct_words

# Where one clause ends and a contrasting one begins: "stop the tips but keep the reminders".
_CONTRAST = frozenset(
    {"but", "though", "tho", "although", "however", "except", "pero", "sino", "aunque", "excepto", "salvo"}
)
# "...works for me and also stop the tips": a second request begins at "and also", "y también".
_ALSO = frozenset({"also", "tambien"})
_AND = frozenset({"and", "y", "e"})
_KEEP_VERBS = frozenset({"keep", "stick", "sigan", "mantengan", "mantenga", "continue", "continuen"})
_NOT_A_KEEP = frozenset(
    {"you", "u", "they", "me", "no", "que", "nos", "te", "le", "les"}
)  # "why do you keep", "no me sigan"

_QUOTES = re.compile(r"['’‘`´]")
_APOSTROPHE = re.compile(r"(?<=[^\W_])['’´](?=[^\W_])")  # "it's", not a quotation mark
_QUOTED = re.compile(
    r"(?<![^\W_])['‘\"“]([^'‘’\"“”\n]{1,80}?)['’\"”](?=\s(?:texts?|messages?|msgs?|reminders?|emails?|ones|"
    r"stuff|things|mensajes|textos|recordatorios|correos)\b)"
)
_SPOKEN = re.compile(r"\s(?:comma|coma)\s")
_SPOKEN_END = re.compile(r"\s(?:period|full\sstop|punto)\W*$")
_STREAM_NOUN = {"rebook": "rebooking", "education": "tips", "checkin": "checkin", "reminder": "reminder"}
_SPELLED = re.compile(r"\b(?:[^\W\d_][\s.\-]){2,}[^\W\d_]\b")  # "S T O P", "s.t.o.p"
_SPELLED_GAP = re.compile(r"[\s.\-]")
_CLAUSE = re.compile(r"[.!?;,:\n\r()\[\]¡¿]+|\s[-–—]+\s|[–—]+")
_SENTENCE = re.compile(r"([.!?;\n]+)")
TOKEN = re.compile(r"[^\W_]+")
_SCORE_LEAD = re.compile(
    r"^(?:(?:about|around|maybe|probably|prob|like|roughly|a|an|its|it\sis|today\sis|im\sat|i\sam\sat|im|i\sam|"
    r"feeling|currently|today|now|id\ssay|i\sd\ssay|i\swould\ssay|say|hm+|um+|ok|okay|honestly|still|yeah|"
    r"(?:my\s)?pain(?:\s(?:level|score))?(?:\s(?:is|was))?)\b[\s,:]*)+"
)
_NOT_SCORE_CHARS = re.compile(r"[^\w\s/:=.\-]")  # emoji and the like around a score: "6 🙂"
_SCORE_TAIL = re.compile(
    r"(?:ish|[\s,]*\b(?:today|now|right\snow|tonight|this\smorning|this\sweek|thanks|"
    r"thank\syou|thx|or\sso|maybe|i\sthink|probably)\b)+$"
)


def normalise(body: str) -> str:
    """Fullwidth letters to plain ones, case folded, accents and quote marks dropped, spelled-out words joined:
    "ＳＴＯＰ" → "stop", "Don’t" → "dont", "más" → "mas", "S T O P" → "stop"."""
    text = unicodedata.normalize("NFKC", body).casefold()
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    text = _SPELLED.sub(lambda spelled: _SPELLED_GAP.sub("", spelled[0]), text)
    text = _SPOKEN.sub(",", _SPOKEN_END.sub(".", text))  # voice to text: "stop the tips comma I still want..."
    return _QUOTES.sub("", _QUOTED.sub(_quoted, _APOSTROPHE.sub("", text)))


def _quoted(span: re.Match[str]) -> str:
    """A message quoted by its words is one noun: "the 'it's been a while, book now!' texts" → "the rebooking
    texts" (its stream's noun, or the words with their punctuation dropped: it names, it asks nothing)."""
    named = scope.streams(span[1])
    return _STREAM_NOUN[next(iter(named))] if len(named) == 1 else "".join(TOKEN.findall(span[1]))


def clauses(text: str) -> list[str]:
    """Normalised text as clauses of typo-corrected words, split at punctuation and at contrasts."""
    clauses: list[str] = []
    for part in _CLAUSE.split(text):
        current: list[str] = []
        for token in correct_words(TOKEN.findall(part)):
            also = token in _ALSO and current and current[-1] in _AND
            if also or token in _CONTRAST or (token in _KEEP_VERBS and current and current[-1] not in _NOT_A_KEEP):
                clauses.append(" ".join(current))
                current = [] if token in _CONTRAST else [token]
                continue
            current.append(token)
        clauses.append(" ".join(current))
    return [clause for clause in clauses if clause]


def questions(text: str) -> set[str]:
    """The clauses asked as a question: "¿darme de baja cancela mis citas?", "unsubscribing deletes my history?"."""
    parts = _SENTENCE.split(text)  # sentence, its end, sentence, its end...
    asked = [part for part, end in zip(parts[::2], [*parts[1::2], ""], strict=True) if "?" in end or "¿" in part]
    return {clause for part in asked for clause in clauses(part.rsplit("¿", 1)[-1])}


def score(text: str) -> int | None:
    """A pain score, also with the usual padding: "about a 4 today", "6 🙂", "7ish"."""
    plain = " ".join(_NOT_SCORE_CHARS.sub(" ", text).split()).rstrip(".!")
    return parse_score(_SCORE_TAIL.sub("", _SCORE_LEAD.sub("", plain)).strip(" ,"))
