"""Copy edited in the browser: drafts, publishing (each publish keeps a version), restoring, exporting.

Every language's copy of a step is its own template (`education/pain-cycle.es.sms.j2`, rendering/names.py), with
its own drafts and versions: a Spanish draft never touches the English. A language with no file yet starts from
the default language's copy and is published as a new template. The files in campaigns/ and templates/ stay the
defaults. The newest published version of a template overrides its
file for every render (the worker refreshes them each pass); drafts are only ever rendered for previews and checks.
Everything lives in the database, so platforms that throw their disk away on restart lose nothing.
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from outreach.campaigns import Step
from outreach.context import Context
from outreach.models import TemplateDraft, TemplateVersion
from outreach.rendering import Renderer, template_name
from outreach.services.campaign_check import Finding, check_campaigns, errors
from outreach.services.facts import audit

_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)\s*-?%}(.*?){%-?\s*endblock\b[^%]*%}", re.DOTALL)
SHIPPED = "files"  # the author of the version kept of a file's copy before its first edit
EDITED_CHANNELS = ("email", "sms")


class CopyHasErrors(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(str(f) for f in findings))
        self.findings = findings


@dataclass(frozen=True)
class EmailCopy:
    """An email template as the editor shows it. The preheader and anything before the blocks (comments) are
    kept as they are."""

    subject: str
    body: str
    preheader: str = ""
    prefix: str = ""
    original: str = field(default="", compare=False)  # the source parsed, kept verbatim while nothing changes

    @classmethod
    def parse(cls, source: str) -> "EmailCopy":
        blocks = {name: text for name, text in _BLOCK.findall(source)}
        first = _BLOCK.search(source)
        return cls(
            " ".join(blocks.get("subject", "").split()),
            blocks.get("body", "").strip("\n"),
            blocks.get("preheader", "").strip(),
            source[: first.start()] if first else "",
            source,
        )

    def source(self) -> str:
        if self.original and EmailCopy.parse(self.original) == self:
            return self.original
        return (
            f"{self.prefix}{{% block subject %}}{' '.join(self.subject.split())}{{% endblock %}}\n"
            f"{{% block preheader %}}{self.preheader}{{% endblock %}}\n"
            f"{{% block body %}}\n{self.body.strip(chr(10))}\n{{% endblock %}}\n"
        )

    def body_first_line(self) -> int:
        """The template line of the body's first line, to show a problem's line within the body."""
        return self.source().split("{% block body %}")[0].count("\n") + 2


def step_templates(step: Step, language: str = "", default_language: str = "") -> dict[str, str]:
    """channel -> the template of the step's copy in `language`, for the channels the editor offers (email and
    text). The default language's files carry no tag (pain-cycle.sms.j2), another's do (pain-cycle.es.sms.j2)."""
    tag = "" if language == default_language else language
    return {channel: template_name(step, channel, tag) for channel in step.channels if channel in EDITED_CHANNELS}


def every_step_template(ctx: Context, step: Step) -> set[str]:
    """The templates of the step's copy in every language served."""
    default = ctx.settings.clinic.default_language
    return {name for tag in ctx.settings.served_languages for name in step_templates(step, tag, default).values()}


@dataclass(frozen=True)
class StepCopy:
    """What the editor shows of one step in one language: its email and text as they stand (the draft, else what
    is live). A channel with no copy in this language yet is None and listed in `missing`."""

    names: dict[str, str]  # channel -> template name in this language
    email: EmailCopy | None
    sms: str | None
    draft_by: str = ""  # who saved the draft being shown, "" when it is the live copy
    language: str = ""
    missing: tuple[str, ...] = ()  # channels without copy in this language: its clients get the default's

    @property
    def present(self) -> dict[str, str]:
        """channel -> template name, for the channels that have copy in this language."""
        return {channel: name for channel, name in self.names.items() if channel not in self.missing}

    def sources(self) -> dict[str, str]:
        found = {}
        if self.email is not None and "email" in self.names:
            found[self.names["email"]] = self.email.source()
        if self.sms is not None and "sms" in self.names:
            found[self.names["sms"]] = self.sms
        return found

    def edited(self, subject: str, body: str, sms: str) -> "StepCopy":
        email = self.email and replace(
            self.email, subject=" ".join(subject.split()), body=body.replace("\r\n", "\n").strip("\n")
        )
        text = None if self.sms is None else sms.replace("\r\n", "\n").strip()
        return replace(self, email=email, sms=text)

    def where(self, finding: Finding, renderer: Renderer) -> str:
        """A finding's place as the editor labels it: "Text, line 2", "Email body, line 5", "Subject"; a text's
        size is the whole text's ("Text as a whole"), not its first line's."""
        path = Path(finding.path)
        if "sms" in self.names and path == renderer.path_of(self.names["sms"]):
            return "Text as a whole" if finding.whole else f"Text, line {finding.line}"
        if self.email is not None and path == renderer.path_of(self.names["email"]):
            first = self.email.body_first_line()
            if finding.line >= first:
                return f"Email body, line {finding.line - first + 1}"
            return "Subject" if finding.line == 1 else f"Email, line {finding.line}"
        return f"{path.name}, line {finding.line}"


