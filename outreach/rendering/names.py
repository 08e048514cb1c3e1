"""Template file names and which variant a message uses: `<dir>/<name>[.<phase>][.<lang>].<kind>.j2`.

`<kind>` is the suffix that says what the file makes (sms, email, md, html, txt); `<phase>` a cadence phase, left
out for the default copy; `<lang>` a BCP 47 primary tag, left out for `[clinic] default_language`. So
`education/pain-cycle.es.sms.j2` is the Spanish text, `partials/email-book.es.md.j2` its partial and
`layouts/email.es.html.j2` its layout. A variant that is not there falls back, in this order: (phase, language),
(default, language), (phase, default language), (default, default language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from outreach.rendering.context import PHASES

TEMPLATE_SUFFIX = ".j2"
KINDS = ("sms", "email", "md", "html", "txt")
_TAG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class TemplateName:
    base: str  # "education/pain-cycle", or "layouts/sms" for a layout with no kind of its own
    kind: str  # "sms", "email", "md", "html", "txt"; "" for layouts/sms.j2
    phase: str = ""
    language: str = ""

    def __str__(self) -> str:
        parts = [self.base, self.phase, self.language, self.kind]
        return ".".join(part for part in parts if part) + TEMPLATE_SUFFIX


def parse(name: str) -> TemplateName:
    """A template's name read back into its parts; a name of another form is all base, and has no variants."""
    folder, _, file = name.rpartition("/")
    if not file.endswith(TEMPLATE_SUFFIX):
        return TemplateName(name.removesuffix(TEMPLATE_SUFFIX), "")
    stem, *tags = file[: -len(TEMPLATE_SUFFIX)].split(".")
    kind = tags.pop() if tags and tags[-1] in KINDS else ""  # layouts/sms.j2 has none
    language = tags.pop() if tags and _TAG.match(tags[-1]) and tags[-1] not in PHASES else ""
    phase = tags.pop() if tags and tags[-1] in PHASES else ""
    if tags:
        return TemplateName(name.removesuffix(TEMPLATE_SUFFIX), "")
    base = f"{folder}/{stem}" if folder else stem
    return TemplateName(base, kind, phase, language)


def candidates(name: str, phase: str, language: str, default_language: str) -> tuple[str, ...]:
    """The files that could hold `name` for a message in `phase` and `language`, the best first. The default
    language's copy is the file without a tag (its tagged spelling is accepted too)."""
    parts = parse(name)
    phases = (phase, "") if phase in PHASES else ("",)
    spellings = {tag: ((tag, "") if tag == default_language else (tag,)) for tag in (language, default_language)}
    found: list[str] = []
    for tag in dict.fromkeys((language or default_language, default_language)):
        for variant in phases:
            for spelling in spellings.get(tag, ("",)):
                candidate = str(TemplateName(parts.base, parts.kind, variant, spelling))
                if candidate not in found:
                    found.append(candidate)
    return tuple(found)


def language_of(name: str, default_language: str) -> str:
    """The language a template file is written in."""
    return parse(name).language or default_language
