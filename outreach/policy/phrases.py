"""The phrases that ask to stop messages, in English and Spanish, and the words that negate them. Pure.

policy.intent reads a text clause by clause; `asks_to_stop` says whether one clause asks to stop (True), has such
a phrase but negated ("please don't stop texting me", "no paren los recordatorios": False), or neither (None).
Phrases a client in pain also says about the pain ("make it stop", "I've had enough") count only in a clause that
does not mention pain.
"""

from __future__ import annotations

import re

# "reminders", not "the reminder": "can you stop the reminder for Tuesday" is about one visit.
_TEXTS = (
    r"(?:texts?|txts?|texting|txting|messages?|msgs?|messaging|sms|reminders|notifications?|alerts?|"
    r"promos?|spam|subscription|(?:e\s?)?mails?|emailing|newsletters?|tips|lessons|articles|check\s?ins|surveys|"
    r"check\s?in\s(?:texts|messages|questions|surveys)|(?:(?<=pain\s)|(?<=rating\s))questions|"
    r"calls|nudges|confirmations|rebooking\s(?:texts|reminders|messages)|stuff|junk|crap|things)"
)
_ANY = (
    r"(?:(?:all|any|the|these|those|this|your|ur|such|of|more|further|them|me|us|u|my|both|lesson|appointment|pain)\s)*"
)
# Up to three words that say which messages: "the massage education stuff", "the its been a while messages".
_WHICH = (
    r"(?:(?!by\b|in\b|at\b|over\b|off\b|me\b|for\b|to\b|than\b|stop\b|stopping\b|quit\b|cancel\b|about\b|"
    r"(?!(?:re)?booking\b|texting\b|messaging\b|marketing\b|upcoming\b|morning\b|evening\b|following\b)\w+ing\b)\w+\s){0,4}"
)
_PRONOUNS = r"(?:\s(?:me|us|u|them|these|those|this|it|all))*"
# Which list: "take me off your texting list", not "remove me from the Tuesday list".
_LIST = (
    r"(?:(?:your|the|this|that|ur|my|all|of|every|any|each|whatever|texting|text|sms|mailing|contact|marketing|and|or|"
    r"messaging|message|"
    r"distribution|subscriber|subscription|email)\s){0,3}(?:list|lists|texts?|messages?|database|system|contacts?|"
    r"files?|records?|roster|register|directory|"
    r"this|it|everything|communications?|mailings?)"
)
# What may follow a request at the end of a clause: "remove me please", "take me off now thanks".
_END = (
    r"(?:\s(?:please|pls|plz|thanks|thank\syou|thx|ty|now|asap|already|for\sreal|for\sgood|permanently|completely|"
    r"this\stime|right\snow|immediately|por\sfavor|porfa|gracias))*$"
)
_ES_TEXTS = (
    r"(?:mensajes|mensajitos|textos|msjs?|sms|recordatorios|correos|emails?|consejos|lecciones|articulos|"
    r"encuestas|llamadas|notificaciones|avisos|promociones|texts|messages|tips|confirmaciones|"
    r"preguntas\s(?:del|de|sobre)\s(?:el\s|mi\s)?dolor)"
)
_PAIN = re.compile(
    r"\b(?:pain(?!\s(?:check|question|score|survey|rating|text))|hurt\w*|ache\w*|aching|sore|spasms?|cramps?|"
    r"headaches?|dolor\w*|duele|migraines?|back|neck|shoulders?|knees?|hips?|legs?|head|killing\sme|agony|"
    r"espalda|cuello|rodillas?|"
    # or something else that may stop: "the chair keeps beeping, make it stop"
    r"beep\w*|nois\w*|alarms?|squeak\w*|buzz\w*|ringing|music|chair|machine|ruido\w*)\b"
)
_EN_PHRASES = (
    rf"\b(?:stop|quit|cease|end|cancel|discontinue|halt)\s(?:with\s)?(?:sending\s)?{_ANY}(?:\w+\s)?{_TEXTS}\b",
    rf"\b(?:stop|quit|cease|discontinue|halt)\s(?:the|these|those|your|all\sthe)\s(?:\w+\s){{1,3}}{_TEXTS}\b",
    r"\b(?:stop|quit|cease)\s(?:contacting|calling|emailing|spamming|bothering|harassing|bugging|texting|messaging)\b",
    # "stop sending me these", "stop getting texts"; not "stop sending me the wrong time"
    rf"\b(?:stop|quit|cease)\s(?:sending|sendin|receiving|getting|gettin){_PRONOUNS}(?:\s{_ANY}{_TEXTS}\b|$)",
    r"\bcease\sand\sdesist\b|\b(?:stop|cease|end)\s(?:all\s|any\s)?(?:contact|communications?)\b",
    r"\b(?:revoke|revoking|withdraw|withdrawing)\s(?:my\s|all\s|any\s)?consent\b|\brevoke\b",
    r"\b(?:do\snot|dont|no\slonger)\sconsent\b",
    rf"\b(?:remove|delete|drop|take)\sme\s(?:off|from|form)\s{_LIST}\b",
    r"\b(?:remove|delete|drop|take)\s(?:my|this)\s(?:phone\s|cell\s|mobile\s)?(?:number|cell|info|information|contact|"
    r"email(?:\saddress)?|address|details|data)(?:\s(?:off|from|form)\b|$)",
    rf"\b(?:remove|delete|drop)\sme{_END}|\btake\sme\soff{_END}|\b(?:get|leave)\sme\soff\b|\bi\swant\s(?:out|off)\b",
    r"\bno\sneed\sto\s(?:text|txt|message|contact|send|email|call)\b",
    r"\blose\smy\snumber\b",
    rf"\bno\smore\s{_ANY}{_TEXTS}\b",
    rf"\bno\slonger\s(?:want|wish|need)\s(?:to\s(?:receive|get|be\s(?:texted|contacted|on))|{_ANY}{_TEXTS}|"
    r"these|them|this|those|it|any)",
    r"\b(?:dont|do\snot|never)\s(?:ever\s)?(?:text|txt|message|msg|contact|sms|send|email|call)"
    r"(?:\s(?:me|us|u|this\snumber|again|anymore|any\smore|more(?!\sthan))\b|$)",
    rf"^(?:please\s)?no\s{_ANY}{_TEXTS}(?:\s(?:please|pls|thanks|thank\syou|anymore|for\sme))*$",
    rf"\b(?:dont|do\snot)\s(?:want|wish|need)\s(?:to\s(?:receive|get)\s)?{_ANY}{_TEXTS}\b",
    r"\b(?:dont|do\snot)\s(?:want|wanna|need)\s(?:(?:to\s)?(?:get|receive|keep\sgetting)\s)?"
    r"(?:these|those|this|them|any\smore|anymore)\b",
    r"^(?:please\s|pls\s)?no\smore(?:\s(?:of\s)?(?:these|those|this|them|that|it))?"
    r"(?:\s(?:please|pls|thanks|thank\syou|thx|ty|im\sgood|im\sok|im\sfine|im\sall\sset|for\sme))*$",
    r"^(?:can|could|would|will)\s(?:you|u)\s(?:please\s|pls\s)?(?:just\s)?stop(?:\s(?:it|this|that|them|these|now|"
    r"already|please|pls))*$",
    rf"\b(?:(?:get|be|taken|want)\s(?:me\s)?off|(?:taken|removed|get\sme|want\sme)\s(?:off|from))\s{_LIST}\b",
    r"\b(?:do\snot|dont|no\slonger)\s(?:have|give)\s(?:you\s)?(?:my\s)?(?:permission|consent)\b",
    r"\bun\s?sub(?:scribe|scribing)?\b|\bunsu(?:s|b)?cribe\b",
    r"\bopt(?:ed|ing)?\s(?:me\s)?out\b|\boptout\b",
    # being finished, preferring not to hear more
    rf"\benough\s(?:with\s|of\s)?(?:the\s|these\s|your\s|all\s(?:the\s|these\s)?)?{_TEXTS}\b",
    r"\b(?:thats|that\sis|its)\senough(?:\s(?:texts|messages|for\sme))*$",
    r"\b(?:id|i\swould|i\sd|i)\s(?:prefer|rather|like|want)\s(?:to\s)?(?:not|no\slonger|stop)\s(?:to\s)?"
    r"(?:get|getting|receive|receiving|hear|hearing|be\s(?:texted|contacted|on))\b",
    r"\bprefer\snot\sto\s(?:get|receive|be|hear)\b|\brather\snot\s(?:get|receive|hear)\b",
    r"\b(?:im|i\sam|were)\s(?:done|finished|through)\s(?:with\s)?(?:these|this|them|those|it|all\sthis|"
    r"(?:the|your|all\sthe)\s(?:texts|messages|reminders|emails|tips))\b",
    rf"\bturn\s(?:off\s(?:these|those|the|your|all|my)|(?:these|those|them|it|this|{_ANY}{_TEXTS})\soff)\b",
    r"\b(?:stop|quit|cease)\sasking\sme\b|\bstp\s(?:texting|txting|sending|messaging|emailing|contacting)\b",
    r"\b(?:stop|quit)\s(?:sending|texting)\sme\s\w+$",
)
# Phrases a client in pain also uses about the pain: "make it stop", "I've had enough", "how do I stop this".
_EN_UNLESS_PAIN = (
    r"\b(?:ive|i\shave|weve)\shad\s(?:about\s|more\sthan\s)?enough\b",
    r"\bmake\s(?:it|this|them|these|those|the|your|all\sthis|all\sof\sthis)(?:\s\w+)?\s(?:all\s)?stop\b",
    r"\bget\s(?:it|this|them|these|those)\sto\sstop\b",
    rf"\bhow\s(?:do|can|would)\s(?:i|we)\s(?:stop|turn\soff|end|cancel|get\srid\sof)\s(?:getting\s|receiving\s)?"
    rf"(?:these|this|them|those|it|{_ANY}{_TEXTS})\b",
)
_ES_PHRASES = (
    rf"\bno\s(?:quiero\s)?(?:recibir\s)?mas\s{_ES_TEXTS}\b",
    rf"\bno\squiero\s(?:recibir\s)?(?:mas\s)?(?:sus\s|estos\s|los\s|mas\s)?{_ES_TEXTS}\b",
    r"\b(?:ya\s)?no\s(?:de[sc]eo|qu?iero|quisiera|necesito|me\sinteresa)\s(?:seguir\s)?"
    r"(?:re[cs]i[bv]ir|re[cs]i[bv]iendo|que\sme\s(?:envien|manden|escriban|contacten|sigan|llamen))\b",
    rf"\b(?:ya\s)?no\s(?:deseo|qu?iero|quisiera|necesito)\s(?:recibir\s)?(?:mas\s)?(?:los|las|sus|estos|esos|mas)?\s?"
    rf"{_ES_TEXTS}\b",
    r"\bno\s(?:qu?iero|deseo)\s(?:ningun|ninguna)\s(?:tipo\sde\s)?(?:comunicacion|contacto|mensaje)",
    r"\bprefiero\sno\s(?:recibir|que\sme)\b|\bno\s(?:me\s)?vuelvan?\sa\s(?:escribir|mandar|enviar|contactar|llamar)",
    r"\b(?:ya\s)?no\s(?:qu?iero|deseo)\s(?:recibir\s)?(?:mas\snada|nada\smas|nada\sde\sustedes)\b",
    r"\bno\s(?:me\s)?(?:envie|envien|envies|enviar|enviarme|manden|mande|mandes|mandar|mandarme|escriba|escriban|"
    r"escribas|escribir|escribirme|contacte|contacten|contactar|contactarme|molesten|moleste|llamen|texteen|"
    r"textees|textee|textearme|"
    r"pregunten|pregunte|mandara|mandaran|enviara|enviaran|escribiera|escribieran|contactaran|"
    r"sigan\s(?:enviando|mandando|escribiendo))\b",
    r"\b(?:dejen|deje|deja|dejar|paren|pare|para|parar|detengan|detenga|stop)\sde\s(?:enviar|mandar|escribir|contactar|"
    r"textear|molestar|recibir|llamar)",
    rf"\b(?:paren|pare|parar|detengan|detenga|suspendan|suspenda|cancelen|cancele|cancelar|cancela)\s(?:ya\s)?"
    rf"(?:con\s)?(?:los|las|la|mis|sus|estos|esos|tus|todos\slos|mi)?\s?(?:suscripcion|{_ES_TEXTS})\b",
    # not "me di de baja" (a past fact), not "dar de baja mi tarjeta" (something else of theirs)
    r"(?<!dieron\s)(?<!dio\s)(?<!di\s)(?<!diste\s)(?<!dado\s)\bde\s[bv]aja\b(?!\s(?:mi|mis|la|el|las|los|del|de\s(?:la|las|los|el|mi|mis|su|sus))\s"
    r"(?!numero|cel\b|celular|telefono|correo|email|cuenta|suscripcion|datos|info|mensajes|textos|lista|sistema|"
    r"servicio|programa|recordatorio|consejo|notificacion|aviso|tips|encuesta|promocion|base|sms|texts)\w)|"
    r"\bbaj(?:en|e|a)me\b|\bbajenme\b",
    r"\b(?:saca|saque|saquen|borra|borre|borren|elimina|elimine|eliminen|quita|quite|quiten)(?:me|nos)(?:los|las)?\b",
    r"\b(?:saquen|saque|saca|borren|borre|borra|eliminen|elimine|elimina|quiten|quite|quita)\s"
    r"(?:(?:mi|mis|este|el)\s(?:numero|celular|correo|email|datos|telefono)|(?:de\s)?(?:la|su|sus|tu|esta)\slista)",
    r"\bdes(?:in|u)?s(?:u|c)?cri[bv]\w*",
    r"\b(?:sacarme|borrarme|quitarme|eliminarme)\s(?:de\s(?:la|su|sus|esta|tu)\slista|de\sahi)|"
    r"\bfavor\sde\s(?:sacarme|borrarme|quitarme|eliminarme)\b",
    rf"\b(?:basta|suficiente)\s(?:ya\s)?(?:de|con)\s(?:los\s|sus\s|tantos\s|tantas\s)?{_ES_TEXTS}",
    r"\bcomo\s(?:hago|le\shago|puedo)\s(?:para\s)?(?:que\s)?(?:paren|dejen|no\sme|darme|dejar|parar|cancelar)\b",
    r"\bhagan?\sque\s(?:paren|dejen)\b|\bningun\s(?:mensaje|texto|correo)\smas\b",
    rf"\bpara\s(?:ya\s)?con\s(?:los|las|sus|tus|tantos|tantas|esos|estos)\s{_ES_TEXTS}",
    r"\bstop\s(?:de\s)?(?:mandar|mandando|enviar|enviando|escribir|escribiendo)\b",
)
# --- the grammar: (a request, a wish, a negated want, being done) × (stop, receive, remove) × (message, pronoun,
# the sender's number or a list), in both languages; the tables above are its fixed phrases.
_EN_STOP = (
    r"(?:stop|stopping|quit|quitting|cease|discontinue|halt|end|drop|cancel|pause\sall|cut(?:\sout)?|ditch|scrap|nix|"
    r"kill|axe|knock\soff)"
)
_EN_CONTACT = (
    r"(?:text|texted|texting|txt|message|messaged|messaging|msg|contact|contacting|email|emailed|"
    r"emailing|call|calling|reminding|asking|pinging|nagging|pestering|bugging|spamming|notifying|hitting|blowing\sup|"
    r"buzzing|flooding|bombarding|hounding|harassing|bothering)"
)
_EN_PRONOUN = r"(?:it|them|em|these|those|this|that|all\sthis|all\sof\sthis|all\sof\sthem|all\sthese)"
_EN_REMOVE = (
    r"(?:remove|removing|delete|deleting|erase|erasing|wipe|wiping|scrub|scrubbing|drop|dropping|take|taking|get|"
    r"getting|pull|pulling|strike|purge|clear)"
)
_EN_MINE = (
    r"(?:(?:all\s)?(?:my|this)\s(?:phone\s|cell\s|mobile\s|contact\s|personal\s)?(?:name\sand\s)?(?:number|cell|phone|info|"
    r"information|contact|contacts|details|data|email(?:\saddress)?|address|profile|account|name|records?|file)"
    r"(?:\s(?:info|information|number))?)"
)
_EN_GRAMMAR_UNLESS_PAIN = (
    rf"\b(?:make|get|have)\s(?:{_EN_PRONOUN}|(?:the|your|these|those|all\sthe|all\sthese)\s{_WHICH}{_TEXTS})"
    r"\s(?:to\s)?(?:all\s)?(?:stop|end|go\saway|quit|cease)\b",
    r"\b(?:want|like|need|wish)\s(?:them|em|these|those|all\sof\sthem|all\sthese)\s(?:to\s(?:all\s)?(?:stop|end)|"
    r"stopped|gone|ended)\b",
)
_EN_GRAMMAR = (
    rf"\b{_EN_STOP}\s(?:with\s)?(?:sending\s|getting\s|send\s)?{_ANY}{_WHICH}{_TEXTS}\b",
    rf"\b{_EN_STOP}\s{_EN_CONTACT}\s(?:me|us|u|this\snumber|my\s(?:number|phone|cell))\b",
    rf"\b(?:stop|quit|cease)\s(?:sending|sendin|texting|messaging)(?:\sto)?{_PRONOUNS}(?:\s(?:and|then|now|already))*$",
    rf"\b{_EN_REMOVE}\s{_EN_MINE}\s(?:off|from|form|out\sof|out)\b",
    rf"\b(?:remove|removing|delete|deleting|erase|erasing|wipe|scrub|purge)\s{_EN_MINE}{_END}",
    rf"\b{_EN_REMOVE}\sme\s(?:off|from|form|of|out\sof)\s{_LIST}\b",
    # the passive of the same: "that my number be deleted from your list", "that I be removed"
    rf"\b{_EN_MINE}\s(?:be|is|get|gets|to\sbe)\s(?:deleted|removed|erased|taken\s(?:off|out)|dropped|wiped|"
    r"scrubbed|struck|purged)\b|\b(?:that\si|i|me)\sbe\s(?:removed|deleted|taken\soff|dropped|unsubscribed|erased)\b",
    rf"\b(?:prefer|rather|like|want|wish|ask|asking|request|requesting|appreciate\sit)\s(?:it\s)?(?:if\s)?(?:that\s)?"
    rf"(?:you|u|yall|you\sguys|your\s\w+)\s"
    rf"(?:didnt|did\snot|not|wouldnt|would\snot|no\slonger|stop|stopped|to\sstop|quit|to\squit|dont)\s"
    rf"(?:\w+\s)?(?:{_EN_CONTACT}|send|sending)\b",
    # a wish that the messages end, or that they may: "I'd like the text messages to stop", "the check-ins can stop"
    rf"\b(?:want|like|need|wish)\s(?:the|these|those|your|all\sthe|all\sthese|all\syour)\s{_WHICH}{_TEXTS}\s"
    r"(?:to\s(?:all\s)?(?:stop|end|cease)|stopped|ended|gone)\b",
    rf"\b(?:the|these|those|your|all\sthe|all\sthese|all\syour)\s{_WHICH}{_TEXTS}\s(?:can|could|should|need\sto|"
    r"must|have\sto|may)\s(?:all\s)?(?:stop|end|cease)\b",
    rf"\b(?:want|wish|would\slike|need|prefer)\s(?:zero|no|no\smore|no\sfurther|nothing\smore)\s"
    rf"(?:\w+\s)?(?:contact|communications?|{_TEXTS})\b",
    rf"\bno\s(?:more|further)\s(?:sending\s|getting\s)?{_ANY}{_WHICH}{_TEXTS}\b",
    r"\b(?:revoke|revoking|withdraw|withdrawing|rescind|rescinding|retract)\s(?:my\s|all\s|any\s|the\s)?"
    r"(?:consent|permission|authori[sz]ation|agreement)\b",
    rf"\b(?:dont|do\snot|no\slonger|never|not)\s(?:want|wish|need)\s(?:(?:to\s)?(?:receive|get)\s)?{_ANY}{_WHICH}"
    rf"{_TEXTS}\b",
    rf"^(?:(?:im|i\sam|were|we\sare)\s)?(?:so\s)?(?:done|finished|through|over|all\sset|all\sdone)\s(?:with\s)?"
    rf"(?:{_EN_PRONOUN}|(?:the|your|all\sthe|all\sthese|these|those)\s{_WHICH}{_TEXTS}|getting\s\w+)\b",
    r"\bunsub(?:scribe)?(?:ame|eme|anme|me|s)?\b|\bon\ssubscribe\sme\b",
    rf"\b(?:thats|that\sis|ive\shad|had)\s(?:plenty|enough)\s(?:of\s)?(?:the\s|these\s|your\s|all\s)?{_TEXTS}\b",
)
# Spanish verbs by stem, in the forms that ask (imperative, subjunctive, infinitive, gerund), with a typo'd b/v:
# "no me envíe", "no me manden", "no me escribás", "no me estén mandando"; never "no me mandaron" (a past fact).
_ES_SEND = (
    r"(?:(?:mand|envi|contact|texte|molest|llam|pregunt|habl|recuerd)(?:e|en|es|ara|aran|ar|arme|ando|andome|arle)|"
    r"(?:escri[bv]|re[cs]i[bv])(?:a|an|as|iera|ieran|ir|irme|iendo|iendome)|hagan\sllegar|hagas\sllegar|"
    r"hac(?:er|erme|erle|iendome)\s(?:llamadas|mensajes|preguntas))"
)
_ES_REMOVE = r"(?:(?:sa(?:c|qu)|borr|elimin|retir|exclu[iy])\w*|quit(?:a|e|en|ar|ara|aran|ando))"
_ES_MINE = (
    r"(?:(?:todos\s)?(?:mi|mis|este|el)\s(?:numero|cel|celular|correo|email|datos|telefono|info|informacion|contacto)"
    r"|me|nos)"
)
_ES_GRAMMAR = (
    rf"\b(?:no|ni)\s(?:me\s|nos\s)?(?:(?:los|las|lo|la)\s)?(?:(?:esten|este|sigan|siga|anden|vuelvan\sa|vuelva\sa)\s)?"
    rf"{_ES_SEND}\b",
    # a request to stop, not "dejo de recibir" (what would happen)
    rf"\bdej(?:en|e|a|es|ar|ara|aran|ad|enme|eme|ame|arme)\sde?\s{_ES_SEND}",
    rf"\bno\s(?:es\snecesario|hace\sfalta|necesito|de[sc]eo|qu?iero|quisiera|me\sinteresa)\sque\s(?:me|nos)\s"
    rf"(?:sigan\s)?(?:{_ES_SEND}|llegu\w+)",
    # the passive: "solicito que mi número telefónico sea eliminado de su lista"
    r"\b(?:mi|este)\s(?:numero|cel|celular|correo|email|telefono|contacto|nombre)(?:\s\w+)?\s(?:sea|fuera|se)\s"
    r"(?:eliminad|borrad|retirad|quitad|sacad|removid|dad[oa]\sde\s[bv]aja)",
    rf"\b(?:prefiero|quiero|deseo|quisiera|me\sgustaria|solicito|pido)\s(?:ya\s)?no\s(?:seguir\s)?(?:{_ES_SEND}|"
    r"que\sme)",
    rf"\b{_ES_REMOVE}\s{_ES_MINE}\b",
    rf"\b(?:se\s)?me\s{_ES_REMOVE}\sde\b",
    r"\b(?:sa(?:c|qu)|borr|elimin|quit|retir|exclu[iy])\w*(?:me|nos)\b",
    rf"\b(?:par|deten|ces(?=en|e|ar)|stop)\w*\s(?:ya\s)?(?:con\s)?(?:todo\stipo\sde\s|tod[oa]s?\s)?"
    rf"(?:(?:los|las|sus|esos|estos|tantos|tantas|tanto)\s)?(?:{_ES_TEXTS}|comunicacion(?:es)?|contacto)",
    # "ya no quiero esto", "ya no los necesito": a negated want of what was sent
    r"\bya\sno\s(?:(?:qu?iero|de[sc]eo|necesito)\s(?:mas\s)?(?:esto|estos|estas|eso|esos|esas|nada\sde\sesto)|"
    r"(?:los|las)\s(?:qu?iero|necesito|deseo))$",
    # "los recordatorios ya no": the messages named, then refused
    rf"^(?:(?:los|las|sus|esos|estos|esas|estas)\s)?{_ES_TEXTS}(?:\s\w+){{0,2}}?\s(?:ya\sno|no\smas|nunca\smas)$",
    r"\bla\sbaja\sde\s(?:mi|este)\s(?:numero|cel|celular|telefono|correo)",
    r"\b(?:retiro|revoco|cancelo)\smi\s(?:consentimiento|permiso|autorizacion)\b",
)
_NAMES_TEXTS = re.compile(rf"\b{_TEXTS}\b")
_EN_CLEAR = tuple(re.compile(pattern) for pattern in _EN_PHRASES + _EN_GRAMMAR)
_EN_CLEAR_UNLESS_PAIN = tuple(re.compile(pattern) for pattern in _EN_UNLESS_PAIN + _EN_GRAMMAR_UNLESS_PAIN)
_ES_CLEAR = tuple(re.compile(pattern) for pattern in _ES_PHRASES + _ES_GRAMMAR)
# "Please don't stop texting me", "I didn't opt out", "I'll stop sending my scores": the phrase is there, the wish
# is not.
_NOT_ASKED = re.compile(
    r"\b(?:(?:dont|do\snot|didnt|did\snot|never|not|did\si|wont|will\snot|cant|cannot|couldnt|could\snot|shouldnt|"
    r"(?:i|we)\sshould|no\squiero|wouldnt|"
    r"would\snever|(?:id|i\swould|i)\shate\sto|if\s(?:i\s)?)\s"
    r"(?:(?:you|u)\s(?:dare|even|ever)\s)?(?:(?:mean|want|wanted|need|wanna|going|have|trying|planning|asking|looking)\s"
    r"(?:to\s)?)?|"
    r"(?:ill|i\swill|im\sgoing\sto|i\sam\sgoing\sto|im\sgonna|why\sdid\syou|did\syou|does|if\si\s\w+|if(?:\si)?|"
    r"why\s(?:would|should|do|did)\s(?:i|we|anyone)(?:\sever)?|(?:do|would|will)\s(?:i|we)\s(?:have|need)\sto)\s)$"
)
_ES_NOT_ASKED = re.compile(
    r"\b(?:(?:no|nunca|jamas|ni\slocas?|ni\slocos?|ni\sde\sbroma)\s(?:es\sque\s)?|ni\sse\s(?:les|le|te)\socurra\s)"
    r"(?:me\s|los\s|las\s|lo\s|la\s)?(?:(?:quiero|quiera|deseo|quisiera|queria|quise|voy\sa|iba\sa|pienso|necesito|estoy|"
    r"estaba)\s)?(?:que\s)?(?:(?:me|nos|lo|la|los|las)\s)?(?:(?:dar|darme|den|de|des|dejar|doy|dando|dandome)\s)?$|\b(?:hay|tengo|tendria|tendre)\sque\s(?:darse\s|darme\s)?$"
    r"|\bno\sme\s(?:dieron|dio)\s$|\bno\s(?:estoy\s|estaba\s)?(?:pidiendo|pido|pedi|dije|digo|diciendo)\s(?:que\s)?"
    r"(?:(?:dar|darme|me\sden|den|dejen)\s)?$|\bsi\s(?:yo\s)?(?:(?:quiero|quisiera)\s)?(?:no\s)?(?:(?:quiero|quisiera)\s)?$"
)
# Each table with the negation read before its phrases, and whether talk of pain disarms them.
_TABLES = (
    (_EN_CLEAR, _NOT_ASKED, False),
    (_ES_CLEAR, _ES_NOT_ASKED, False),
    (_EN_CLEAR_UNLESS_PAIN, _NOT_ASKED, True),
)


