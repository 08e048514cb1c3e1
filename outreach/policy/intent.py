"""What a short inbound text means, in the client's own words. Pure: no clock, no database.

Since April 2025 a revocation "by any reasonable means" must be honoured (FCC 24-24), not only the exact
keywords. The exact CTIA/Twilio keywords (policy.keywords) still decide first and stop all texts. After them,
plain words are read with transparent rules, not a model, over text that is normalised (fullwidth letters, case,
accents, quotes, emoji and punctuation folded away), split into clauses at punctuation and at contrasts ("but",
"pero", "keep"), and typo-corrected on the opt-out vocabulary only (policy.typos: "sotp", "unsubscibe"). The
phrase tables live in policy.phrases, the reading of scope, other people and times of day in policy.scope:

1. a clause about another person's messages ("my husband wants his texts stopped") with nothing asked for the
   sender is Intent.other_person, and one about *when* texts come ("no texts after 6pm") Intent.time_preference:
   neither is ever an opt-out of this number, a person answers;
2. a bare opt-out word padded with politeness ("please stop", "sotp 🙏", "alto por favor"), or a clear phrase in
   English or Spanish ("stop texting me", "I've had enough of these", "make them stop", "no me envíe más",
   "dénme de baja", "ya no deseo recibir mensajes") is an opt-out, unless negated ("don't stop", "no paren");
   policy.scope then reads which channel it names ("sms", "email", "all") and, when another clause keeps
   something ("…but keep the reminders"), the one stream it is limited to;
3. a clause that only keeps ("please don't stop my reminders") is no opt-out at all;
4. otherwise an appointment ("I need to cancel Tuesday's appointment", "running late"), a pain score,
5. and an opt-out word or a complaint that is none of these ("why do you keep texting me", "end" inside a longer
   text) is only a *possible* opt-out: a person decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from outreach.policy import phrases, scope
from outreach.policy.keywords import Keyword, classify, parse_score
from outreach.policy.typos import correct, correct_words


class Intent(StrEnum):
    opt_out = "opt-out"
    possible_opt_out = "possible-opt-out"
    opt_in = "opt-in"
    help = "help"
    score = "score"
    appointment = "appointment"
    other_person = "other-person"  # about another person's messages: a person answers, this number keeps its own
    time_preference = "time-preference"  # about when texts come, not whether
    other = "other"


@dataclass(frozen=True)
class Reading:
    intent: Intent
    keyword: bool = False  # an exact CTIA/Twilio keyword (or Twilio's OptOutType), not the client's own words
    score: int | None = None
    channel: str = ""  # an opt-out's channel: "sms" (texts and calls, and when none is named), "email" or "all"
    stream: str = ""  # the one stream an opt-out is limited to ("stop the tips, keep the reminders"), else ""


# Twilio joins a long text into at most 1,600 characters, and the inbox keeps 2,000: read what a person would see,
# and no more (a forged megabyte must not cost seconds of regular expressions).
READ_LIMIT = 2000

_FROM_KEYWORD = {Keyword.stop: Intent.opt_out, Keyword.start: Intent.opt_in, Keyword.help: Intent.help}

# Words that make no difference to what a bare keyword means: "please stop", "stop now!!", "alto por favor".
_POLITE = frozenset(
    """please pls plz plez plse pleeease now thanks thank you thx ty just already asap immediately
    right ok okay hey hi hello i said again seriously por favor porfa porfavor gracias ya ahora hola""".split()
)
# "stop it", "stop this": only after a word that cannot mean a visit ("cancel it" cancels the appointment).
_OBJECTS = frozenset({"it", "this", "that", "them", "these", "those", "all", "everything"})
_STOP_ALONE = frozenset(
    {
        "stop",
        "stopp",
        "stopall",
        "quit",
        "cease",
        "unsubscribe",
        "unsub",
        "optout",
        "revoke",
        "alto",
        "basta",
        "detener",
    }
)
_OPT_OUT_ALONE = _STOP_ALONE | {
    *("cancel", "end", "cancelar", "para", "parar", "baja", "unsuscribe", "paren", "detengan", "remove", "discontinue")
}
_OPT_IN_ALONE = frozenset({"start", "unstop"})
_HELP_ALONE = frozenset({"help", "info", "ayuda"})
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

_COMPLAINTS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bkeep\s(?:on\s)?(?:texting|messaging|sending|contacting|bugging|bothering|spamming|calling)",
        r"\b(?:too|so)\smany\s(?:texts|messages|msgs|reminders|emails)|\bdemasiados\smensajes\b",
        r"\bleave\sme\salone\b|\bdejenme\sen\spaz\b",
        r"\bspam",
        r"\bnot\sinterested\b|\bno\sme\sinteresa\b",
        r"\bwrong\snumber\b|\bnumero\sequivocado\b",
        r"\b(?:how|where)\sdid\syou\sget\smy\snumber\b|\bwho\sgave\syou\smy\snumber\b",
        r"\bharass|\bannoying\b|\b(?:sick|tired)\sof\s(?:these|your|the|getting)\b",
        r"^(?:(?:thats|ok|okay)\s)?enough(?:\salready)?$|^no\smore$|^no\sthanks?(?:\syou)?$",
        r"\b(?:f|fuck|piss|screw)\soff\b|\bfuck|\bwtf\b",
    )
)
_OPT_IN_PHRASES = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bopt(?:ing)?\s(?:me\s)?(?:back\s)?in\b",
        r"\bre\s?subscribe\b|\bsubscribe\sme\b",
        r"\bstart\s(?:texting|sending|messaging)\s(?:me\s)?(?:again|back)\b",
        r"\bdar(?:me)?\sde\salta\b|\bvuelvan\sa\s(?:escribir|mandar|enviar)|\bvolver\sa\srecibir\b",
    )
)
_APPOINTMENT = re.compile(
    r"\b(?:appointments?|appts?|visits?|sessions?|massages?|bookings?|booked|book|rebook|reschedul\w*|resched|"
    r"schedul\w*|cancellation|late|early|omw|on\smy\sway|be\sthere|come\sin|coming\sin|stop\s(?:by|in|over)|"
    r"drop\sby|see\syou|tomorrow|tmrw|tmr|today|tonight|next\sweek|this\s(?:morning|afternoon|evening|week)|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|"
    r"\d{1,2}\s?(?:am|pm)|\d+\s(?:hours?|hrs?|days?)\s(?:before|ahead|notice)|noon|slot|openings?|"
    r"availability|available|waitlist|therapist|(?:need|have|gotta|got)\sto\scancel|(?:cant|wont)\smake\sit|"
    r"cita|citas|manana|hoy|lunes|martes|miercoles|jueves|viernes|sabado|domingo|reprogram\w*|llego|llegar)\b"
)
_CORRECTION = re.compile(
    r"\bwrong\b(?!\s(?:number|person|persona))|\b(?:wait|hold\son|hang\son|actually|mistake|typo|incorrect|"
    r"already\spaid|paid|bill|billing|charged|payment|receipt|invoice|"
    r"(?:my|mi|the|that|this)\s(?:appointment|appt|visit|cita|session|booking|time|date|day)|"
    r"not\sright|equivocad[oa]\s(?:la|el)\s(?:hora|dia|fecha))\b"
)
_REPORTED = re.compile(r"\b(?:unsubscribed|opted\sout|se\sdio\sde\s[bv]aja|se\sdieron\sde\s[bv]aja)\b")
_ANAPHOR = re.compile(r"\b(?:those|them|these|em|that\sstuff)\b")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
# Opt-out words in a sense that is not "stop texting me": "the pain doesn't stop", "see you at the end of the week".
_OTHER_SENSES = re.compile(
    r"\b(?:doesnt|dont|didnt|wont|cant|couldnt|never|not|wouldnt)\s(?:\w+\s)?"
    r"(?:stop|end)\b|"
    r"\bstop\s(?:by|in|over|at|off)\b|\b(?:the|an)\send\b|\bend\sof\b|"
    r"\b(?:when|what\stime)\s(?:\w+\s){0,4}end\b|\bquit\s(?:my|smoking|drinking)\b"
)
_OPT_OUT_WORDS = frozenset(
    {
        "stop",
        "stopp",
        "stopall",
        "end",
        "quit",
        "cancel",
        "cancelar",
        "unsubscribe",
        "unsub",
        "revoke",
        "optout",
        "alto",
        "basta",
        "baja",
        "parar",
        "detener",
    }
)
# "just the lesson texts please, reminders are fine": the one stream named, when another clause keeps the rest.
_ONLY_STREAM = re.compile(
    r"^(?:(?:please|pls|ok|so)\s)?(?:just|only|solo|solamente)\s(?:the\s|los\s|las\s|sus\s|your\s)?(?:\w+\s)?"
    r"(?:tips|lessons|lesson|articles|reminders|check\s?ins|texts|messages|emails|nudges|consejos|lecciones|"
    r"recordatorios|encuestas|mensajes)(?:\s\w+){0,3}?(?:\s(?:please|pls|por\sfavor))?$"
)

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
_CLAUSE = re.compile(r"[.!?;,:\n\r()\[\]¡¿]+|\s[-–—]+\s|[–—]+")
_TOKEN = re.compile(r"[^\W_]+")
_SCORE_LEAD = re.compile(
    r"^(?:(?:about|around|maybe|probably|prob|like|roughly|a|an|its|it\sis|today\sis|im\sat|i\sam\sat|im|i\sam|"
    r"feeling|currently|today|now|id\ssay|i\sd\ssay|i\swould\ssay|say|hm+|um+|ok|okay|honestly|still|yeah|"
    r"(?:my\s)?pain(?:\s(?:level|score))?(?:\s(?:is|was))?)\b[\s,:]*)+"
)
_SCORE_TAIL = re.compile(
    r"(?:ish|[\s,]*\b(?:today|now|right\snow|tonight|this\smorning|this\sweek|thanks|"
    r"thank\syou|thx|or\sso|maybe|i\sthink|probably)\b)+$"
)


def normalise(body: str) -> str:
    """Fullwidth letters to plain ones, case folded, accents and quote marks dropped, spelled-out words joined:
    "ＳＴＯＰ" → "stop", "Don’t" → "dont", "más" → "mas", "S T O P" → "stop"."""
    text = unicodedata.normalize("NFKC", body).casefold()
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    text = _SPELLED.sub(lambda spelled: re.sub(r"[\s.\-]", "", spelled[0]), text)
    text = _SPOKEN.sub(",", _SPOKEN_END.sub(".", text))  # voice to text: "stop the tips comma I still want..."
    return _QUOTES.sub("", _QUOTED.sub(_quoted, _APOSTROPHE.sub("", text)))


def _quoted(span: re.Match[str]) -> str:
    """A message quoted by its words is one noun: "the 'it's been a while, book now!' texts" → "the rebooking
    texts" (its stream's noun, or the words with their punctuation dropped: it names, it asks nothing)."""
    named = scope.streams(span[1])
    return _STREAM_NOUN[next(iter(named))] if len(named) == 1 else "".join(_TOKEN.findall(span[1]))