def step_copy(ctx: Context, session: Session, step: Step, language: str = "") -> StepCopy:
    """The step's copy in `language` (the default language's when not given), for the channels whose default copy
    exists."""
    default = ctx.settings.clinic.default_language
    language = language or default
    shipped = step_templates(step, default, default)
    names = {
        channel: name
        for channel, name in step_templates(step, language, default).items()
        if ctx.renderer.path_of(shipped[channel]).is_file()
    }
    pending = drafts(session, list(names.values()))
    sources = {
        name: pending[name].source if name in pending else live_source(ctx, session, name) for name in names.values()
    }
    missing = tuple(channel for channel, name in names.items() if sources[name] is None)
    email = sources.get(names.get("email", ""))
    return StepCopy(
        names,
        None if email is None else EmailCopy.parse(email),
        sources.get(names.get("sms", "")),
        ", ".join(sorted({d.author for d in pending.values()})),
        language,
        missing,
    )


def start_from_default(
    ctx: Context, session: Session, step: Step, language: str, author: str, at: datetime
) -> list[str]:
    """Draft the step's missing copy in `language` from the default language's as the editor shows it (its draft,
    else the live copy); publishing it makes the language's own template. Returns the templates drafted."""
    default = ctx.settings.clinic.default_language
    if language == default:
        raise ValueError(f"{language} is the default language: its copy is the files'")
    wanted, model = step_copy(ctx, session, step, language), step_copy(ctx, session, step, default)
    shown = model.sources()
    started = {wanted.names[channel]: shown[model.names[channel]] for channel in wanted.missing}
    if started:
        save_draft(ctx, session, started, author, at)
    return sorted(started)


def draft_renderer(ctx: Context, live: dict[str, str], sources: dict[str, str]) -> Renderer:
    """A renderer for previews: the published copy (`live`) and `sources` over the files. Never the worker's."""
    return Renderer(ctx.settings, ctx.templates_dir, {**live, **sources})


def published(session: Session) -> dict[str, str]:
    """The newest published source of every edited template."""
    return {v.name: v.source for v in session.exec(select(TemplateVersion).order_by(col(TemplateVersion.id)))}


def drafts(session: Session, names: list[str] | None = None) -> dict[str, TemplateDraft]:
    query = select(TemplateDraft)
    if names is not None:
        query = query.where(col(TemplateDraft.name).in_(names))
    return {d.name: d for d in session.exec(query)}


def refresh_published(ctx: Context) -> None:
    """Load published copy into the renderer: the worker calls it each pass, the web process on each page."""
    from outreach.services import campaign_settings

    with Session(ctx.engine) as session:
        ctx.renderer.use_overrides(published(session))
    campaign_settings.refresh(ctx)  # and the campaigns' enabled state, window and holdout


def check(ctx: Context, live: dict[str, str], sources: dict[str, str]) -> list[Finding]:
    """Exactly `campaigns check`, with the published copy (`live`) and `sources` (name -> source) over the
    files; only the findings in those templates. No database work: callers end their transaction first."""
    findings = check_campaigns(ctx.campaigns_dir, ctx.templates_dir, ctx.settings, {**live, **sources})
    paths = {ctx.renderer.path_of(name) for name in sources}
    return [f for f in findings if Path(f.path) in paths]


