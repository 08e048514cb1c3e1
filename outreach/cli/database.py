"""`outreach db …`: the schema."""

from __future__ import annotations

import typer

from outreach.cli.common import Typer, context


def register(app: typer.Typer) -> None:
    db_app = Typer(help="Database schema.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade() -> None:
        """Apply pending migrations (also done automatically by the commands that need the schema)."""
        ctx = context(upgrade=False)
        ctx.upgrade_schema()
        typer.echo(f"Schema is current ({ctx.settings.database.url.split('@')[-1]}).")

    app.add_typer(db_app, name="db")
