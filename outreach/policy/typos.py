"""Typos of the opt-out vocabulary, read as the word meant: "sotp" → "stop", "unsubscibe" → "unsubscribe".
Pure: no clock, no database.

Fuzzy matching (rapidfuzz's optimal string alignment distance) is allowed only where it cannot turn an ordinary
word into a keyword:

- four-letter keywords ("stop", "quit") accept only two neighbouring letters swapped ("sotp", "stpo", "qiut") or a
  letter doubled ("stoop", "sttop"); never a changed letter, so "shop", "spot", "suit", "top" stay themselves;
- longer words accept one edit from a word of five letters or more (two from "unsubscribe", when the token also
  begins "un": "subscribe" is its opposite), so "end"/"and",
  "quiet"/"quite" and other short words are never touched;
- real words one edit away from the vocabulary ("massage" is not "message", "cancer" is not "cancel") are kept;
- Spanish spelt by ear ("kiero resibir", "no me enbien", "kiten", "agan") is read by sound: a word of four
  letters or more whose sound (qu/k, c/s/z, b/v, g/j, a silent h, ll/y) is that of a grammar word is that word;
- in context only (`correct_words`): a four-letter word one letter away from "stop" or "quit" that is no real word
  ("dtop", "stio", "quiy") is the keyword when a contact verb follows ("dtop sending these") or it stands alone
  ("stpp"), and "opt ot" is "opt out".
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
    "receive",
    "receiving",
    "messaging",
    "discontinue",
    "permission",
)
# The Spanish words of the grammar in policy.phrases, matched by sound (`_sound`): "kiero" is "quiero".
_BY_SOUND = (
    *("quiero", "quisiera", "deseo", "necesito", "recibir", "recibiendo", "reciban", "mensajes", "mensajitos"),
    *("envien", "envie", "enviar", "enviarme", "envies", "enviando", "manden", "mande", "mandes", "mandar"),
    *("mandarme", "mandando", "escriban", "escriba", "escribas", "escribir", "escribirme", "escribiendo"),
    *("quiten", "quite", "quitenme", "quitarme", "saquen", "saquenme", "borren", "borrenme", "hagan", "dejen"),
    *("desuscribirme", "cancelen", "contacten", "suscripcion", "llegar", "numero", "celular", "correos"),
    *("hablen", "hable", "hacerme", "lleguen"),
)
_SOUNDS = (("qu", "k"), ("ll", "y"), ("ce", "se"), ("ci", "si"), ("z", "s"), ("v", "b"), ("ge", "je"), ("gi", "ji"))
_KNOWN = frozenset(_SHORT + _LONG + _BY_SOUND)
# Real words within one edit of the vocabulary: a massage clinic hears "massages" and "cancer" every day.
REAL_WORDS = frozenset(
    """massage massages masage message cancer cancers canceled cancels camel remote removed removes revoked
    revokes testing tending texted texts contracting contacted recibi recibio mensaje reminder remainder
    remainders cancela cancelo cancele cancelen contacten contacte contactar contacto subscription subscriptions
    subscribe subscribed subscriber resubscribe resubscribed suscribe suscribir suscribirme recordatorio there
    three theme thesis those thee quiere quieren quieres deseos receiver received receives submission
    continue continues discontinued messaging unsubscribed unsubscribes""".split()
)
# Real four-letter words one letter from "stop" or "quit": never read as the keyword, even in context.
_NEAR_KEYWORDS = frozenset(
    """atop shop slop swop scop spot suit quin stab stag star stat stay stem step stew stir stoa stot stow stub stud
    stun quad quay quid quip quiz""".split()
)
_CONTACT_VERBS = frozenset(
    """sending texting txting messaging contacting calling emailing bugging asking reminding spamming
    bothering""".split()
)
# After "stop", a word one letter from a contact verb is that verb ("stop sendig me msgs"), unless a real word.
_SENDING = ("sending", "texting", "messaging", "contacting", "emailing", "calling", "hitting", "blowing")
_NOT_SENDING = frozenset(
    """spending bending lending pending tending mending vending wending rending sanding seeding sensing testing
    tenting massaging mailing falling telling selling tolling culling filling killing billing willing sitting
    fitting hinting glowing flowing bowing""".split()
)
_STOPS = frozenset({"stop", "quit", "cease", "stp"})
# Real five-letter words one letter inside "stop" or "quit" ("stomp", "quiet"): never the keyword.
_INSERTED = frozenset({"stomp", "strop", "stoep", "quiet", "quilt", "quint", "quirt"})
_OUT = frozenset({"ot", "oit", "uot", "otu", "ou", "oyt", "oout", "outt"})
_G_DROPPED = ("getting", "receiving", "bugging", "asking", "reminding", "spamming", "bothering", "contacting")
_WITH_G = frozenset(_SENDING + _G_DROPPED)  # "sendin", "hittin", "gettin": the g a writer drops
_REPEATS = re.compile(r"(.)\1+")


def correct(token: str) -> str:
    """The vocabulary word a token is a typo of, else the token itself."""
    if token in _KNOWN or token in REAL_WORDS or not token.isalpha():
        return token
    if token.endswith("in") and token + "g" in _WITH_G:
        return token + "g"  # "sendin", "hittin"
    if len(token) <= 5:
        for word in _SHORT:
            if _swapped(token, word) or (token != word and _REPEATS.sub(r"\1", token) == word):
                return word
            if token not in _INSERTED and any(token[:i] + token[i + 1 :] == word for i in (1, 2, 3)):
                return word  # a letter slipped in: "stiop", "stopp" is doubled above
    if token.startswith("alt") and _REPEATS.sub(r"\1", token) == "alto":
        return "alto"  # "altoo"; never a swap ("alot" is "a lot")
    heard = _BY_SOUND_OF.get(_sound(token)) if len(token) >= 4 else None
    if heard:
        return heard
    if len(token) < 5 or len(token) > 16:
        return token
    for word in _LONG:
        limit = 2 if word.startswith("un") and token.startswith("un") else 1  # not "subscribe", "resubscribe"
        if abs(len(word) - len(token)) <= limit and OSA.distance(token, word, score_cutoff=limit) <= limit:
            return word
    return token


def correct_words(words: list[str]) -> list[str]:
    """Each word corrected (`correct`), then the typos only context tells apart: "dtop sending these", "stpp"
    alone, "opt ot"."""
    fixed = [correct(word) for word in words]
    for i, word in enumerate(fixed):
        following = fixed[i + 1] if i + 1 < len(fixed) else ""
        if word in _STOPS and len(following) >= 6 and following not in _NOT_SENDING and following not in _SENDING:
            fixed[i + 1] = next((v for v in _SENDING if OSA.distance(following, v, score_cutoff=1) <= 1), following)
        if word == "opt" and following in _OUT:
            fixed[i + 1] = "out"
        elif word == "opt" and following == "me" and i + 2 < len(fixed) and fixed[i + 2] in _OUT:
            fixed[i + 2] = "out"  # "opt me outt"
        elif len(word) == 4 and word.isalpha() and word not in _NEAR_KEYWORDS and word not in REAL_WORDS:
            if following in _CONTACT_VERBS or len(fixed) == 1:
                fixed[i] = next((k for k in _SHORT if _near(word, k, loose=following in _CONTACT_VERBS)), word)
    return fixed


def _near(word: str, keyword: str, loose: bool) -> bool:
    """One letter off, or (before a contact verb) two when the first two letters are right ("stio texting")."""
    limit = 2 if loose and word[:2] == keyword[:2] else 1
    return OSA.distance(word, keyword, score_cutoff=limit) <= limit


def _sound(word: str) -> str:
    """How a Spanish word sounds, roughly: "kiero" and "quiero" both sound "kiero"."""
    word = word[1:] if word.startswith("h") else word
    for spelt, heard in _SOUNDS:
        word = word.replace(spelt, heard)
    return word


_BY_SOUND_OF = {_sound(word): word for word in _BY_SOUND}


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
