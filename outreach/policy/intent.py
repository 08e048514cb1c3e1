"""What a short inbound text means, in the client's own words. Pure: no clock, no database.

Since April 2025 a revocation "by any reasonable means" must be honoured (FCC 24-24), not only the exact
keywords. The exact CTIA/Twilio keywords (policy.keywords) still decide first. After them, plain words are read
with transparent rules over normalised text (fullwidth letters, case, accents, quotes, emoji and punctuation
all folded away):

- a bare opt-out word padded with politeness ("please stop", "STOP 🙏", "'stop'", "alto por favor"),
- a clear phrase ("stop texting me", "remove me", "no more texts", "unsubscribe me", "no más mensajes"),
- otherwise an appointment ("I need to cancel Tuesday's appointment", "running late"), a pain score,
- and an opt-out word or a complaint that is none of these ("why do you keep texting me", "end", "stop" inside
  a longer text) is only a *possible* opt-out: a person decides, and nothing automated answers it meanwhile.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from outreach.policy.keywords import Keyword, classify, parse_score


class Intent(StrEnum):
    opt_out = "opt-out"
    possible_opt_out = "possible-opt-out"
    opt_in = "opt-in"
    help = "help"
    score = "score"
    appointment = "appointment"
    other = "other"


@dataclass(frozen=True)
class Reading:
    intent: Intent
    keyword: bool = False  # an exact CTIA/Twilio keyword (or Twilio's OptOutType), not the client's own words
    score: int | None = None


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
_OBJECTS = frozenset({"it", "this", "that", "them", "these", "those", "all"})
_STOP_ALONE = frozenset(
    {"stop", "stopp", "stopall", "quit", "unsubscribe", "unsub", "optout", "revoke", "alto", "basta", "detener"}
)
_OPT_OUT_ALONE = _STOP_ALONE | {"cancel", "end", "cancelar", "para", "parar", "baja"}
_OPT_IN_ALONE = frozenset({"start", "unstop"})
_HELP_ALONE = frozenset({"help", "info", "ayuda"})

# "reminders", not "the reminder": "can you stop the reminder for Tuesday" is about one visit.
_TEXTS = (
    r"(?:texts?|txts?|texting|txting|messages?|msgs?|messaging|sms|reminders|notifications?|alerts?|"
    r"promos?|spam|subscription)"
)
_ANY = r"(?:(?:all|any|the|these|those|this|your|ur|such|of|more|further|them|me|us|u|my)\s)*"
_PRONOUNS = r"(?:\s(?:me|us|u|them|these|those|this|it|all))*"
# Which list: "take me off your texting list", not "remove me from the Tuesday list".
_LIST = (
    r"(?:(?:your|the|this|that|ur|my|all|of|texting|text|sms|mailing|contact|marketing|messaging|message|"
    r"distribution|subscriber|subscription)\s){0,3}(?:list|texts?|messages?|database|system|contacts?|this|it)"
)
_ES_TEXTS = r"(?:mensajes|textos|msjs?|sms|recordatorios)"
_CLEAR_PHRASES = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b(?:stop|quit|cease|end|cancel)\s(?:with\s)?{_ANY}{_TEXTS}\b",
        r"\b(?:stop|quit|cease)\s(?:contacting|calling|emailing|spamming|bothering|harassing|bugging)\b",
        # "stop sending me these", "stop getting texts"; not "stop sending me the wrong time"
        rf"\b(?:stop|quit|cease)\s(?:sending|receiving|getting){_PRONOUNS}(?:\s{_ANY}{_TEXTS}\b|$)",
        r"\bcease\sand\sdesist\b",
        r"\b(?:revoke|revoking|withdraw|withdrawing)\s(?:my\s|all\s)?consent\b|\brevoke\b",
        rf"\b(?:remove|delete|drop|take)\s(?:me|my\s(?:phone\s)?(?:number|cell|info|information))\s(?:off|from)\s"
        rf"{_LIST}\b",
        r"\b(?:remove|delete|drop)\s(?:me|my\s(?:phone\s)?number)$",
        r"\btake\sme\soff$",
        r"\blose\smy\snumber\b",
        rf"\bno\smore\s{_ANY}{_TEXTS}\b",
        rf"\bno\slonger\s(?:want|wish)\s(?:to\s(?:receive|get|be\s(?:texted|contacted))|{_ANY}{_TEXTS})",
        r"\b(?:dont|do\snot|never)\s(?:ever\s)?(?:text|txt|message|msg|contact|sms|send)"
        r"(?:\s(?:me|us|u|this\snumber|again|anymore)\b|$)",
        rf"^(?:please\s)?no\s{_ANY}{_TEXTS}(?:\s(?:please|pls|thanks|thank\syou|anymore))*$",
        rf"\b(?:dont|do\snot)\s(?:want|wish|need)\s(?:to\s(?:receive|get)\s)?{_ANY}{_TEXTS}\b",
        r"\bun\s?sub(?:scribe|scribed|scribing)?\b|\bunsu(?:s|b)?cribe\b",
        r"\bopt(?:ed|ing)?\s(?:me\s)?out\b|\boptout\b",
        rf"\bno\s(?:quiero\s)?(?:recibir\s)?mas\s{_ES_TEXTS}\b",
        rf"\bno\squiero\s(?:recibir\s)?(?:mas\s)?(?:sus\s|estos\s|los\s)?{_ES_TEXTS}\b",
        r"\bno\s(?:me\s)?(?:envien|manden|escriban|envies|mandes|escribas|contacten|molesten|enviar|mandar|escribir)"
        r"(?:me)?\b",
        r"\b(?:dejen|deja|dejar|paren|pare|para|parar)\sde\s(?:enviar|mandar|escribir|contactar|textear|molestar)",
        r"\bde\sbaja\b",
        r"\b(?:sacame|saquenme|borrame|borrenme|eliminame|eliminenme|quitame|quitenme)\b",
        r"\b(?:saquen|saca|borren|borra|eliminen|elimina|quiten|quita)\s"
        r"(?:mi\snumero|de\s(?:la|su|sus|tu|esta)\slista)",
        rf"\bcancelar\s(?:la\s|mi\s|los\s|mis\s)?(?:suscripcion|{_ES_TEXTS})\b",
    )
)
# "Please don't stop texting me", "I didn't opt out", "no quiero darme de baja", "I'll stop sending my scores":
# the phrase is there, the wish is not.
_NOT_ASKED = re.compile(
    r"\b(?:(?:dont|do\snot|didnt|did\snot|never|not|did\si|wont|will\snot|cant|cannot|no\squiero)\s"
    r"(?:(?:mean|want|need|wanna|going|have|darme)\s(?:to\s)?)?|"
    r"(?:ill|i\swill|im\sgoing\sto|i\sam\sgoing\sto|im\sgonna)\s)$"
)

_COMPLAINTS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bkeep\s(?:on\s)?(?:texting|messaging|sending|contacting|bugging|bothering|spamming|calling)",
        r"\b(?:too|so)\smany\s(?:texts|messages|msgs|reminders)",
        r"\bleave\sme\salone\b",
        r"\bspam",
        r"\bnot\sinterested\b|\bno\sme\sinteresa\b",
        r"\b(?:dont|do\snot)\s(?:want|need)\s(?:these|those|this|them|any\smore|anymore)\b",
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
    )
)
_APPOINTMENT = re.compile(
    r"\b(?:appointments?|appts?|visits?|sessions?|massages?|bookings?|booked|book|rebook|reschedul\w*|resched|"
    r"schedul\w*|cancellation|late|early|omw|on\smy\sway|be\sthere|come\sin|coming\sin|stop\s(?:by|in|over)|"
    r"drop\sby|see\syou|tomorrow|tmrw|tmr|today|tonight|next\sweek|this\s(?:morning|afternoon|evening|week)|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|"
    r"\d{1,2}\s?(?:am|pm)|\d+\s(?:hours?|hrs?|days?)\s(?:before|ahead|notice)|noon|slot|openings?|"
    r"availability|available|waitlist|therapist|"
    r"cita|citas|manana|hoy|lunes|martes|miercoles|jueves|viernes|sabado|domingo|reprogram\w*|llego|llegar)\b"
)
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

_QUOTES = re.compile(r"['’‘`´]")
_SPELLED = re.compile(r"\b(?:[^\W\d_][\s.\-]){2,}[^\W\d_]\b")  # "S T O P", "s.t.o.p"
_CLAUSE = re.compile(r"[.!?;,:\n\r()\[\]]+")
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
    return _QUOTES.sub("", text)


def read(body: str, opt_out_type: str | None = None) -> Reading:
    """What the text asks for. The exact keywords (and Twilio's OptOutType) decide first, as they always have."""
    keyword = classify(body, opt_out_type)
    if keyword is not Keyword.other:
        return Reading(_FROM_KEYWORD[keyword], keyword=True)
    text = normalise(body[:READ_LIMIT])
    clauses = [clause for clause in (" ".join(_TOKEN.findall(part)) for part in _CLAUSE.split(text)) if clause]
    whole = " ".join(clauses)
    bare = _bare(whole, clauses)
    if bare is not None:
        return Reading(bare)
    phrase = _opt_out_phrase(clauses)
    if phrase is Intent.opt_out:
        return Reading(phrase)
    score = _score(text)
    if phrase is None and score is not None:
        return Reading(Intent.score, score=score)
    if phrase is not None or _any(_COMPLAINTS, whole):
        return Reading(Intent.possible_opt_out)
    if _any(_OPT_IN_PHRASES, whole):
        return Reading(Intent.opt_in)
    if _APPOINTMENT.search(whole) or _CLOCK.search(text):
        return Reading(Intent.appointment)
    if _OPT_OUT_WORDS & set(_OTHER_SENSES.sub(" ", whole).split()):
        return Reading(Intent.possible_opt_out)
    return Reading(Intent.other)


def _bare(whole: str, clauses: list[str]) -> Intent | None:
    """A keyword with only politeness around it, or an unmistakable one standing as its own sentence."""
    for intent, words in ((Intent.opt_out, _OPT_OUT_ALONE), (Intent.opt_in, _OPT_IN_ALONE), (Intent.help, _HELP_ALONE)):
        if _only(whole, words):
            return intent
    if len(clauses) > 1 and any(_only(clause, _STOP_ALONE) for clause in clauses):
        return Intent.opt_out  # "Stop. I never signed up for this"
    return None


def _only(text: str, words: frozenset[str]) -> bool:
    core = [token for token in text.split() if token not in _POLITE]
    if core and set(core) <= words:
        return True
    rest = [token for token in core if token not in _OBJECTS]
    return bool(rest) and len(rest) < len(core) and set(rest) <= _STOP_ALONE


def _opt_out_phrase(clauses: list[str]) -> Intent | None:
    """Intent.opt_out for a clear phrase; possible_opt_out when every phrase found is negated ("don't stop")."""
    found = None
    for clause in clauses:
        for pattern in _CLEAR_PHRASES:
            for match in pattern.finditer(clause):
                if not _NOT_ASKED.search(clause[: match.start()]):
                    return Intent.opt_out
                found = Intent.possible_opt_out
    return found


def _score(text: str) -> int | None:
    """A pain score, also with the usual padding: "about a 4 today", "6 🙂", "7ish"."""
    plain = " ".join(re.sub(r"[^\w\s/:=.\-]", " ", text).split()).rstrip(".!")
    return parse_score(_SCORE_TAIL.sub("", _SCORE_LEAD.sub("", plain)).strip(" ,"))


def _any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)