def read(body: str, opt_out_type: str | None = None) -> Reading:
    """What the text asks for. The exact keywords (and Twilio's OptOutType) decide first, as they always have."""
    keyword = classify(body, opt_out_type)
    if keyword is not Keyword.other:
        intent = _FROM_KEYWORD[keyword]
        return Reading(intent, keyword=True, channel="sms" if intent is Intent.opt_out else "")
    text = normalise(body[:READ_LIMIT])
    clauses = _clauses(text)
    whole = " ".join(clauses)
    asks = [_asks(clause, clauses) for clause in clauses]
    who_or_when = _who_or_when(clauses, asks)
    if who_or_when is not None:
        return Reading(who_or_when)
    bare = _bare(whole)
    if bare is not None and bare is not Intent.opt_out:
        return Reading(bare)
    stopping = [clause for clause, asked in zip(clauses, asks, strict=True) if asked]
    keeping = [clause for clause, asked in zip(clauses, asks, strict=True) if asked is False or scope.keeps(clause)]
    # beside a stop, "only the reminders" keeps them: "no more articles or tips, only the visit reminders"
    keeping += [
        c for c, asked in zip(clauses, asks, strict=True) if stopping and asked is None and _ONLY_STREAM.search(c)
    ]
    if not stopping and any(scope.keeps(clause) for clause in clauses):
        stopping = [clause for clause in clauses if _ONLY_STREAM.search(clause) and scope.streams(clause)]
    if bare is Intent.opt_out or stopping:
        stopping = stopping or clauses
        kept_next = {before for before, after in zip(clauses, clauses[1:], strict=False) if after in keeping}
        named = stopping + [c for c in clauses if c not in keeping and c not in kept_next and scope.also(c)]
        named += _antecedents(clauses, stopping, keeping)
        return Reading(Intent.opt_out, channel=scope.channel(named), stream=scope.stream(stopping, keeping))
    return _ordinary(text, whole, negated=False in asks, kept=bool(keeping))


