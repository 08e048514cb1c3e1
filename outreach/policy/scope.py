"""What a text's request is about: which channel and which stream, what it keeps, whose account, and when.
Pure: no clock, no database. policy.intent decides *whether* a text asks to stop; this module reads its scope
from the clauses intent has already normalised, split at contrasts ("but", "pero") and typo-corrected:

- channel: "email" when the stopping clauses name only email ("no more emails please, texting is fine"), "all"
  when they name both or everything ("stop all contact"), else "sms" (texts, calls, or nothing named);
- stream: the one stream a stop is limited to, only when another clause keeps something ("stop the tips but keep
  the reminders"); a stream named without a keep is an ordinary opt-out and the service asks about scope;
- keep: a clause that asks to go on ("reminders are fine", "no paren los recordatorios", "keep them coming");
- other person: a clause about a spouse's, child's or parent's messages, with nothing asked for the sender;
- time preference: a clause about *when* texts come ("no texts after 6pm", "solo en las mañanas").
"""

from __future__ import annotations

import re

# The words a short answer to the confirmation may use to pick one stream back ("REMINDERS", "recordatorios").
SCOPE_ANSWERS: dict[str, tuple[str, ...]] = {
    "reminder": (
        "reminders",
        "reminder",
        "visit reminders",
        "appointment reminders",
        "appt reminders",
        "recordatorios",
        "recordatorio",
        "recordatorios de citas",
        "recordatorios de cita",
        "recordatorio de cita",
    ),
}
_ANSWER_FILLER = frozenset(
    """please pls plz thanks thank you thx ok okay yes si just only keep the my only solo solamente los las mis
    mantener quiero por favor porfa gracias""".split()
)

