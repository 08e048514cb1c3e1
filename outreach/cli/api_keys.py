"""`outreach api-keys create|list|revoke`: keys for the REST API."""

from __future__ import annotations

import typer

from outreach.cli.common import Typer, context, fail
from outreach.db import session_scope
from outreach.services import api_keys

ACTOR = "cli"


def register(app: typer.Typer) -> None:
    keys_app = Typer(help="Keys for the REST API (/api/v1, described at /api/docs).", no_args_is_help=True)
    keys_app.command("create")(create)
    keys_app.command("list")(list_keys)
    keys_app.command("revoke")(revoke)
    app.add_typer(keys_app, name="api-keys")


def create(
    name: str = typer.Argument(..., help="What the key is for, e.g. booking-sync; shown in the audit log."),
    scope: list[str] = typer.Option(..., "--scope", help="facts:write and/or log:read (repeat for both)."),
) -> None:
    """Make a key and print it once: it is stored only as a hash."""
    ctx = context()
    try:
        with session_scope(ctx.engine) as session:
            token = api_keys.create_key(session, name, scope, ACTOR)
    except api_keys.ApiKeyError as exc:
        fail(str(exc))
    typer.echo(token)
    typer.echo(f"Key {name!r} ({' '.join(scope)}). Copy it now: it cannot be shown again.", err=True)


def list_keys() -> None:
    """Every key with its scopes, when it was last used and whether it is revoked."""
    ctx = context()
    with session_scope(ctx.engine) as session:
        for key in api_keys.list_keys(session):
            used = f"last used {key.last_used_at:%Y-%m-%d %H:%M} UTC" if key.last_used_at else "never used"
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.name}\t{key.scopes}\t{state}\t{used}")


def revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Stop a key working, at once and for good."""
    ctx = context()
    try:
        with session_scope(ctx.engine) as session:
            api_keys.revoke_key(session, name, ACTOR)
    except api_keys.ApiKeyError as exc:
        fail(str(exc))
    typer.echo(f"Key {name!r} revoked.")
