"""`campaigns check`: every campaign file and message template, checked the way the worker will use them.

Each finding names FILE:LINE. Errors mean a campaign must not go live; warnings are worth a look.
The dashboard shows the same findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jinja2 import TemplateNotFound, TemplateSyntaxError, meta, nodes
from markupsafe import escape

from outreach.campaigns import Campaign, CampaignError, Catalog, Problem, Step, locate, parse_campaign
from outreach.policy.holdout import NEVER_HELD_OUT
from outreach.policy.segments import SegmentCount, capacity, count_segments
from outreach.rendering.context import PHASES, sample_context
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
    checker = _Checker(Renderer(settings, templates_dir, overrides), settings)
    found = list(checker.templates())
    for path in sorted(Path(campaigns_dir).glob("*.toml")):
        found.extend(checker.campaign(path))
    found.extend(checker.replies())
    return sorted(set(found), key=lambda f: (str(f.path), f.line, f.message))


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


class _Checker:
    def __init__(self, renderer: Renderer, settings: Settings) -> None:
        self.renderer = renderer
        self.settings = settings
        self.environment = renderer.environment

    # Every template file, used or not: syntax and deny-listed variables.

    def templates(self) -> Iterator[Finding]:
        for path in sorted(self.renderer.templates_dir.rglob(f"*{TEMPLATE_SUFFIX}")):
            name = path.relative_to(self.renderer.templates_dir).as_posix()
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
                yield from self._step(campaign, step, channel)

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

    def _step(self, campaign: Campaign, step: Step, channel: str) -> Iterator[Finding]:
        name = template_name(step, channel)
        phases = step.phases or campaign.audience.phases
        # Reminders always have a visit; other streams must also read well without one.
        contexts = list(_sample_contexts(self.settings, phases, channel, visit_optional=campaign.stream != "reminder"))
        renders = []
        for phase, context in contexts:
            try:
                renders.append((phase, context, self.renderer.render(campaign, step, channel, context)))
            except RenderError as exc:
                yield Finding(exc.path, exc.line, exc.message)
        if channel == "sms":
            yield from self._sms(name, [(phase, rendered.text) for phase, _, rendered in renders])
            return
        for _phase, context, rendered in renders:
            yield from self._email(name, context, rendered)
            if campaign.stream == "checkin":
                yield from self._answer_links(name, context, rendered)

    def replies(self) -> Iterator[Finding]:
        for reply in REPLIES:
            path = self.renderer.path_of(reply_name(reply))
            if not path.is_file():
                yield Finding(path, 1, f"missing reply template: the worker answers texts with it ({reply})")
        for name, template, render in reply_templates(self.renderer):
            texts = []
            for phase, context in _sample_contexts(self.settings, PHASES, "sms", visit_optional=True):
                try:
                    texts.append((phase, render({**context, "stop_notice": False})))
                except RenderError as exc:
                    yield Finding(exc.path, exc.line, exc.message)
            yield from self._sms(template, texts, keyword_reply=template == reply_name(name))

    # What a rendered message must and must not contain.

    def _sms(self, name: str, texts: list[tuple[str, str]], keyword_reply: bool = False) -> Iterator[Finding]:
        """Size, encoding and words of a text. Keyword replies carry wording carriers require, so only the
        maximum binds them; every other text should fit sms.target_segments."""
        if not texts:
            return
        sources = self._sources(name, SMS_LAYOUT)
        maximum = self.settings.sms.max_segments
        target = maximum if keyword_reply else self.settings.sms.target_segments
        for phase, text in texts:
            count = count_segments(text)
            if count.first_non_gsm is not None:
                yield self._ucs2(sources, text, count.first_non_gsm, phase)
                break
        phase, text = max(texts, key=lambda item: _size(item[1]))
        count = count_segments(text)
        path, line = sources[0][0], 1
        size = f"{count.segments} segments ({count.encoding}, {count.characters} characters) in phase {phase!r}"
        if count.segments > maximum:
            yield Finding(path, line, f"SMS needs {size}; the budget is {maximum} (sms.max_segments)")
        elif count.segments > target:
            yield Finding(
                path,
                line,
                f"SMS needs {size}; each segment is billed, aim for {target} (sms.target_segments)",
                "warning",
            )
        elif count.encoding == "GSM-7" and capacity("GSM-7", target) - count.characters < SMS_HEADROOM:
            spare = capacity("GSM-7", target) - count.characters
            yield Finding(
                path,
                line,
                f"SMS leaves only {spare} characters spare in phase {phase!r}: a longer name "
                f"or booking link could make it {target + 1} segments",
                "warning",
            )
        for _, text in texts:
            yield from self._deny_words(sources, {"text": text})

    def _ucs2(self, sources: list[tuple[Path, str]], text: str, char: str, phase: str) -> Finding:
        what = f"{char!r} (U+{ord(char):04X}) switches the SMS to UCS-2, 70 characters a segment"
        for path, source in sources:
            for number, line in enumerate(source.splitlines(), 1):
                if char in line:
                    return Finding(path, number, f"{what}: column {line.index(char) + 1}; use plain quotes and dashes")
        return Finding(sources[0][0], 1, f"{what}: character {text.index(char) + 1} of the text in phase {phase!r}")

    def _email(self, name: str, context: dict, rendered: Rendered) -> Iterator[Finding]:
        html_layout, text_layout = self.renderer.path_of(HTML_LAYOUT), self.renderer.path_of(TEXT_LAYOUT)
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
        yield from self._deny_words(self._sources(name, HTML_LAYOUT, TEXT_LAYOUT), parts)

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

    def _deny_words(self, sources: list[tuple[Path, str]], parts: dict[str, str]) -> Iterator[Finding]:
        for word in self.settings.compliance.deny_words:
            pattern = re.compile(rf"(?<!\w){re.escape(word)}", re.IGNORECASE)
            for part, text in parts.items():
                if pattern.search(text):
                    path, line = _first_line(sources, pattern)
                    yield Finding(path, line, f"deny-listed word {word!r} (compliance.deny_words) in the {part}")
                    break

    def _sources(self, name: str, *layouts: str) -> list[tuple[Path, str]]:
        """The template, the templates it includes, and its layouts: where a rendered word can come from."""
        names = [name]
        try:
            tree = self.environment.parse(self.renderer.source_of(name))
            names += [n for n in meta.find_referenced_templates(tree) if isinstance(n, str)]
        except (OSError, TemplateNotFound, TemplateSyntaxError, UnicodeDecodeError):
            pass
        sources = []
        for each in [*names, *layouts]:
            try:
                sources.append((self.renderer.path_of(each), self.renderer.source_of(each)))
            except (OSError, UnicodeDecodeError, TemplateNotFound):
                continue
        return sources or [(self.renderer.path_of(name), "")]


def _sample_contexts(
    settings: Settings, phases: Iterable[str], channel: str, visit_optional: bool
) -> Iterator[tuple[str, dict]]:
    for phase in phases:
        context = sample_context(settings, phase, channel)
        yield phase, context
        if visit_optional:
            yield phase, {**context, "visit": None}


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


def _size(text: str) -> tuple[int, int]:
    count = count_segments(text)
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
    """One row of `campaigns list`: a step (or a reply) and its SMS size in each phase it is sent in."""

    campaign: str
    stream: str
    step: str
    channels: tuple[str, ...]
    segments: dict[str, SegmentCount | None]  # phase -> size; None when the step has no text for that phase


def sms_table(catalog: Catalog, renderer: Renderer, settings: Settings) -> list[SmsRow]:
    """SMS segment counts per phase for every step and reply, measured with the sample client.
    A template that fails to render is left out of its phase (`campaigns check` says why)."""
    rows = []
    for campaign in catalog.campaigns:
        for step in campaign.steps:
            phases = step.phases or campaign.audience.phases
            has_sms = "sms" in step.channels and renderer.has_template(step, "sms")
            sizes = {
                phase: _measure(partial(_sms_text, renderer, campaign, step), settings, phase)
                if has_sms and phase in phases
                else None
                for phase in PHASES
            }
            rows.append(SmsRow(campaign.name, campaign.stream, step.key, step.channels, sizes))
    for name, template, render in reply_templates(renderer):
        sizes = {phase: _measure(partial(_without_stop_notice, render), settings, phase) for phase in PHASES}
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


def _measure(render: Callable[[dict], str], settings: Settings, phase: str) -> SegmentCount | None:
    try:
        return count_segments(render(sample_context(settings, phase, "sms")))
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