_EMAIL = re.compile(r"\b(?:e\s?mails?|mails|emailing|emailed|correos?|newsletters?|inbox)\b")
# "your mailing list" alone is whatever list sends these texts; beside a text list, it is the email one
_MAILING = re.compile(r"\bmailing\s(?:(?:and|or|\w+ing)\s){0,2}lists?\b")
_TEXT = re.compile(
    r"\b(?:texts?|txts?|texting|txting|sms|calls?|calling|phone|cell|textos?|textear|llamadas?|llamen|whatsapp|"
    r"telefono|celular)\b"
)
_ALSO = re.compile(
    r"\b(?:too(?!\s(?:many|much|often|early|late))|also|as\swell|either|both|tambien|included|incluidos?|"
    r"ni\s(?:por\s)?(?:mensajes?|correos?|emails?|textos?))\b"
)
_CONNECTORS = re.compile(r"\b(?:by|via|and|or|both|y|o|ni|por|the|your|my|mi|mis|su|sus|el|la|los|las)\b")
_ALL = re.compile(
    r"\b(?:everything|anything|all\s(?:contact|communications?|channels|forms?|lists|of\sit|methods|means|ways)|"
    r"any\s(?:way|form|means|method|kind)|every\sway|all\syour\slists|any\smore\scontact|contact\sof\sany|"
    r"(?:zero|no)\scontact(?!\s(?:by|via|through|over))|todas\s(?:sus|las|tus)\slistas|"
    r"de\stodo|de\stodas\slas\slistas|todo\s(?:tipo|contacto)|todos\slos\s(?:medios|canales)|"
    r"cualquier\s(?:medio|forma|via)|ningun\s(?:medio|tipo)|ninguna\s(?:forma|manera|via))\b"
)
_STREAM_WORDS = {
    # rebook first: "reminders to book again" are nudges, not visit reminders
    "rebook": re.compile(
        r"\b(?:rebook\w*|re\sbook\w*|book(?:ing)?\s(?:again|reminders?|nudges?|texts?)|reminders?\sto\s(?:re)?book|"
        r"remind\w*\s(?:me\s)?to\s(?:re)?(?:book|schedule)|"
        r"nudges?|come\sback\s(?:texts|messages)|volver\sa\s(?:reservar|agendar)|reagendar|agendar\sotra\scita|vuelv[ao]s?\sa\s(?:reservar|agendar)|"
        r"recordatorios?\spara\s(?:reservar|agendar)|time\sto\s(?:re)?book|book\snow|been\sa\swhile|"
        r"(?:proxima|siguiente)\scita|hora\sde\s(?:agendar|reservar))\b"
    ),
    "checkin": re.compile(
        r"\b(?:check\s?ins?|checkins?|pain\s(?:questions?|check\s?ins?|surveys?|scores?|ratings?|texts?|checks?)|"
        r"surveys?|questionnaires?|how\sis\smy\spain|hows\smy\spain|rate\smy\spain|encuestas?|"
        r"preguntas?\s(?:sobre|del|de)\s(?:el\s|mi\s)?dolor|pregunt\w*\s(?:por|sobre)\s(?:el\s|mi\s)?dolor|"
        r"seguimientos?|(?:asking|ask)\s(?:me\s)?(?:to\s)?(?:rate|about)\smy\spain|hows?\s(?:is\s)?your\spain)\b"
    ),
    "education": re.compile(
        r"\b(?:tips?|lessons?|articles?|educational|education|health\sinfo|advice|videos?|stretch\w*\s(?:tips|texts)|"
        r"exercises?|learning|consejos?|lecciones?|leccion|articulos?|ejercicios?)\b"
    ),
    "reminder": re.compile(
        r"\b(?:reminders?|appointment\s(?:texts?|messages?|alerts?|notifications?)|appt\s(?:texts?|reminders?)|"
        r"visit\s(?:texts?|messages?)|confirmations?|recordatorios?|avisos?\sde\s(?:cita|citas))\b"
    ),
}
_ONLY = re.compile(r"\b(?:only|unicamente|solamente|nada\smas)(?:\s(?:please|pls|thanks|por\sfavor|gracias))?$")
_THE_REST = re.compile(
    r"\b(?:everything\selse|the\srest|all\sthe\srest|(?:the|all\sthe)\sother\s(?:stuff|ones|messages|texts|things)|"
    r"lo\sdemas|los\sdemas|todo\slo\sdemas|lo\sotro|los\sotros)\b"
)
# Messages named by when they come relative to a visit: those are the visit reminders, not a time of day.
_VISIT_RELATIVE = re.compile(
    r"\b(?:the\s(?:day|night)\sbefore|the\smorning\sof|(?:un|el)\sdia\santes\sde)\s(?:my|each|every|the|mi|mis|la|cada)\s"
    r"(?:appointments?|appts?|visits?|sessions?|massages?|citas?)\b"
)
_ALTERNATIVE = re.compile(r"\b(?:instead|rather|only|just|en\svez|mejor|solo|solamente|prefer\w*|prefiero)\b")
_KEEP = re.compile(
    r"(?<!you\s)(?<!u\s)(?<!they\s)\bkeep\s(?:the|my|sending|texting|getting|them|those|these|it|on|me|your|"
    r"everything|all)\b|"
    r"\b(?:are|is|r|seem|were)\s(?:\w+\s)?(?:fine|ok|okay|good|great|helpful|useful|welcome|important|needed|"
    r"nice|plenty|enough|all\si\sneed)\b|"
    r"\b(?:reminders|texts|tips|check\s?ins|emails|sms|recordatorios|consejos|mensajes|textos)\s(?:ok|okay|fine|good)\b|"
    r"\bstill\s(?:want|send|get|like|need|text)\b|\bseguir\srecibiendo\b|\b(?:no\squiero\sperder|dont\swant\sto\slose)\b|"
    r"\bi\s(?:do\s|still\s)?(?:like|love|want|need|appreciate)\s(?:the|my|mine|getting|appointment|visit|reminders|tips)\b|"
    r"\b(?:fine|ok|okay|happy)\s(?:with|to\sget|getting)\b|\bleave\s(?:the|my)\s\w+\s?on\b|"
    r"\b(?:dont|do\snot|never)\s(?:stop|cancel|remove|unsubscribe)\b|\b(?:estan|esta|todo)\sbien\b|(?<!me\s)(?<!no\s)(?<!que\s)\bsigan\b|"
    r"\bmanten\w*\b|\bquiero\sseguir\b|\bcan\s(?:stay|continue|keep\scoming)\b|\bdej(?:en|e|a)(?:me)?(?:los|las)\b|\bstick\s(?:to|with)\b|\bseguir\s(?:enviando|mandando)\w*|\b(?:todavia|aun)\squiero\b|\bme\s(?:gustan|sirven|ayudan)\b|"
    r"\bno\s(?:paren|dejen|cancelen|quiten|me\sden\sde\sbaja)\b|\w\ssi(?:\spor\sfavor)?$|\bplease\scontinue\b|"
    r"\bcontinue\s(?:sending|texting|with)\b|\bcontinuen\b|\b(?:just|only)\s(?:send|text)\b|"
    r"^si\s(?:los|las|sus|mis|el|la)\b|^keep(?:\s(?:them|it|those|these|please|pls|thanks))*$"
)
_RELATIVE = re.compile(
    r"\b(?:my|mi|mis|our|nuestr[oa]s?)\s(?:\w+\s)?(?:husband|hubby|wife|son|daughter|kids?|children|child|mom|"
    r"mother|mum|dad|father|partner|boyfriend|girlfriend|grandma|grandmother|grandpa|grandfather|brother|"
    r"sister|aunt|uncle|roommate|spouse|fiance|fiancee|esposo|esposa|marido|hij[oa]s?|mama|madre|papa|padre|"
    r"abuel\w*|herman\w*|novi[oa]|pareja|ti[oa]|suegr[oa]|niet[oa]|prim[oa])s?\b|"
    r"\b(?:she|he|shes|hes|her|his|him|hers|ella)\b|\b(?:de|den)(?:lo|la|le)\sde\s[bv]aja\b|"
    r"\b(?:saquen|saque|quiten|quite|borren|borre|eliminen|elimine)(?:lo|la)\sde\s(?:la|su|sus)\slista"
)
_SELF_TOO = re.compile(
    r"\b(?:me\stoo|and\sme|me\sand|both\sof\sus|us\sboth|all\sof\sus|me\sas\swell|myself|yo\stambien|"
    r"a\smi\stambien|y\sa\smi|y\syo|ambos|los\sdos|las\sdos|nosotros|us|nos)\b"
)
_STOPPISH = re.compile(
    r"\b(?:stop\w*|remove\w*|take\s(?:\w+\s){1,3}off|off\s(?:the|your)\slist|unsub(?!scribed\b)\w*|opt\w*\sout|"
    r"no\slonger|wants?\s(?:off|out)|"
    r"doesnt\swant|dont\swant|does\snot\swant|cancel\w*|ya\sno|baja|dej\w*\sde|paren|no\squiere|saqu\w*|"
    r"quit\w*|borr\w*|elimin\w*|no\s(?:le|les)\s(?:envien|manden|escriban|mande|envie)|"
    r"(?:mandar|enviar|escribir|mandando|enviando)(?:le|les))\b"
)
_NOT_THEIRS = re.compile(
    r"\b(?:no(?:\squiero)?(?:\sque)?(?:\sme|\snos)?|couldnt|cant|cannot|didnt|(?:i|we|you|u)\sshould|se\sdio\sde|se\sdieron\sde|contesto|respondio|mando|puso|escribio|"
    r"replied|texted|sent|wrote|typed)\s$"
)
_OWN_SENSE = re.compile(r"stop|unsub|opt|baja|no\s(?:le|les)\s")  # about messages whatever else is named
_LISTS = re.compile(r"\b(?:lists?|listas?|numbers?|numeros?|contacts?)\b")
_WHEN = re.compile(
    r"\b(?:after|before|past|until|till|antes\sde|despues\sde|pasad[oa]s?\slas|hasta\slas|desde\slas)\s"
    r"(?:\d{1,2}|noon|midnight|(?:la|las)\s\d{1,2}|dark|work|dinner|lunch|bedtime|medianoche|mediodia)|"
    r"\b(?:mornings?|evenings?|nights?|afternoons?|weekends?|weekdays?|sundays?|saturdays?|overnight|"
    r"midnight|madrugada|noches?|mananas|tardes?|fines?\sde\ssemana|domingos?|sabados?|temprano|"
    r"(?:too|so|very|tan|muy)\s(?:early|late|tarde)|work\shours|business\shours|dinner\stime|bedtime|"
    r"(?:en|por|de)\sla\s(?:manana|tarde|noche)|a\slas\s\d{1,2}|(?:un|dos|tres|\d)\sdias?\santes|(?:one|two|three|four|\d)\s(?:days?|hours?|hrs?)\s(?:before|ahead|earlier|in\sadvance)|d?el\smismo\sdia|"
    r"the\sday\sbefore(?!\s(?:reminders?|texts?|messages?))|morning\sof|"
    r"night\sbefore|entre\ssemana|(?:later|earlier)\sin\sthe\s(?:day|morning|afternoon|evening)|between\s\d{1,2}(?:\s?(?:am|pm))?\s(?:and|to)\s\d{1,2})\b|"
    r"\b\d{1,2}\s?(?:am|pm)\b|\b(?:[1-9]|1[0-2])\s[0-5]\d\b|\bhorario\b|\bhoras?\s(?:de\s)?(?:trabajo|laborales)\b"
)
_MESSAGING = re.compile(
    r"\b(?:texts?|txts?|texting|text\sme|messages?|msgs?|send|sending|sent|reminders?|notifications?|"
    r"contact|email|emails|mensajes?|textos?|envien|manden|escriban|enviar|mandar|escribir|recordatorios?|"
    r"escribirme|mandarme|enviarme|textearme|escribanme|llamenme|wake\sme|wakes\sme|me\sdespiertan|"
    r"notificaciones|llegan|llegar|recibir|them|they|these|check\s?ins|tips|lessons|consejos|mandenme|envienme|"
    r"mande|envie)\b"
)
_DAYS = (
    r"(?:sundays|saturdays|mondays|tuesdays|wednesdays|thursdays|fridays|lunes|martes|miercoles|jueves|viernes|"
    r"weekends|weekdays|mornings|evenings|nights|afternoons|domingos|sabados|fines\sde\ssemana|"
    r"entre\ssemana|mananas|tardes|noches)"
)
_HABITUAL = re.compile(
    rf"^(?:(?:please|pls|porfa|por\sfavor)\s)?(?:not|no|never|only|just|solo|solamente|nunca)\s"
    rf"(?:(?:on|los|las|en|the|in\sthe)\s)?{_DAYS}\b|^(?:(?:on|los|las)\s)?{_DAYS}\sno\b|"
    # a bound alone: "nothing before 8am please", "nada despues de las 8"
    r"^(?:(?:please|pls|porfa|por\sfavor)\s)?(?:nothing|nada|none|no)\s(?:before|after|past|until|antes\sde|despues\sde)\s"
    r"(?:\d{1,2}|noon|midnight|las\s\d{1,2})"
)
_FRAME = re.compile(
    r"\b(?:no|not|dont|only|just|prefer|rather|instead|too|please|solo|solamente|prefiero|mejor|nada|nunca|better|"
    r"stop|quit|never|can\syou|could\syou|would\syou|por\sfavor|pueden|podrian|favor|wake|despiertan|"
    r"after|before|antes|despues|until|hasta|anymore|dejen|deje|paren)\b"
)


