"""What a short inbound text means, in the client's own words. Pure: no clock, no database.

Since April 2025 a revocation "by any reasonable means" must be honoured (FCC 24-24), not only the exact
keywords. The exact CTIA/Twilio keywords (policy.keywords) still decide first and stop all texts. After them,
plain words are read with transparent rules, not a model, over text that is normalised (fullwidth letters, case,
accents, quotes, emoji and punctuation folded away), split into clauses at punctuation and at contrasts ("but",
"pero", "keep"), and typo-corrected on the opt-out vocabulary only (policy.typos: "sotp", "unsubscibe"). That
reading into clauses lives in policy.wording, the phrase tables in policy.phrases, the reading of scope, other
people and times of day in policy.scope:

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
from dataclasses import dataclass
from enum import StrEnum

from outreach.policy import phrases, scope, wording
from outreach.policy.keywords import Keyword, classify
from outreach.policy.typos import correct
from outreach.policy.wording import TOKEN, normalise


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
    right ok okay hey hi hello i said again seriously por favor porfa porfavor gracias ya ahora hola bruh bro dude
    ugh omg lol lmao smh""".split()
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
    *("cancel", "end", "cancelar", "para", "parar", "baja", "unsuscribe", "paren", "detengan", "remove", "discontinue"),
    *("parenle", "parale", "parele", "detenganse"),
}
_OPT_IN_ALONE = frozenset({"start", "unstop"})
_HELP_ALONE = frozenset({"help", "info", "ayuda"})
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
        r"\b(?:re)?activ(?:en|e|ar|a)(?:me|nos)?\s(?:otra\svez|de\snuevo)|\breactiv\w+|"
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
    r"(?:says|said|shows|showed|dice|decia)\s(?:\w+\s){0,2}\d{1,2}|i\sbooked|booked\sfor|already\spaid|paid|bill|billing|charged|payment|receipt|invoice|"
    r"(?:my|mi|the|that|this)\s(?:appointment|appt|visit|cita|session|booking|time|date|day)|"
    r"not\sright|equivocad[oa]\s(?:la|el)\s(?:hora|dia|fecha))\b"
)
_REPORTED = re.compile(r"\b(?:unsubscribed|opted\sout|se\sdio\sde\s[bv]aja|se\sdieron\sde\s[bv]aja)\b")
_ANAPHOR = re.compile(r"\b(?:those|them|these|em|that\sstuff)\b")
# A stop named as an act, not asked for: "dejar de recibir sus tips?", "unsubscribing deletes my history?".
_THE_ACT = re.compile(
    r"^(?:(?:and|but|so|y|pero|o|or)\s)?(?:dar(?:me|se|nos)?|dejar|parar|cancelar|salir(?:me)?|unsubscribing|opting|"
    r"stopping|quitting|cancell?ing|removing|to\s(?:unsubscribe|stop|opt\sout|cancel))\b"
)
_NO_MORE = re.compile(r"^(?:please\s|pls\s)?no\smore(?:\s(?:please|pls|thanks))*$")  # "emails: no more please"
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


def read(body: str, opt_out_type: str | None = None) -> Reading:
    """What the text asks for. The exact keywords (and Twilio's OptOutType) decide first, as they always have."""
    keyword = classify(body, opt_out_type)
    if keyword is not Keyword.other:
        intent = _FROM_KEYWORD[keyword]
        return Reading(intent, keyword=True, channel="sms" if intent is Intent.opt_out else "")
    text = normalise(body[:READ_LIMIT])
    clauses = wording.clauses(text)
    whole = " ".join(clauses)
    # a stop named as the subject of a question is talked about, not asked for: a person decides
    questioned = wording.questions(text)
    asks = [_asks(clause, clauses, whole) for clause in clauses]
    doubted = [bool(asked and c in questioned and _THE_ACT.match(c)) for c, asked in zip(clauses, asks, strict=True)]
    asks = [None if doubt else asked for asked, doubt in zip(asks, doubted, strict=True)]
    who_or_when = _who_or_when(clauses, whole, asks)
    if who_or_when is not None:
        return Reading(who_or_when)
    bare = _bare(whole)
    if bare is not None and bare is not Intent.opt_out:
        return Reading(bare)
    keeps = [scope.keeps(clause) for clause in clauses]
    stopping = [clause for clause, asked in zip(clauses, asks, strict=True) if asked]
    keeping = [clause for clause, asked, keep in zip(clauses, asks, keeps, strict=True) if asked is False or keep]
    # beside a stop, "only the reminders" keeps them: "no more articles or tips, only the visit reminders"
    keeping += [
        c for c, asked in zip(clauses, asks, strict=True) if stopping and asked is None and _ONLY_STREAM.search(c)
    ]
    if not stopping and any(keeps):
        stopping = [clause for clause in clauses if _ONLY_STREAM.search(clause) and scope.streams(clause)]
    if bare is Intent.opt_out or stopping:
        stopping = stopping or clauses
        kept_next = {before for before, after in zip(clauses, clauses[1:], strict=False) if after in keeping}
        named = stopping + [c for c in clauses if c not in keeping and c not in kept_next and scope.also(c)]
        named += _antecedents(clauses, stopping, keeping)
        return Reading(Intent.opt_out, channel=scope.channel(named), stream=scope.stream(stopping, keeping))
    return _ordinary(text, whole, negated=False in asks or any(doubted), kept=bool(keeping))


def scope_answer(body: str) -> str | None:
    """The stream a short reply to the confirmation picks: "REMINDERS", "reminders please", "recordatorios"."""
    tokens = TOKEN.findall(normalise(body[:READ_LIMIT]))
    return scope.scope_answer(" ".join(correct(token) for token in tokens))


def _asks(clause: str, clauses: list[str], whole: str) -> bool | None:
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
    asked = phrases.asks_to_stop(clause, whole)
    if asked and scope.mentions_someone_else(clause) and _REPORTED.search(clause):
        return None  # "my sister unsubscribed and still gets them": a report, not a request
    return asked


def _antecedents(clauses: list[str], stopping: list[str], keeping: list[str]) -> list[str]:
    """The clause a channel-less stop points back to: "too many emails, stop those", "emails: stop"."""
    found = []
    for before, clause in zip(clauses, clauses[1:], strict=False):
        pointing = _ANAPHOR.search(clause) or _only(clause, _STOP_ALONE) or _NO_MORE.match(clause)
        if clause in stopping and pointing and before not in keeping and not scope.names_channel(clause):
            if scope.names_channel(before, everything=False):
                found.append(before)
    return found


def _who_or_when(clauses: list[str], whole: str, asks: list[bool | None]) -> Intent | None:
    """Another person's messages, or when texts come, with nothing else asked to stop for this number."""
    for_me = any(asked and not scope.mentions_someone_else(clause) for clause, asked in zip(clauses, asks, strict=True))
    if for_me or _any(_OPT_IN_PHRASES, whole):
        return None
    if any(asks):
        return Intent.other_person  # every clause that asks to stop is about someone else's messages
    if scope.about_someone_else(whole) and not phrases.hypothetical(whole):
        return Intent.other_person
    if any(scope.about_when(clause) for clause in clauses):
        return Intent.time_preference
    return None


def _ordinary(text: str, whole: str, negated: bool, kept: bool) -> Reading:
    """No opt-out asked: a score, an appointment, a complaint a person should read, or anything else."""
    score = wording.score(text)
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


def _any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)
