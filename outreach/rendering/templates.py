"""Campaign templates (Jinja2) rendered into emails (subject, plain text, HTML) and texts.

Email templates define `{% block subject %}`, optionally `{% block preheader %}`, and `{% block body %}` written in
Markdown; the layouts in templates/layouts/ add the header and the compliance footer, so a template cannot drop
the unsubscribe link or the postal address. Blocks render on their own, so import macros inside the block that
uses them. A text is the `.sms.j2` template, joined onto one line, inside layouts/sms.j2.

Speed: converting Markdown (about 1.4 ms) and inlining CSS (about 50 µs) would dominate each render, so they run
once per template *shape*, not once per client. While a template renders, every value it prints is swapped for
a numbered token; the tokenised output (the same for every client that takes the same branches) is converted
and cached; the real values go in last, HTML-escaped for HTML and as they are for text. Conditions and filters
still see the real values. Markup values (macro output, `|safe`) are kept as template text.

Running the templates themselves (three Jinja renders an email) then cost more than the rest of a message, so
a campaign message renders once per shape too (shapes.py): the template's syntax tree says which
values decide its branches; clients who share those get the shape's tokenised output, filled with their own.
"""

from __future__ import annotations

import os
import re
import textwrap
import traceback
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import css_inline
import markdown
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
    pass_eval_context,
)
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import concat
from markupsafe import Markup, escape

from outreach.campaigns import Campaign, Step
from outreach.policy.segments import count_segments
from outreach.rendering.context import localised, weeks_in
from outreach.rendering.names import TEMPLATE_SUFFIX, candidates, language_of, parse
from outreach.rendering.shapes import Shapes, Slot
from outreach.settings import Settings

CHANNELS = ("email", "sms")
REPLIES = ("help", "stop", "start", "checkin-thanks", "received", "scope-kept")
LESSON_PATH = "/learn/"
QUICK_REPLIES = "quick-replies"  # folder of short texts the front desk can insert into a reply
EMAIL_BLOCKS = ("subject", "preheader", "body")
HTML_LAYOUT = "layouts/email.html.j2"
TEXT_LAYOUT = "layouts/email.txt.j2"
SMS_LAYOUT = "layouts/sms.j2"
LAYOUTS = (HTML_LAYOUT, TEXT_LAYOUT, SMS_LAYOUT)
SHORT_BLOCK = "short"  # an SMS template's shorter version, sent when the full text needs too many segments

_TOKEN = "xtok{}kotx"
_TOKEN_PATTERN = re.compile(r"xtok(\d+)kotx")
_printed: ContextVar[list[Any] | None] = ContextVar("outreach_printed_values", default=None)


@dataclass(frozen=True)
class Rendered:
    channel: str  # "email" | "sms"
    subject: str  # "" for sms
    text: str  # email plain-text part, or the SMS body
    html: str  # "" for sms
    language: str = ""  # the language of the copy used: the client's, or the default's where it had none


class TooLong(Exception):
    """A text needs more than `[sms] max_segments`, even in its short version: it must not be sent."""

    def __init__(self, segments: int) -> None:
        super().__init__(f"Too long: {segments} segments")
        self.segments = segments


class RenderError(Exception):
    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def template_name(step: Step, channel: str, language: str = "", phase: str = "") -> str:
    """The file of a step's copy for a channel; without a language, the default language's."""
    return ".".join(part for part in (step.template, phase, language, channel) if part) + TEMPLATE_SUFFIX


def lesson_url(public_url: str, lesson: str, language: str = "") -> str:
    """The lesson's public page (outreach.web.public.lessons): the same for every client, nothing personal in it.
    Another language than the default's has its own page, /learn/es/LESSON."""
    return f"{public_url.rstrip('/')}{LESSON_PATH}{language + '/' if language else ''}{lesson}"


def reply_name(name: str) -> str:
    return f"replies/{name}.sms{TEMPLATE_SUFFIX}"


