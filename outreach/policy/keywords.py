"""What an inbound text asks for: opt out, opt back in, help, or a pain score reply. Pure: no clock, no database.

Keywords follow Twilio's defaults and the FCC's additions, matched against the whole message in any case
(a trailing "." or "!" is forgiven: "Stop." is as clear as "STOP"). With Twilio's Advanced Opt-Out the
webhook says what Twilio decided in OptOutType, and that wins over our own matching.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Keyword(StrEnum):
    stop = "stop"
    start = "start"
    help = "help"
    other = "other"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

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


def parse_score(body: str) -> int | None:
    """A 0-10 pain rating written as a bare number or one of the common short forms, else None."""
    match = _SCORE.match(_normalise(body))
    if match is None:
        return None
    score = int(match["score"])
    return score if 0 <= score <= 10 else None