def scope_answer(body: str) -> str | None:
    """The stream a short reply to the confirmation picks: "REMINDERS", "reminders please", "recordatorios"."""
    plain = " ".join(_TOKEN.findall(normalise(body[:READ_LIMIT])))
    return scope.scope_answer(" ".join(correct(token) for token in plain.split()))


def _clauses(text: str) -> list[str]:
    """Normalised text as clauses of typo-corrected words, split at punctuation and at contrasts."""
    clauses: list[str] = []
    for part in _CLAUSE.split(text):
        current: list[str] = []
        for token in correct_words(_TOKEN.findall(part)):
            also = token in _ALSO and current and current[-1] in _AND
            if also or token in _CONTRAST or (token in _KEEP_VERBS and current and current[-1] not in _NOT_A_KEEP):
                clauses.append(" ".join(current))
                current = [] if token in _CONTRAST else [token]
                continue
            current.append(token)
        clauses.append(" ".join(current))
    return [clause for clause in clauses if clause]


def _asks(clause: str, clauses: list[str]) -> bool | None:
    """True: the clause asks to stop; False: it has an opt-out phrase, negated ("don't stop"); None: neither."""
    if len(clauses) > 1 and _only(clause, _OPT_OUT_ALONE):
        # "Stop. I never signed up for this", "not interested, remove", but not "stop, you have my appointment time
        # wrong"; a word that may mean the visit ("cancel", "end") only after a complaint ("not interested")
        rest = " ".join(other for other in clauses if other != clause)
        if _CORRECTION.search(rest):
            return None
        return _only(clause, _STOP_ALONE) or (_any(_COMPLAINTS, rest) and not _APPOINTMENT.search(rest)) or None
    if scope.about_when(clause):
        return None
    asked = phrases.asks_to_stop(clause, " ".join(clauses))
    if asked and scope.mentions_someone_else(clause) and _REPORTED.search(clause):
        return None  # "my sister unsubscribed and still gets them": a report, not a request
    return asked