def quick_reply_name(name: str) -> str:
    return f"{QUICK_REPLIES}/{name}.sms{TEMPLATE_SUFFIX}"


class Renderer:
    def __init__(self, settings: Settings, templates_dir: Path, overrides: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.templates_dir = Path(templates_dir)
        self.default_language = settings.clinic.default_language
        self._loader = OverridingLoader(self.templates_dir, overrides or {}, self.default_language)
        self.environment = template_environment(self._loader)
        inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._inline = lru_cache(maxsize=512)(inliner.inline)
        self.shapes = Shapes(self.environment)

    def render(self, campaign: Campaign, step: Step, channel: str, context: dict) -> Rendered:
        """The step's copy in the context's language and phase (or the nearest variant there is: see names.py)."""
        name, context = self._localised(template_name(step, channel), context)
        context = self._with_lesson_url(campaign, step, context)
        if channel == "email":
            return self._email(name, context)
        if channel == "sms":
            return Rendered("sms", "", self._sms(name, context), "", context["language"])
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")

    def render_within(self, campaign: Campaign, step: Step, channel: str, context: dict, max_segments: int) -> Rendered:
        """`render`, for sending: a text that needs more than `max_segments` is replaced by its `{% block short %}`,
        and raises TooLong if it has none or that is too long as well."""
        rendered = self.render(campaign, step, channel, context)
        if channel != "sms":
            return rendered
        segments = count_segments(rendered.text).segments
        if segments <= max_segments:
            return rendered
        short = self.render_short(campaign, step, context)
        if short is None:
            raise TooLong(segments)
        segments = count_segments(short.text).segments
        if segments > max_segments:
            raise TooLong(segments)
        return short

    def render_short(self, campaign: Campaign, step: Step, context: dict) -> Rendered | None:
        """A text's `{% block short %}` inside the layout, or None when its template has none."""
        name, context = self._localised(template_name(step, "sms"), context)
        if not self.has_short(name):
            return None
        context = self._with_lesson_url(campaign, step, context)
        return Rendered("sms", "", self._sms(name, context, short=True), "", context["language"])

    def has_short(self, name: str) -> bool:
        return SHORT_BLOCK in self._run(name, lambda t: t.blocks)

    def render_email_body(self, step: Step, context: dict) -> tuple[str, str]:
        """An email's subject and its body as HTML, without the layout and footer (a lesson's public page)."""
        name, context = self._localised(template_name(step, "email"), context)
        with _recording() as values:
            subject, _, body = self._run(name, lambda t: _email_blocks(t, context))
            html = markdown_html(body)
        return " ".join(_fill(subject, values, str).split()), _fill(html, values, _escaped)

    def render_reply(self, name: str, context: dict) -> str:
        return self._sms(*self._localised(reply_name(name), context))

    def quick_replies(self) -> list[str]:
        """The quick replies marketing has written, by name (templates/quick-replies/NAME.sms.j2)."""
        suffix = f".sms{TEMPLATE_SUFFIX}"
        folder = self.templates_dir / QUICK_REPLIES
        if not folder.is_dir():
            return []
        names = (parse(f"{QUICK_REPLIES}/{path.name}") for path in folder.glob(f"*{suffix}"))
        return sorted(name.base.rpartition("/")[2] for name in names if not name.language and not name.phase)

    def render_quick_reply(self, name: str, context: dict) -> str:
        """A quick reply's words only: the person sending it may edit them, and the layout is added on sending."""
        if name not in self.quick_replies():
            raise KeyError(name)
        template, context = self._localised(quick_reply_name(name), context)
        with _recording() as values:
            body = " ".join(self._run(template, lambda t: _sms_body(t, context, short=False)).split())
        return _fill(body, values, str)

    def wrap_sms(self, body: str, context: dict) -> str:
        """Words a person wrote, inside the text layout (the clinic's name first), as they will be sent."""
        layout, context = self._localised(SMS_LAYOUT, context)
        with _recording() as values:
            text = self._run(layout, lambda t: t.render({**context, "body": body, "stop_notice": False}))
        return _fill(text.strip(), values, str)

    def use_overrides(self, overrides: Mapping[str, str]) -> None:
        """Copy published in the browser replaces the files' (the worker refreshes it each pass)."""
        if dict(overrides) != self._loader.overrides:
            self._loader.replace_overrides(overrides)
            if self.environment.cache is not None:  # compiled templates are never re-checked (auto_reload=False)
                self.environment.cache.clear()
            self.shapes.clear()

    def source_of(self, name: str) -> str:
        """A template's source as renders read it: the published copy if there is one, else the file."""
        return self._loader.get_source(self.environment, name)[0]

    def has_template(self, step: Step, channel: str, language: str = "") -> bool:
        """Whether the step has copy for the channel: in `language` itself when one is given."""
        return self._loader.exists(template_name(step, channel, "" if language == self.default_language else language))

    def resolve(self, name: str, phase: str = "", language: str = "") -> str:
        """The file a message in `phase` and `language` uses for `name`: the nearest variant there is."""
        return self._loader.resolve(name, phase, language or self.default_language)

    def path_of(self, name: str) -> Path:
        """A template's file, spelled as Jinja spells it in errors."""
        return Path(os.path.normpath(os.path.join(self.templates_dir, name)))

    def _with_lesson_url(self, campaign: Campaign, step: Step, context: dict) -> dict:
        """An education step may link its lesson's page, in the language of the copy it is sent in."""
        if campaign.stream != "education":
            return context
        language = "" if context["language"] == self.default_language else context["language"]
        return {**context, "lesson_url": lesson_url(self.settings.web.public_url, step.key, language)}

    def _localised(self, name: str, context: dict) -> tuple[str, dict]:
        """The variant of `name` for the context's language and phase, and the context in that variant's language
        (a missing translation is sent in the default language, dates and all)."""
        wanted = context.get("language") or self.default_language
        found = self.resolve(name, context.get("phase", ""), wanted)
        return found, localised(context, language_of(found, self.default_language))

    def _sms(self, name: str, context: dict, short: bool = False) -> str:
        key = f"{name}#{SHORT_BLOCK}" if short else name
        layout = self.resolve(SMS_LAYOUT, "", context["language"])
        text, values = self.shapes.render(
            key, (name, layout), ("body",), context, lambda given: self._sms_tokens(name, layout, given, short)
        )
        return _fill(text, values, str)

    def _sms_tokens(self, name: str, layout: str, context: dict, short: bool) -> tuple[str, list[Any]]:
        with _recording() as values:
            body = " ".join(self._run(name, lambda t: _sms_body(t, context, short)).split())
            text = self._run(layout, lambda t: t.render({**context, "body": Markup(body)}))
        return text.strip(), values

    def _email(self, name: str, context: dict) -> Rendered:
        if not context.get("unsubscribe_url"):
            raise ValueError("an email needs an unsubscribe_url in its context")
        language = context["language"]
        layouts = (self.resolve(HTML_LAYOUT, "", language), self.resolve(TEXT_LAYOUT, "", language))
        (subject, text, html), values = self.shapes.render(
            name, (name, *layouts), EMAIL_BLOCKS, context, lambda given: self._email_tokens(name, layouts, given)
        )
        subject = " ".join(_fill(subject, values, str).split())
        if not subject:
            raise RenderError(self.path_of(name), 1, "the subject is empty")
        return Rendered("email", subject, _fill(text, values, str) + "\n", _fill(html, values, _escaped), language)

    def _email_tokens(
        self, name: str, layouts: tuple[str, str], context: dict
    ) -> tuple[tuple[str, str, str], list[Any]]:
        html_layout, text_layout = layouts
        with _recording() as values:
            subject, preheader, body = self._run(name, lambda t: _email_blocks(t, context))
            html = self._run(
                html_layout,
                lambda t: t.render(
                    {
                        **context,
                        "subject": escape(subject),
                        "preheader": escape(preheader),
                        "body": Markup(markdown_html(body)),
                    }
                ),
            )
            text = self._run(
                text_layout,
                lambda t: t.render(
                    {
                        **context,
                        "subject": Markup(subject),
                        "body": Markup(markdown_text(body)),
                    }
                ),
            )
        return (subject, text.strip(), self._inline(html)), values

    def _run(self, name: str, produce: Callable[[Template], Any]) -> Any:
        """Load and render one template; any failure becomes a RenderError naming the template line."""
        try:
            template = self.environment.get_template(name)
            try:
                return produce(template)
            except Exception:
                self.environment.handle_exception()  # re-raises with the template's own lines in the traceback
        except RenderError:
            raise
        except TemplateSyntaxError as exc:
            path = Path(exc.filename) if exc.filename else self.path_of(exc.name or name)
            raise RenderError(path, exc.lineno, f"syntax error: {exc.message}") from None
        except TemplateNotFound as exc:
            where = _template_frame(exc)
            if where is None:
                raise RenderError(self.path_of(name), 1, "template not found") from None
            raise RenderError(*where, f"template {exc.name!r} not found") from None
        except Exception as exc:
            path, line = _template_frame(exc) or (self.path_of(name), 1)
            message = (exc.message or "") if isinstance(exc, UndefinedError) else f"{type(exc).__name__}: {exc}"
            raise RenderError(path, line, message) from None


class OverridingLoader(FileSystemLoader):
    """The template files, except those given other copy (published edits, or a draft being checked).
    An override keeps its file's path, so errors and tracebacks name the file with the override's own lines.
    It also knows which variant of a name there is for a phase and language (names.py)."""

    def __init__(self, templates_dir: Path, overrides: Mapping[str, str], default_language: str = "en") -> None:
        super().__init__(templates_dir)
        self.overrides = dict(overrides)
        self.default_language = default_language
        self._exists: dict[str, bool] = {}
        self._resolved: dict[tuple[str, str, str], str] = {}

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template in self.overrides:
            return self.overrides[template], os.path.normpath(os.path.join(self.searchpath[0], template)), lambda: True
        return super().get_source(environment, template)

    def replace_overrides(self, overrides: Mapping[str, str]) -> None:
        self.overrides = dict(overrides)
        self._resolved.clear()

    def exists(self, name: str) -> bool:
        if name in self.overrides:
            return True
        if name not in self._exists:  # templates change with a deploy, not while a process runs
            self._exists[name] = os.path.isfile(os.path.join(self.searchpath[0], name))
        return self._exists[name]

    def resolve(self, name: str, phase: str, language: str) -> str:
        key = (name, phase, language)
        if key not in self._resolved:
            options = candidates(name, phase, language, self.default_language)
            self._resolved[key] = next((option for option in options if self.exists(option)), name)
        return self._resolved[key]


class _VariantEnvironment(SandboxedEnvironment):
    """An include or import from a variant loads the same variant of what it names, where there is one: a
    Spanish lesson's `{% include "partials/email-book.md.j2" %}` loads partials/email-book.es.md.j2."""

    def join_path(self, template: str, parent: str) -> str:
        if not isinstance(self.loader, OverridingLoader):
            return template
        within = parse(parent)
        return self.loader.resolve(template, within.phase, within.language or self.loader.default_language)


def template_environment(loader: FileSystemLoader) -> Environment:
    # Sandboxed: marketing writes templates in the browser too, and a template must not reach Python's internals.
    environment = _VariantEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        # Harmless for text, since every printed value becomes a token and is escaped (or not) at the end; it
        # makes macro and {% set %} block output Markup, which then stays template text, tokens and all.
        autoescape=True,
        finalize=_tokenise,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change with a deploy, not while a worker runs: skip a stat() per render.
        auto_reload=False,
    )
    environment.filters["weeks"] = weeks
    return environment


