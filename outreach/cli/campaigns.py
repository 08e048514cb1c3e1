"""`outreach campaigns …`: check, list and preview campaigns before they go live."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from outreach.services.campaign_check import (
    SmsRow,
    check_campaigns,
    count_files,
    errors,
    sms_table,
    write_email_preview,
)
from outreach.campaigns import CampaignError, Step
from outreach.cli.common import Typer, context, fail
from outreach.cli.tables import Column, print_table
from outreach.context import Context
from outreach.policy.languages import UnknownLanguage, language_name, language_tag
from outreach.policy.segments import SegmentCount, count_segments
from outreach.rendering import PHASES, RenderError, sample_context
from outreach.rendering.context import localised
from outreach.rendering.names import TEMPLATE_SUFFIX
from outreach.rendering import template_name


def register(app: typer.Typer) -> None:
    campaigns_app = Typer(help="Campaign files and message templates.", no_args_is_help=True)
    campaigns_app.command("check")(check)
    campaigns_app.command("list")(list_campaigns)
    campaigns_app.command("preview")(preview)
    campaigns_app.command("export")(export)
    app.add_typer(campaigns_app, name="campaigns")


def check(
    path: Optional[Path] = typer.Argument(
        None, help="The campaigns folder [default: [paths] campaigns, in the project folder]."
    ),
    templates: Optional[Path] = typer.Option(
        None, help="The templates folder [default: beside PATH, ../templates; without PATH, [paths] templates]."
    ),
) -> None:
    """Check every campaign and template; exit 1 on any error, printing each as FILE:LINE: problem."""
    ctx = context(upgrade=False)
    if path is None:
        path, templates = ctx.campaigns_dir, templates or ctx.templates_dir
    if not path.is_dir():
        fail(f"{path}: no such folder", 2)
    templates = templates or path.parent / "templates"
    findings = check_campaigns(path, templates, ctx.settings)
    for finding in findings:
        typer.secho(str(finding), fg=typer.colors.RED if finding.is_error else typer.colors.YELLOW)
    error_count = len(errors(findings))
    campaign_count, template_count = count_files(path, templates)
    typer.echo(
        f"Checked {_plural(campaign_count, 'campaign')} and {_plural(template_count, 'template')}: "
        f"{_plural(error_count, 'error')}, {_plural(len(findings) - error_count, 'warning')}."
    )
    raise typer.Exit(1 if error_count else 0)


def list_campaigns(
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print a list of {campaign, step, channel, language, template, segments, encoding, characters, "
        "over_target, over_max, phase} instead: one per step, channel and language, measured in the phase whose "
        "text is longest (sizes are null for an email).",
    ),
) -> None:
    """Campaigns, their steps and channels, each text's SMS segments per phase and language, and its cost."""
    ctx = context(upgrade=False)
    rows = sms_table(_catalog(ctx), ctx.renderer, ctx.settings)
    if as_json:
        typer.echo(json.dumps([record for row in rows for record in _records(ctx, row)], indent=2))
        return
    sms, languages = ctx.settings.sms, ctx.settings.served_languages
    title = (
        f"SMS segments (characters) per phase, sample client, in {' / '.join(languages)}; "
        f"maximum {sms.max_segments}. Cost per 1,000 texts at ${sms.price_per_segment:g} a segment (USD)"
    )
    columns = [Column(name) for name in ("Campaign", "Stream", "Step", "Channels", *PHASES)]
    columns += [Column(f"{language_name(language)} per 1k", numeric=True) for language in languages]
    cells = []
    for row in rows:
        sizes = [
            " / ".join(
                _segments_cell(row.segments[language][phase], ctx.settings.target_segments(language), sms.max_segments)
                for language in languages
            )
            for phase in PHASES
        ]
        costs = [_cost(row.cost_per_thousand(language, sms.price_per_segment)) for language in languages]
        words = [escape(row.campaign), escape(row.stream), escape(row.step), ", ".join(row.channels)]
        cells.append([Text.from_markup(cell) for cell in (*words, *sizes, *costs)])
    print_table(Console(), title, columns, cells)


def _records(ctx: Context, row: SmsRow) -> list[dict]:
    """The JSON of one row: per channel and language, the template used and the size of its longest text."""
    step = _step_of(ctx, row)
    records = []
    for channel in row.channels:
        for language in ctx.settings.served_languages:
            sizes = row.segments[language] if channel == "sms" else {}
            phase, count = max(
                ((phase, count) for phase, count in sizes.items() if count is not None),
                key=lambda found: found[1].segments * 1000 + found[1].characters,
                default=("", None),
            )
            name = template_name(step, channel) if step else f"{row.campaign}/{row.step}.{channel}{TEMPLATE_SUFFIX}"
            records.append(
                {
                    "campaign": row.campaign,
                    "step": row.step,
                    "channel": channel,
                    "language": language,
                    "template": ctx.renderer.resolve(name, phase, language),
                    "segments": count and count.segments,
                    "encoding": count and count.encoding,
                    "characters": count and count.characters,
                    "over_target": bool(count and count.segments > ctx.settings.target_segments(language)),
                    "over_max": bool(count and count.segments > ctx.settings.sms.max_segments),
                    "phase": phase or None,
                }
            )
    return records