def _antecedents(clauses: list[str], stopping: list[str], keeping: list[str]) -> list[str]:
    """The clause a channel-less stop points back to: "too many emails, stop those", "emails: stop"."""
    found = []
    for before, clause in zip(clauses, clauses[1:], strict=False):
        pointing = _ANAPHOR.search(clause) or _only(clause, _STOP_ALONE)
        if clause in stopping and pointing and before not in keeping and not scope.names_channel(clause):
            found += [before] if scope.names_channel(before, everything=False) else []
    return found


def _who_or_when(clauses: list[str], asks: list[bool | None]) -> Intent | None:
    """Another person's messages, or when texts come, with nothing else asked to stop for this number."""
    for_me = any(asked and not scope.mentions_someone_else(clause) for clause, asked in zip(clauses, asks, strict=True))
    if for_me or _any(_OPT_IN_PHRASES, " ".join(clauses)):
        return None
    if any(asks):
        return Intent.other_person  # every clause that asks to stop is about someone else's messages
    if scope.about_someone_else(" ".join(clauses)) and not phrases.hypothetical(" ".join(clauses)):
        return Intent.other_person
    if any(scope.about_when(clause) for clause in clauses):
        return Intent.time_preference
    return None


def _ordinary(text: str, whole: str, negated: bool, kept: bool) -> Reading:
    """No opt-out asked: a score, an appointment, a complaint a person should read, or anything else."""
    score = _score(text)
    if not negated and score is not None:
        return Reading(Intent.score, score=score)
    if kept:
        return Reading(Intent.other)  # "please don't stop my reminders", "no paren los recordatorios"
    if negated or _any(_COMPLAINTS, whole):
        return Reading(Intent.possible_opt_out)
    if _any(_OPT_IN_PHRASES, whole):
        return Reading(Intent.opt_in)
    if _APPOINTMENT.search(whole) or _CLOCK.search(text):
        return Reading(Intent.appointment)
    words = _OPT_OUT_WORDS & set(_OTHER_SENSES.sub(" ", whole).split())
    if words and not (words <= {"stop", "end", "quit", "parar"} and phrases.about_pain(whole)):
        return Reading(Intent.possible_opt_out)  # not "I wish this pain would stop"
    return Reading(Intent.other)


def _bare(whole: str) -> Intent | None:
    """A keyword with only politeness around it: "please stop", "STOP 🙏", "alto por favor"."""
    for intent, words in ((Intent.opt_out, _OPT_OUT_ALONE), (Intent.opt_in, _OPT_IN_ALONE), (Intent.help, _HELP_ALONE)):
        if _only(whole, words):
            return intent
    return None


def _only(text: str, words: frozenset[str]) -> bool:
    core = [token for token in text.split() if token not in _POLITE]
    if core and set(core) <= words:
        return True
    rest = [token for token in core if token not in _OBJECTS]
    return bool(rest) and len(rest) < len(core) and set(rest) <= _STOP_ALONE


def _score(text: str) -> int | None:
    """A pain score, also with the usual padding: "about a 4 today", "6 🙂", "7ish"."""
    plain = " ".join(re.sub(r"[^\w\s/:=.\-]", " ", text).split()).rstrip(".!")
    return parse_score(_SCORE_TAIL.sub("", _SCORE_LEAD.sub("", plain)).strip(" ,"))


def _any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)