@pass_context
def weeks(context: Any, count: int | None) -> str:
    """`{{ interval_weeks|weeks }}`: "a week", "2 weeks", or "a few weeks" when the interval is unknown; in the
    message's language."""
    return weeks_in(context.get("language", ""), count)


@lru_cache(maxsize=1024)
def markdown_html(source: str) -> str:
    # attr_list: `[label](url){: .answer }` gives a link a class the email layout styles (check-in answers).
    return markdown.markdown(source, extensions=["sane_lists", "attr_list"])


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_HEADING = re.compile(r"^#{1,6}[ \t]*", re.MULTILINE)
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_ATTRIBUTES = re.compile(r"(?<=>)\{:[^}\n]*\}")


@lru_cache(maxsize=1024)
def markdown_text(source: str) -> str:
    """Markdown as a plain-text email reads it: links as "label <url>", no emphasis marks."""
    text = _ATTRIBUTES.sub("", _LINK.sub(r"\1 <\2>", source))
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _HEADING.sub("", text)
    return _ESCAPED.sub(r"\1", text)


def _sms_body(template: Template, context: dict, short: bool) -> str:
    """A text's words: the whole template without its `{% block short %}`, or that block alone."""
    jinja_context = template.new_context(context)
    if short:
        return concat(template.blocks[SHORT_BLOCK](jinja_context))
    if SHORT_BLOCK in template.blocks:
        jinja_context.blocks[SHORT_BLOCK] = [_nothing]
    return concat(template.root_render_func(jinja_context))