def _step_of(ctx: Context, row: SmsRow) -> Step | None:
    """The campaign step a row measures; None for a reply, whose row names its template folder and file."""
    try:
        return ctx.catalog.get(row.campaign).step(row.step)
    except KeyError:
        return None


def preview(
    campaign: str = typer.Argument(..., help="Campaign name, e.g. education."),
    step: str = typer.Argument(..., help="Step key, e.g. pain-cycle."),
    sample: str = typer.Option("establishing", help=f"Cadence phase of the sample client: {', '.join(PHASES)}."),
    out: Optional[Path] = typer.Option(
        None, help="Folder for the email's .html, .txt and .eml files [default: var/previews in the project folder]."
    ),
    client: Optional[str] = typer.Option(None, help="Preview for a real client (by external id) instead."),
    language: Optional[str] = typer.Option(
        None, help="The language to preview, e.g. es or Spanish [default: the clinic's, or the client's]."
    ),
) -> None:
    """Render one step for a sample client: the email into files, the text to the screen."""
    from outreach.sending.compose import preview_email

    if sample not in PHASES:
        fail(f"--sample must be one of {', '.join(PHASES)}", 2)
    ctx = context(upgrade=client is not None)
    try:
        tag = language_tag(language, ctx.settings.served_languages) if language else ""
    except UnknownLanguage as exc:
        fail(f"--language: {exc}", 2)
    out = out or ctx.data_dir / "previews"
    try:
        found = _catalog(ctx).get(campaign)
        chosen = found.step(step)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
    for channel in chosen.channels:
        if not ctx.renderer.has_template(chosen, channel):
            typer.echo(f"{channel}: no template (run outreach campaigns check)")
            continue
        message_context = _preview_context(ctx, sample, channel, client, campaign, tag)
        try:
            rendered = ctx.renderer.render(found, chosen, channel, message_context)
        except RenderError as exc:
            fail(str(exc))
        written_in = _written_in(ctx, rendered.language, message_context["language"])
        if channel == "email":
            eml = preview_email(ctx, found, chosen, rendered, message_context, datetime.now(timezone.utc))
            stem = "-".join(part for part in (campaign, step, sample, tag) if part)
            paths = write_email_preview(out, stem, rendered, eml)
            typer.echo(f"email{written_in}: {rendered.subject}\n  " + "\n  ".join(str(p) for p in paths))
        else:
            count = count_segments(rendered.text)
            size = f"{_plural(count.segments, 'segment')}, {count.encoding}, {count.characters} characters"
            typer.echo(f"sms{written_in} ({size}):\n  {rendered.text}")


def export(out: Path = typer.Argument(..., help="The folder to write campaigns/ and templates/ into.")) -> None:
    """Write the campaigns and templates as they are live: the files, with copy published in the browser."""
    from sqlmodel import Session

    from outreach.services.edits import export as export_files

    ctx = context()
    with Session(ctx.engine) as session:
        written = export_files(ctx, session, out)
    typer.echo(
        f"Wrote {out}/campaigns and {out}/templates; {_plural(len(written), 'template')} from the database"
        + (f": {', '.join(written)}" if written else ".")
    )


def _written_in(ctx: Context, used: str, wanted: str) -> str:
    """ " in Spanish" when more than one language is served; and which was sent instead of a missing translation."""
    if used != wanted:
        return f" in {language_name(used)}: no {language_name(wanted)} copy (run outreach campaigns check)"
    return f" in {language_name(used)}" if len(ctx.settings.served_languages) > 1 else ""


def _preview_context(
    ctx: Context, phase: str, channel: str, client: str | None, campaign: str, language: str = ""
) -> dict:
    if client is None:
        return sample_context(ctx.settings, phase, channel, language)
    from sqlmodel import Session, select

    from outreach.sending.compose import client_context
    from outreach.models import Client
    from outreach.services.clients import load_facts

    with Session(ctx.engine) as session:
        client_id = session.exec(select(Client.id).where(Client.external_id == client)).first()
        if client_id is None:
            fail(f"No client with external id {client!r}", 2)
        facts = load_facts(session, [client_id], ctx.settings)[client_id]
    found = client_context(ctx, facts, campaign, channel, "preview", datetime.now(timezone.utc), texts_so_far=0)
    return localised(found, language) if language else found


def _catalog(ctx: Context):  # noqa: ANN202  (outreach.campaigns.Catalog)
    try:
        return ctx.catalog
    except CampaignError as exc:
        for problem in exc.problems:
            typer.secho(str(problem), fg=typer.colors.RED, err=True)
        fail("The campaigns have errors: run outreach campaigns check.")


def _segments_cell(count: SegmentCount | None, target: int, maximum: int) -> str:
    if count is None:
        return "-"
    cell = f"{count.segments} ({count.characters})" + ("" if count.encoding == "GSM-7" else " UCS-2")
    if count.segments > maximum:
        return f"[red]{cell}[/red]"
    return f"[yellow]{cell}[/yellow]" if count.segments > target else cell


def _cost(dollars: float | None) -> str:
    return "-" if dollars is None else f"${dollars:,.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
