"""The `outreach` command. Each module here adds its commands; none holds business rules."""

from __future__ import annotations

import sys

import typer

from outreach.cli import api_keys, campaigns, database, imports, reports, web, worker
from outreach.cli.common import Typer
from outreach.settings import SettingsError

app = Typer(
    name="outreach",
    help="Email and SMS outreach for a massage-therapy clinic: education drip, tapering reminders, consent first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (database, imports, worker, campaigns, web, reports, api_keys):
    module.register(app)


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        sys.exit(2)