def channel(stopping: list[str]) -> str:
    """Which channel the clauses that ask to stop name: "email", "all" or "sms" (texts, calls, nothing named)."""
    text = " ".join(stopping)
    texts = _TEXT.search(text)
    email = _EMAIL.search(text) or (texts and _MAILING.search(text))
    if _ALL.search(text) or (email and (texts or _ALSO.search(text))):
        return "all"
    return "email" if email else "sms"


def also(clause: str) -> bool:
    """A clause that adds a channel to the stop before it: "Emails too.", "ni mensajes ni correos", or names
    nothing but channels ("phone and email both", "by phone", "teléfono y correo")."""
    named = _EMAIL.search(clause) or _TEXT.search(clause)
    return bool(
        named and (_ALSO.search(clause) or not _CONNECTORS.sub(" ", _TEXT.sub(" ", _EMAIL.sub(" ", clause))).strip())
    )


def names_channel(clause: str, everything: bool = True) -> bool:
    """Names texts or email (or, unless `everything` is False, everything)."""
    return bool(_EMAIL.search(clause) or _TEXT.search(clause) or (everything and _ALL.search(clause)))


def stream(stopping: list[str], keeping: list[str]) -> str:
    """The one stream a stop is limited to, when another clause keeps something or the stop says "only", else ""."""
    limited = any(_ONLY.search(clause) for clause in stopping)
    if not keeping and not limited:
        return ""
    stopped, kept = streams(" ".join(stopping)), streams(" ".join(keeping))
    if len(stopped) != 1 or stopped & kept:
        return ""
    if kept or limited or any(_THE_REST.search(clause) for clause in keeping):
        return next(iter(stopped))
    return ""