# A question about what would happen, or a text meant for someone else: no stop is asked here.
_NOT_NOW = re.compile(
    r"\b(?:later\sif|in\sthe\sfuture|future\sreference|someday|eventually|if\s(?:it|they|this)\sever|"
    r"just\s(?:want|wanted)\sto\sknow|just\scurious|not\sdoing\sit|hypothetical\w*|what\shappens\sif|"
    r"por\s(?:pura\s)?curiosidad|pura\scuriosidad|mas\sadelante|en\sel\sfuturo|que\spasa\ssi|"
    r"(?:solo|nomas|just|only)\s(?:pregunto|preguntaba|asking|wondering)|si\s(?:contesto|respondo|mando|pongo|escribo)|"
    r"wrong\s(?:chat|thread|convo|conversation|group|window|app)|chat\sequivocado|"
    r"call(?:ing)?\sme\s\w+\s(?:\w+\s)?(?:its|im|my\sname))\b"
)
# "unsubscribe from my meal kit", "stop my card": the object named after the phrase is not ours.
_THEIRS = re.compile(
    r"^\s(?:me\s)?(?:from\s|off\s|de\s)?(?:(?:my|mi)\s((?:\w+\s){0,2}\w+)|(?:the|this|that|your|el|la|del)\s"
    r"((?:\w+\s){0,2}(?:auto\s?pay|autopay|billing|payments?|card|membership|gym|insurance|fees?|charges?|tarjeta|"
    r"membresia|gimnasio|pagos?|cobros?|cargos?)\b))"
)
# Padding before a request that changes nothing: "and no more of these", "it would be great if these could end".
_LEAD = re.compile(r"^(?:(?:and|so|then|also|ok|okay|yeah|well|bruh|bro|dude|yo|y|pues|entonces)\s)+")
_WISH_IF = re.compile(
    r"\b(?:it\s)?(?:would|wd|d)\sbe\s(?:great|nice|good|lovely|appreciated|awesome|better|best|helpful)\sif\b|"
    r"\b(?:id|i\swould|i\sd|i)\s(?:really\s)?(?:appreciate|love|like)\sit\sif\b(?!\s(?:you|u|yall)\b)"
)
_OURS = frozenset(
    """texts text messages message reminders emails email number phone cell account list lists subscription tips
    lessons check checkins ins appointment pain info data contact mensajes numero cel celular cuenta lista correo
    correos datos telefono recordatorios consejos""".split()
)


