"""`outreach import clients|visits|progress FILE`: load a CSV file, all rows or none."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from outreach.cli.common import Typer, context, fail
from outreach.importing.files import ImportReport, import_clients, import_progress, import_visits
from outreach.importing import clients, progress, visits
from outreach.importing.headers import parse_mapping
from outreach.models import utcnow

# Below this a file imports in about a second: a bar would only flicker.
LARGE_FILE_BYTES = 1_000_000
STAGES = {"reading": "Checking", "saving": "Saving"}

Importer = Callable[..., ImportReport]


KINDS = ((clients, import_clients), (visits, import_visits), (progress, import_progress))
MAP_HELP = (
    'Rename a column of the file: --map "Email Address=email" (repeat for more); "Notes=" skips '
    "a column. Unknown headers come with a suggested --map."
)


def register(app: typer.Typer) -> None:
    import_app = Typer(help=_group_help(), no_args_is_help=True)
    for kind, importer in KINDS:
        import_app.command(kind.KIND, help=_help(kind))(_command(importer))
    app.add_typer(import_app, name="import")


def _group_help() -> str:
    return (
        "Import clients, visits and progress from CSV files: all rows or none.\n\n"
        "Files may be UTF-8 or Windows-1252, separated by commas, semicolons or tabs; header names are "
        "matched ignoring case and spaces.\n\n" + "\n\n".join(_help(kind) for kind, _ in KINDS)
    )


def _help(kind) -> str:  # noqa: ANN001  (an outreach.importing module)
    optional = f" Optional: {', '.join(kind.COLUMNS.optional)}." if kind.COLUMNS.optional else ""
    accepted = "\n\n".join(f"  {columns}: {values}" for columns, values in kind.ACCEPTED.items())
    return (
        f"{kind.KIND}: columns {', '.join(kind.COLUMNS.required)}.{optional} Re-importing a file changes "
        f"nothing; a file with any bad row imports nothing.\n\n{accepted}"
    )


def _command(importer: Importer) -> Callable[..., None]:
    def command(
        file: Path = typer.Argument(..., help="The CSV file.", dir_okay=False),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Check the file and report what would change; write nothing."
        ),
        renames: list[str] = typer.Option([], "--map", help=MAP_HELP, metavar="HEADER=column"),
    ) -> None:
        try:
            mapping = parse_mapping(renames)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--map") from None
        ctx = context()
        try:
            with _progress_bar(file) as on_progress:
                report = importer(ctx, file, now=utcnow(), dry_run=dry_run, on_progress=on_progress, mapping=mapping)
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            fail(f"{file}: the database refused the import, so nothing was imported: {reason}")
        for problem in report.problems:
            typer.echo(str(problem), err=True)
        if not report.ok:
            fail(report.summary())
        typer.echo(report.summary())
        for note in report.notes:
            typer.echo(note)

    return command


@contextmanager
def _progress_bar(file: Path) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for a terminal or a large file; nothing otherwise (scripts and tests)."""
    console = Console(stderr=True)
    size = file.stat().st_size if file.is_file() else 0
    if not (console.is_terminal or size >= LARGE_FILE_BYTES):
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{STAGES.get(stage, stage)} {file.name}", total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update