def streams(text: str) -> set[str]:
    """The streams a text names: "the tips and the check-ins" → {"education", "checkin"}."""
    found = set()
    for name, pattern in _STREAM_WORDS.items():
        if pattern.search(text):
            found.add(name)
            text = pattern.sub(" ", text)
    return found


def keeps(clause: str) -> bool:
    """A clause that asks to go on receiving something: "reminders are fine", "no paren los recordatorios"."""
    return bool(_KEEP.search(clause))


def about_someone_else(text: str) -> bool:
    """A text about another person's messages ("my husband wants his texts stopped"), not including the sender;
    not a stop someone could not make, should make or has made ("she couldn't unsubscribe", "my wife says I should
    unsubscribe", "mi hijo contestó BAJA"), nor one of something else ("cancel Friday, my kid is sick")."""
    if not mentions_someone_else(text):
        return False
    about_messages = bool(_MESSAGING.search(text) or _LISTS.search(text))
    return any(
        not _NOT_THEIRS.search(text[: stop.start()]) and (about_messages or _OWN_SENSE.match(stop[0]))
        for stop in _STOPPISH.finditer(text)
    )


def mentions_someone_else(clause: str) -> bool:
    """Names another person, and not the sender with them ("my husband", but not "me and my husband")."""
    return bool(_RELATIVE.search(clause)) and not _SELF_TOO.search(clause)


def about_when(clause: str) -> bool:
    """A clause about when messages come ("no texts after 6pm", "mensajes solo en las mañanas"), or, in a reply,
    only which days or times of day ("not on sundays please", "solo entre semana", "los domingos no")."""
    if not _ALTERNATIVE.search(clause):
        clause = _VISIT_RELATIVE.sub(" the reminders ", clause)  # "stop texting me the day before my visits"
    return bool(_WHEN.search(clause) and _MESSAGING.search(clause) and _FRAME.search(clause)) or bool(
        _HABITUAL.search(clause)
    )


def scope_answer(plain: str) -> str | None:
    """The stream a short answer picks ("reminders please", "RECORDATORIOS"), from normalised words, else None."""
    core = " ".join(word for word in plain.split() if word not in _ANSWER_FILLER)
    for name, words in SCOPE_ANSWERS.items():
        if core in words:
            return name
    return None