def _nothing(context: Any) -> Iterator[str]:
    return iter(())


def _email_blocks(template: Template, context: dict) -> tuple[str, str, str]:
    missing = [name for name in ("subject", "body") if name not in template.blocks]
    if missing:
        raise RenderError(
            Path(template.filename or template.name or ""), 1, f"an email template needs {{% block {missing[0]} %}}"
        )
    jinja_context = template.new_context(context)
    subject, preheader, body = (
        concat(template.blocks[name](jinja_context)) if name in template.blocks else "" for name in EMAIL_BLOCKS
    )
    return subject.strip(), " ".join(preheader.split()), textwrap.dedent(body).strip()


@pass_eval_context  # needs runtime context, so Jinja never finalizes a constant at compile time
def _tokenise(eval_context: Any, value: Any) -> Any:
    values = _printed.get()
    if values is None or isinstance(value, Markup):
        return value
    # str() here, inside the template's frame, so StrictUndefined fails with the template's line. A Slot (a shape
    # rendering, see shapes.py) stays as it is: each message fills in its own value.
    values.append(value if isinstance(value, Slot) or hasattr(value, "__html__") else str(value))
    return _TOKEN.format(len(values) - 1)


@contextmanager
def _recording() -> Iterator[list[Any]]:
    values: list[Any] = []
    reset = _printed.set(values)
    try:
        yield values
    finally:
        _printed.reset(reset)


def _fill(text: str, values: list[Any], convert: Callable[[Any], str]) -> str:
    literals, tokens = _split(text)
    filled = [literals[0]]
    for token, literal in zip(tokens, literals[1:], strict=True):
        filled += (convert(values[token]), literal)
    return "".join(filled)


@lru_cache(maxsize=512)
def _split(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A tokenised text as the literals between its tokens, and the tokens' numbers: the same for every client
    whose message takes the same shape, so each is scanned once."""
    parts = _TOKEN_PATTERN.split(text)
    return tuple(parts[0::2]), tuple(int(number) for number in parts[1::2])


def _escaped(value: Any) -> str:
    return str(escape(value))


def _template_frame(exc: BaseException) -> tuple[Path, int] | None:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(TEMPLATE_SUFFIX):
            return Path(frame.filename), frame.lineno or 1
    return None
