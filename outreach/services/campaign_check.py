"""`campaigns check`: every campaign file and message template, checked the way the worker will use them.

Each finding names FILE:LINE. Errors mean a campaign must not go live; warnings are worth a look.
The dashboard shows the same findings.

Per language served: every file in the default language has its translation (a missing one is named), each is
rendered in its own language and held to that language's deny words and segment target, and every text is
measured for long sample names inside and outside GSM-7 (a name such as Joaquín makes a text UCS-2): none may
need more than `[sms] max_segments` unless its `{% block short %}` fits, which is then what such names are sent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path

from jinja2 import TemplateNotFound, TemplateSyntaxError, meta, nodes
from markupsafe import escape

from outreach.campaigns import Campaign, CampaignError, Catalog, Problem, Step, locate, parse_campaign
from outreach.policy.holdout import NEVER_HELD_OUT
from outreach.policy.languages import language_name
from outreach.policy.segments import GSM7_BASIC, GSM7_EXTENSION, SegmentCount, capacity, count_segments
from outreach.rendering.context import LONG_SAMPLE_NAMES, PHASES, SAMPLE_FIRST_NAME, sample_context
from outreach.rendering.names import language_of, parse
from outreach.rendering.templates import (
    HTML_LAYOUT,
    REPLIES,
    SMS_LAYOUT,
    TEMPLATE_SUFFIX,
    TEXT_LAYOUT,
    Rendered,
    RenderError,
    Renderer,
    quick_reply_name,
    reply_name,
    template_name,
)
from outreach.settings import Settings

# An SMS with fewer spare characters than this may tip over its budget for a longer name or booking link.
SMS_HEADROOM = 20
# The timing keys each stream reads (see outreach.campaigns); any other is a mistake in the file.
STREAM_TIMING = {
    "education": {"after_days"},
    "rebook": {"after_days", "repeat_every_days", "max_repeats"},
    "checkin": {"repeat_every_days", "max_repeats"},
    "reminder": {"days_before", "at"},
}
TIMING_KEYS = ("after_days", "days_before", "at", "repeat_every_days", "max_repeats")


@dataclass(frozen=True)
class Finding(Problem):
    severity: str = "error"  # "error" | "warning"
    whole: bool = False  # about the rendered message as a whole (its size), not a line: `line` is then 1

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        marker = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {marker}{self.message}"


def check_campaigns(
    campaigns_dir: Path, templates_dir: Path, settings: Settings, overrides: Mapping[str, str] | None = None
) -> list[Finding]:
    """All problems in campaigns_dir/*.toml and templates_dir, errors and warnings, sorted by file and line.
    `overrides` (template name -> source) stand in for files: copy edited in the browser, checked the same way."""
    checker = _Checker(Renderer(settings, templates_dir, overrides), settings, overrides or {})
    found = list(checker.templates())
    found.extend(checker.translations())
    for path in sorted(Path(campaigns_dir).glob("*.toml")):
        found.extend(checker.campaign(path))
    found.extend(checker.replies())
    return sorted(set(found), key=lambda f: (str(f.path), f.line, f.message))


def _whole(path: Path, message: str, severity: str = "error") -> Finding:
    """A finding about a rendered text as a whole (its size), which no one line of the template causes."""
    return Finding(path, 1, message, severity, whole=True)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


@dataclass(frozen=True)
class _Text:
    """A text rendered for one sample client: its phase, whether it has a visit, the name, its full and short text."""

    phase: str
    visit: bool
    first_name: str
    full: str
    short: str | None = None

    def size(self, short: bool = False) -> SegmentCount:
        return _count((self.short or "") if short else self.full)


class _Checker:
    def __init__(self, renderer: Renderer, settings: Settings, overrides: Mapping[str, str]) -> None:
        self.renderer = renderer
        self.settings = settings
        self.environment = renderer.environment
        self.overrides = overrides
        self.default_language = settings.clinic.default_language
        self._found_sources: dict[tuple[str, ...], list[tuple[Path, str]]] = {}

    # Every template, used or not, a file or written in the browser only: syntax and deny-listed variables.

    def templates(self) -> Iterator[Finding]:
        for name in self._template_names():
            yield from self._template(self.renderer.path_of(name), name)

    def _template(self, path: Path, name: str) -> Iterator[Finding]:
        try:
            tree = self.environment.parse(self.renderer.source_of(name), name, str(path))
        except TemplateSyntaxError as exc:
            yield Finding(path, exc.lineno, f"syntax error: {exc.message}")
            return
        except UnicodeDecodeError as exc:
            yield Finding(path, 1, f"not UTF-8 text ({exc.reason})")
            return
        for identifier, line in _printed_names(tree):
            if _denied(identifier, self.settings.compliance.deny_variables):
                yield Finding(
                    path,
                    line,
                    f"uses deny-listed variable {identifier!r} (compliance.deny_variables): "
                    "health information must never reach a message",
                )

    # Every file in the default language, translated into each other language served.

    def translations(self) -> Iterator[Finding]:
        """A step, reply, quick reply, partial or layout without its own copy in a language served: clients in that
        language get the default language's (an error for `[languages] required`), or, for a phase variant, the
        language's everyday copy."""
        others = [tag for tag in self.settings.served_languages if tag != self.default_language]
        for name in self._template_names():
            parts = parse(name)
            if parts.language not in ("", self.default_language):
                continue
            plain = str(replace(parts, language=""))
            for language in others:
                own = str(replace(parts, language=language))
                used = self.renderer.resolve(plain, parts.phase, language)
                if used != own:
                    yield self._untranslated(own, used, parts.phase, language)

    def _untranslated(self, own: str, used: str, phase: str, language: str) -> Finding:
        called = language_name(language)
        if language_of(used, self.default_language) == language:
            gets = f"{called} clients in phase {phase!r} get {used}"
            return Finding(self.renderer.path_of(own), 1, f"no {called} copy; {gets}", "warning")
        gets = f"{called} clients get the {language_name(self.default_language)}"
        if language in self.settings.languages.required:
            return Finding(
                self.renderer.path_of(own),
                1,
                f"no {called} copy; {gets}, and {called} is required (languages.required)",
            )
        return Finding(self.renderer.path_of(own), 1, f"no {called} copy; {gets}", "warning")

    def _template_names(self) -> list[str]:
        folder = self.renderer.templates_dir
        files = {path.relative_to(folder).as_posix() for path in folder.rglob(f"*{TEMPLATE_SUFFIX}")}
        return sorted(files | set(self.overrides))

    # One campaign file: the loader's problems, timings that fit the stream, every step rendered.

    def campaign(self, path: Path) -> Iterator[Finding]:
        try:
            campaign = parse_campaign(path)
        except CampaignError as exc:
            yield from (Finding(p.path, p.line, p.message) for p in exc.problems)
            return
        text = path.read_text(encoding="utf-8")
        if campaign.holdout_percent and campaign.stream in NEVER_HELD_OUT:
            yield Finding(
                path,
                locate(text, ("holdout_percent",)),
                f"holdout_percent: a {campaign.stream} campaign is never held out (visit reminders are "
                "service, not marketing); remove it",
            )
        for index, step in enumerate(campaign.steps):
            yield from self._timing(campaign, step, path, text, index)
            for channel in step.channels:
                if not self.renderer.has_template(step, channel):
                    expected = self.renderer.path_of(template_name(step, channel))
                    yield Finding(
                        path,
                        locate(text, ("steps", index, "template")),
                        f"step {step.key!r}: no {channel} template ({expected} does not exist)",
                    )
                    continue
                for language in self.settings.served_languages:
                    yield from self._step(campaign, step, channel, language)

    def _timing(self, campaign: Campaign, step: Step, path: Path, text: str, index: int) -> Iterator[Finding]:
        def at(key: str) -> int:
            return locate(text, ("steps", index, key))

        for key in TIMING_KEYS:
            if getattr(step, key) is not None and key not in STREAM_TIMING[campaign.stream]:
                reads = ", ".join(sorted(STREAM_TIMING[campaign.stream]))
                yield Finding(
                    path,
                    at(key),
                    f"step {step.key!r}: {key} has no effect in the {campaign.stream} stream (it reads {reads})",
                )
        phases = step.phases or campaign.audience.phases
        outside = [p for p in phases if p not in campaign.audience.phases]
        if outside:
            yield Finding(
                path,
                at("phases"),
                f"step {step.key!r}: phase {outside[0]!r} is not in the campaign's "
                f"audience, so the step would never be sent to it",
            )
        repeats = step.repeat_every_days is not None or step.max_repeats is not None
        if campaign.stream == "rebook" and repeats and tuple(phases) != ("lapsed",):
            key = "repeat_every_days" if step.repeat_every_days is not None else "max_repeats"
            yield Finding(path, at(key), f'step {step.key!r}: only a step limited to phases = ["lapsed"] repeats')
        if (
            step.at is not None
            and campaign.window is not None
            and not (campaign.window.start <= step.at < campaign.window.end)
        ):
            yield Finding(
                path,
                at("at"),
                f"step {step.key!r}: at {step.at:%H:%M} is outside the campaign's "
                "window, so it waits for the window to open",
                "warning",
            )

    def _step(self, campaign: Campaign, step: Step, channel: str, language: str) -> Iterator[Finding]:
        """The step's copy in `language`, for every phase it is sent in: a language whose copy is missing is sent
        the default's, which the default language's pass checks."""
        phases = step.phases or campaign.audience.phases
        # Reminders always have a visit; other streams must also read well without one.
        visit_optional = campaign.stream != "reminder"
        names = LONG_SAMPLE_NAMES if channel == "sms" else (SAMPLE_FIRST_NAME,)
        texts: dict[str, list[_Text]] = {}
        for phase, visit, context in _sample_contexts(self.settings, phases, channel, visit_optional, language, names):
            used = self.renderer.resolve(template_name(step, channel), phase, language)
            if language_of(used, self.default_language) != language:
                continue
            try:
                rendered = self.renderer.render(campaign, step, channel, context)
                short = self.renderer.render_short(campaign, step, context) if channel == "sms" else None
            except RenderError as exc:
                yield Finding(exc.path, exc.line, exc.message)
                continue
            if channel == "sms":
                first_name = context["client"]["first_name"]
                texts.setdefault(used, []).append(
                    _Text(phase, visit, first_name, rendered.text, short.text if short else None)
                )
                continue
            yield from self._email(used, context, rendered)
            if campaign.stream == "checkin":
                yield from self._answer_links(used, context, rendered)
        for used, found in texts.items():
            yield from self._sms(used, found)

    def replies(self) -> Iterator[Finding]:
        for reply in REPLIES:
            path = self.renderer.path_of(reply_name(reply))
            if not path.is_file():
                yield Finding(path, 1, f"missing reply template: the worker answers texts with it ({reply})")
        for name, template, render in reply_templates(self.renderer):
            texts: dict[str, list[_Text]] = {}
            for language in self.settings.served_languages:
                contexts = _sample_contexts(self.settings, PHASES, "sms", True, language, LONG_SAMPLE_NAMES)
                for phase, visit, context in contexts:
                    used = self.renderer.resolve(template, phase, language)
                    if language_of(used, self.default_language) != language:
                        continue
                    try:
                        text = render({**context, "stop_notice": False})
                    except RenderError as exc:
                        yield Finding(exc.path, exc.line, exc.message)
                        continue
                    texts.setdefault(used, []).append(_Text(phase, visit, context["client"]["first_name"], text))
            for used, found in texts.items():
                yield from self._sms(used, found, keyword_reply=template == reply_name(name))

    # What a rendered message must and must not contain.

    def _sms(self, name: str, texts: list[_Text], keyword_reply: bool = False) -> Iterator[Finding]:
        """Size, encoding and words of a text in one language, for every sample name. Keyword replies carry wording
        carriers require, so only the maximum binds them; every other text should fit the language's target."""
        language = language_of(name, self.default_language)
        sources = self._sources(name, self.renderer.resolve(SMS_LAYOUT, "", language))
        maximum = self.settings.sms.max_segments
        target = (maximum, "sms.max_segments") if keyword_reply else self._target(language)
        written = [t for t in texts if t.first_name == SAMPLE_FIRST_NAME]
        characters = [(t.phase, t.full) for t in written] + [(t.phase, t.short) for t in written if t.short]
        yield from self._characters(sources, characters)
        path = sources[0][0]
        yield from self._over_maximum(path, texts, maximum)
        yield from self._over_target(path, texts, target, maximum, short=False)
        shorts = [t for t in texts if t.short is not None]
        yield from self._short_over_maximum(path, shorts, maximum)
        yield from self._over_target(path, shorts, target, maximum, short=True)
        parts = {t.full for t in texts} | {t.short for t in shorts if t.short}
        for text in sorted(parts):
            yield from self._deny_words(sources, {"text": text}, language)

    def _target(self, language: str) -> tuple[int, str]:
        own = self.settings.languages.of(language).target_segments
        key = f"languages.{language}.target_segments" if own else "sms.target_segments"
        return self.settings.target_segments(language), key

    def _over_maximum(self, path: Path, texts: list[_Text], maximum: int) -> Iterator[Finding]:
        """No text leaves over `[sms] max_segments`: for a name that makes it longer, its short text must fit."""
        over = [t for t in texts if t.size().segments > maximum]
        if not over:
            return
        worst = max(over, key=lambda t: _size(t.full))
        size = _described(worst.size(), worst)
        shorts = [t for t in over if t.short is not None]
        if len(shorts) < len(over):
            yield _whole(path, f"SMS needs {size}; the budget is {maximum} (sms.max_segments)")
            return
        longest = max(shorts, key=lambda t: _size(t.short or ""))
        short = longest.size(short=True)
        if short.segments > maximum:
            yield _whole(
                path,
                f"SMS needs {size}, and its short text {_described(short, longest)}; the budget is {maximum} "
                "(sms.max_segments), so it is not sent to such names",
            )
            return
        full = worst.size()
        yield _whole(
            path,
            f'full text needs {full.segments} segments for "{worst.first_name}"; the short text '
            f"({short.segments}) is sent (phase {worst.phase!r}, {full.encoding}, {full.characters} characters)",
            "warning",
        )

    def _short_over_maximum(self, path: Path, shorts: list[_Text], maximum: int) -> Iterator[Finding]:
        """A short text too long for a name whose full text fits: a longer name would find neither fitting."""
        over = [t for t in shorts if t.size(short=True).segments > maximum and t.size().segments <= maximum]
        if over:
            worst = max(over, key=lambda t: _size(t.short or ""))
            size = _described(worst.size(short=True), worst)
            yield _whole(path, f"the short text needs {size}; the budget is {maximum} (sms.max_segments)")

    def _over_target(
        self, path: Path, texts: list[_Text], target: tuple[int, str], maximum: int, short: bool
    ) -> Iterator[Finding]:
        """Each segment is billed: the text as written should fit the target. A name that switches the text to
        UCS-2 is bound by the maximum only; a name that keeps its encoding counts."""
        written = {(t.phase, t.visit): t.size(short).encoding for t in texts if t.first_name == SAMPLE_FIRST_NAME}
        bound = [
            t
            for t in texts
            if t.size(short).segments <= maximum and t.size(short).encoding == written.get((t.phase, t.visit))
        ]
        if not bound:
            return
        worst = max(bound, key=lambda t: _size((t.short or "") if short else t.full))
        count, (segments, key) = worst.size(short), target
        what = "the short text needs" if short else "SMS needs"
        if count.segments > segments:
            yield _whole(
                path,
                f"{what} {_described(count, worst)}; each segment is billed, aim for {segments} ({key})",
                "warning",
            )
        elif not short and count.encoding == "GSM-7" and capacity("GSM-7", segments) - count.characters < SMS_HEADROOM:
            spare = capacity("GSM-7", segments) - count.characters
            yield _whole(
                path,
                f"SMS leaves only {spare} characters spare in phase {worst.phase!r}: a longer name "
                f"or booking link could make it {segments + 1} segments",
                "warning",
            )

    def _characters(self, sources: list[tuple[Path, str]], texts: list[tuple[str, str]]) -> Iterator[Finding]:
        """A character that switches a text to UCS-2 and could be written another way: quotes, dashes, symbols.
        A letter outside GSM-7 is spelling (Spanish keeps its accents) and is left to the size checks."""
        for phase, text in texts:
            char = _avoidable(text)
            if char is not None:
                yield self._ucs2(sources, text, char, phase)
                return

    def _ucs2(self, sources: list[tuple[Path, str]], text: str, char: str, phase: str) -> Finding:
        what = f"{char!r} (U+{ord(char):04X}) switches the SMS to UCS-2, 70 characters a segment"
        for path, source in sources:
            for number, line in enumerate(source.splitlines(), 1):
                if char in line:
                    return Finding(path, number, f"{what}: column {line.index(char) + 1}; use plain quotes and dashes")
        return Finding(sources[0][0], 1, f"{what}: character {text.index(char) + 1} of the text in phase {phase!r}")

    def _email(self, name: str, context: dict, rendered: Rendered) -> Iterator[Finding]:
        layouts = [self.renderer.resolve(layout, "", rendered.language) for layout in (HTML_LAYOUT, TEXT_LAYOUT)]
        html_layout, text_layout = (self.renderer.path_of(layout) for layout in layouts)
        unsubscribe, preferences = context["unsubscribe_url"], context["preferences_url"]
        address = self.settings.clinic.postal_address
        if f'href="{escape(unsubscribe)}"' not in rendered.html:
            yield Finding(html_layout, 1, "the HTML part has no unsubscribe link (an href of {{ unsubscribe_url }})")
        if unsubscribe not in rendered.text:
            yield Finding(text_layout, 1, "the plain-text part has no unsubscribe link ({{ unsubscribe_url }})")
        if str(escape(address)) not in rendered.html:
            yield Finding(
                html_layout, 1, "the HTML part does not show the postal address ({{ clinic.postal_address }})"
            )
        if address not in rendered.text:
            yield Finding(
                text_layout, 1, "the plain-text part does not show the postal address ({{ clinic.postal_address }})"
            )
        if preferences not in rendered.text or f'href="{escape(preferences)}"' not in rendered.html:
            yield Finding(html_layout, 1, "an email part has no preferences link ({{ preferences_url }})", "warning")
        parts = {"subject": rendered.subject, "plain-text part": rendered.text, "HTML part": rendered.html}
        yield from self._deny_words(self._sources(name, *layouts), parts, rendered.language)

    def _answer_links(self, name: str, context: dict, rendered: Rendered) -> Iterator[Finding]:
        """A check-in email is answered only through its links: every one must be there, in both parts."""
        path, line = _first_line(self._sources(name), re.compile(r"\banswers\b"))
        for part, text, spelled in (("HTML part", rendered.html, escape), ("plain-text part", rendered.text, str)):
            # Not followed by a digit: the link for 1 must not pass for the one for 10.
            missing = [
                a["label"]
                for a in context["answers"]
                if not re.search(re.escape(str(spelled(a["url"]))) + r"(?!\d)", text)
            ]
            if missing:
                yield Finding(
                    path,
                    line,
                    f"the {part} lacks the answer links for {', '.join(missing)} "
                    "(print {{ answer.url }} for each of answers)",
                )

    def _deny_words(
        self, sources: list[tuple[Path, str]], parts: dict[str, str], language: str = ""
    ) -> Iterator[Finding]:
        """The words of the list for `language` (the file's) in any part of a rendered message."""
        default = self.settings.clinic.default_language
        words = self.settings.compliance.words_denied(language or default, default)
        # A substring test first: most parts contain none of the words, and a regex search of an email's HTML is slow.
        folded = {part: text.casefold() for part, text in parts.items()}
        for word, pattern in zip(words, _deny_patterns(words), strict=True):
            for part, text in parts.items():
                if word.casefold() in folded[part] and pattern.search(text):
                    path, line = _first_line(sources, pattern)
                    yield Finding(path, line, f"deny-listed word {word!r} (compliance.deny_words) in the {part}")
                    break

    def _sources(self, name: str, *layouts: str) -> list[tuple[Path, str]]:
        """The template, the templates it includes, and its layouts: where a rendered word can come from."""
        key = (name, *layouts)
        if key not in self._found_sources:  # asked again for each phase and sample client
            self._found_sources[key] = self._read_sources(name, *layouts)
        return self._found_sources[key]

    def _read_sources(self, name: str, *layouts: str) -> list[tuple[Path, str]]:
        names = [name]
        within = parse(name)
        try:
            tree = self.environment.parse(self.renderer.source_of(name))
            included = [n for n in meta.find_referenced_templates(tree) if isinstance(n, str)]
            # As renders load them: the variant in the including file's phase and language (names.py).
            names += [self.renderer.resolve(n, within.phase, within.language) for n in included]
        except (OSError, TemplateNotFound, TemplateSyntaxError, UnicodeDecodeError):
            pass
        sources = []
        for each in [*names, *layouts]:
            try:
                sources.append((self.renderer.path_of(each), self.renderer.source_of(each)))
            except (OSError, UnicodeDecodeError, TemplateNotFound):
                continue
        return sources or [(self.renderer.path_of(name), "")]


@lru_cache(maxsize=16)
def _deny_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each word, matched case-insensitively as a word prefix."""
    return tuple(re.compile(rf"(?<!\w){re.escape(word)}", re.IGNORECASE) for word in words)


def _sample_contexts(
    settings: Settings,
    phases: Iterable[str],
    channel: str,
    visit_optional: bool,
    language: str = "",
    names: Iterable[str] = (SAMPLE_FIRST_NAME,),
) -> Iterator[tuple[str, bool, dict]]:
    """(phase, has a visit, context) for a sample client of each name, in `language`."""
    for phase in phases:
        for first_name in names:
            context = sample_context(settings, phase, channel, language, first_name)
            yield phase, True, context
            if visit_optional:
                yield phase, False, {**context, "visit": None}


def _avoidable(text: str) -> str | None:
    """The first character outside GSM-7 that is not a letter (or an accent on one)."""
    return next(
        (c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION and unicodedata.category(c)[0] not in "LM"),
        None,
    )


def _described(count: SegmentCount, text: _Text) -> str:
    return (
        f'{count.segments} segments ({count.encoding}, {count.characters} characters) for "{text.first_name}" '
        f"in phase {text.phase!r}"
    )


def _printed_names(tree: nodes.Template) -> Iterator[tuple[str, int]]:
    """Every context variable and attribute a template reads, with its line."""
    undeclared = meta.find_undeclared_variables(tree)
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in undeclared:
            yield node.name, node.lineno
        elif isinstance(node, nodes.Getattr):
            yield node.attr, node.lineno
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            yield node.arg.value, node.lineno


@lru_cache(maxsize=4096)
def _count(text: str) -> SegmentCount:
    return count_segments(text)


def _size(text: str) -> tuple[int, int]:
    count = _count(text)
    return count.segments, count.characters


def _denied(identifier: str, deny: Iterable[str]) -> bool:
    lowered = identifier.lower()
    denied = {d.lower() for d in deny}
    return lowered in denied or any(part in denied for part in lowered.split("_"))


def _first_line(sources: list[tuple[Path, str]], pattern: re.Pattern[str]) -> tuple[Path, int]:
    for path, source in sources:
        for number, line in enumerate(source.splitlines(), 1):
            if pattern.search(line):
                return path, number
    return sources[0][0], 1


def count_files(campaigns_dir: Path, templates_dir: Path) -> tuple[int, int]:
    """How many campaign files and templates a check covers, for its summary line."""
    return (len(list(Path(campaigns_dir).glob("*.toml"))), len(list(Path(templates_dir).rglob(f"*{TEMPLATE_SUFFIX}"))))


@dataclass(frozen=True)
class SmsRow:
    """One row of `campaigns list`: a step (or a reply) and its SMS size in each language and phase it is sent in."""

    campaign: str
    stream: str
    step: str
    channels: tuple[str, ...]
    # language -> phase -> size; None when the step has no text for that phase
    segments: dict[str, dict[str, SegmentCount | None]]

    def cost_per_thousand(self, language: str, price_per_segment: float) -> float | None:
        """What 1,000 of these texts cost in `language`, in USD: the segments of its longest phase's sample text,
        times the price of a segment, times 1,000. None when it has no text."""
        counts = [count.segments for count in self.segments.get(language, {}).values() if count is not None]
        return max(counts) * price_per_segment * 1000 if counts else None


def sms_table(catalog: Catalog, renderer: Renderer, settings: Settings) -> list[SmsRow]:
    """SMS segment counts per language served and phase for every step and reply, measured with the sample client.
    A template that fails to render is left out of its phase (`campaigns check` says why)."""
    rows = []
    for campaign in catalog.campaigns:
        for step in campaign.steps:
            phases = step.phases or campaign.audience.phases
            has_sms = "sms" in step.channels and renderer.has_template(step, "sms")
            render = partial(_sms_text, renderer, campaign, step)
            sizes = {
                language: {
                    phase: _measure(render, settings, phase, language) if has_sms and phase in phases else None
                    for phase in PHASES
                }
                for language in settings.served_languages
            }
            rows.append(SmsRow(campaign.name, campaign.stream, step.key, step.channels, sizes))
    for name, template, reply in reply_templates(renderer):
        render = partial(_without_stop_notice, reply)
        sizes = {
            language: {phase: _measure(render, settings, phase, language) for phase in PHASES}
            for language in settings.served_languages
        }
        rows.append(SmsRow(template.split("/")[0], "-", name, ("sms",), sizes))
    return rows


def _sms_text(renderer: Renderer, campaign: Campaign, step: Step, context: dict) -> str:
    return renderer.render(campaign, step, "sms", context).text


def _without_stop_notice(render: Callable[[dict], str], context: dict) -> str:
    return render({**context, "stop_notice": False})


def reply_templates(renderer: Renderer) -> list[tuple[str, str, Callable[[dict], str]]]:
    """(name, template, render) for every text that is not a campaign step: the automatic replies, and the
    quick replies as they are sent (inside the text layout)."""
    found: list[tuple[str, str, Callable[[dict], str]]] = [
        (reply, reply_name(reply), partial(renderer.render_reply, reply))
        for reply in REPLIES
        if renderer.path_of(reply_name(reply)).is_file()
    ]
    for quick in renderer.quick_replies():
        found.append(
            (
                quick,
                quick_reply_name(quick),
                lambda c, quick=quick: renderer.wrap_sms(renderer.render_quick_reply(quick, c), c),
            )
        )
    return found


def _measure(render: Callable[[dict], str], settings: Settings, phase: str, language: str) -> SegmentCount | None:
    try:
        return count_segments(render(sample_context(settings, phase, "sms", language)))
    except RenderError:
        return None


def write_email_preview(out_dir: Path, stem: str, rendered: Rendered, eml: bytes) -> list[Path]:
    """The email as OUT/STEM.html, .txt and .eml (open the .eml in a mail client to see both parts)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{suffix}" for suffix in ("html", "txt", "eml")]
    paths[0].write_text(rendered.html, encoding="utf-8")
    paths[1].write_text(rendered.text, encoding="utf-8")
    paths[2].write_bytes(eml)
    return paths