def live_source(ctx: Context, session: Session, name: str) -> str | None:
    """What the worker sends for a template now: its newest published version, else its file; None when there is
    neither (a language whose copy is not written yet)."""
    version = session.exec(
        select(TemplateVersion).where(TemplateVersion.name == name).order_by(col(TemplateVersion.id).desc())
    ).first()
    if version is not None:
        return version.source
    path = ctx.renderer.path_of(name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def save_draft(ctx: Context, session: Session, sources: dict[str, str], author: str, at: datetime) -> None:
    """Keep `sources` as drafts; a template whose source is the live one needs no draft (and loses any)."""
    current = drafts(session, list(sources))
    for name, source in sources.items():
        draft = current.get(name)
        if source == live_source(ctx, session, name):
            if draft is not None:
                session.delete(draft)
            continue
        draft = draft or TemplateDraft(name=name, source=source, author=author)
        draft.source, draft.author, draft.updated_at = source, author, at
        session.add(draft)
    audit(session, author, "copy.save_draft", detail=", ".join(sorted(sources)), at=at)


def discard_drafts(session: Session, names: list[str], author: str, at: datetime) -> None:
    for draft in drafts(session, names).values():
        session.delete(draft)
    audit(session, author, "copy.discard_draft", detail=", ".join(sorted(names)), at=at)


def publish(ctx: Context, session: Session, names: list[str], author: str, at: datetime) -> list[TemplateVersion]:
    """Publish the drafts of `names`; CopyHasErrors if the check finds any error (warnings do not stop it)."""
    pending = drafts(session, names)
    problems = errors(check(ctx, published(session), {name: d.source for name, d in pending.items()}))
    if problems:
        raise CopyHasErrors(problems)
    live = published(session)
    versions = []
    for name, draft in sorted(pending.items()):
        before = live_source(ctx, session, name)
        if draft.source != before:
            if name not in live and before is not None:  # keep the file's copy, so it can be restored
                session.add(
                    TemplateVersion(name=name, source=before, author=SHIPPED, published_at=at, note="the shipped file")
                )
            note = "published" if before is not None else "published as a new file"
            versions.append(TemplateVersion(name=name, source=draft.source, author=author, published_at=at, note=note))
        session.delete(draft)
    session.add_all(versions)
    audit(session, author, "copy.publish", detail=", ".join(v.name for v in versions) or "no change", at=at)
    return versions


def restore(session: Session, version_id: int, author: str, at: datetime) -> TemplateVersion:
    """Publish an earlier version again, as a new version (history only grows)."""
    old = session.get(TemplateVersion, version_id)
    if old is None:
        raise KeyError(version_id)
    version = TemplateVersion(
        name=old.name, source=old.source, author=author, published_at=at, note=f"restored version {old.id}"
    )
    session.add(version)
    audit(session, author, "copy.restore", detail=f"{old.name} version {old.id}", at=at)
    return version


def history(session: Session, name: str) -> list[TemplateVersion]:
    """Every published version of a template, newest first."""
    query = select(TemplateVersion).where(TemplateVersion.name == name).order_by(col(TemplateVersion.id).desc())
    return list(session.exec(query))


def diff(before: str, after: str) -> list[tuple[str, str]]:
    """(kind, line) of a unified diff, kind being "add", "remove", "context" or "hunk", for the history page."""
    kinds = {"+": "add", "-": "remove", "@": "hunk"}
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm="")
    return [(kinds.get(line[:1], "context"), line) for line in list(lines)[2:]]


def export(ctx: Context, session: Session, out_dir: Path) -> list[str]:
    """The campaigns and templates as files, with the published copy in place of the shipped: a folder a clinic
    can keep in git. Returns the templates written from the database."""
    out_dir = Path(out_dir)
    shutil.copytree(ctx.campaigns_dir, out_dir / "campaigns", dirs_exist_ok=True)
    shutil.copytree(ctx.templates_dir, out_dir / "templates", dirs_exist_ok=True)
    live = published(session)
    for name, source in live.items():
        (out_dir / "templates" / name).write_text(source, encoding="utf-8")
    return sorted(live)
