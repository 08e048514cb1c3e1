"""The `outreach` command. Each module here adds its commands; none holds business rules."""

from __future__ import annotations

import sys

import typer

from outreach.cli import api_keys, campaigns, database, imports, reports, web, worker
from outreach.cli.common import Group, Typer
from outreach.settings import SettingsError


class Outreach(Group):
    """`outreach --help` lists the commands in the order of the README's table of everyday commands."""

    order = ("demo", "import", "campaigns", "simulate", "report", "send-test", "tick", "worker", "web", "users")
    order += ("api-keys", "db")


app = Typer(
    cls=Outreach,
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