def hypothetical(text: str) -> bool:
    """A question about what would happen ("what happens if someone texts stop"), or a text meant elsewhere."""
    return bool(_NOT_NOW.search(text))


def about_pain(text: str) -> bool:
    return bool(_PAIN.search(text))


def asks_to_stop(clause: str, whole: str) -> bool | None:
    """True: the clause asks to stop; False: it has an opt-out phrase, negated ("don't stop"); None: neither.
    `whole` is the text around it: "make it stop" is no opt-out when the text is about pain."""
    found = None
    clause = _WISH_IF.sub("please", _LEAD.sub("", clause))
    in_pain, not_now = about_pain(whole), hypothetical(whole)
    for patterns, negation, unless_pain in _TABLES:
        for pattern in patterns:
            for match in pattern.finditer(clause):
                if unless_pain and in_pain and not _NAMES_TEXTS.search(match[0]):
                    continue
                if not_now or negation.search(clause[: match.start()]):
                    found = False
                elif not _theirs(clause[match.end() :]):
                    return True
    return found


def _theirs(after: str) -> bool:
    """The words after a stop phrase name something of the client's that is none of ours ("my meal kit")."""
    owned = _THEIRS.match(after)
    return owned is not None and (owned[2] is not None or not set(owned[1].split()) & _OURS)
