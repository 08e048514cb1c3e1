"""Helpers shared by the commands."""
from __future__ import annotations

import getpass
from datetime import datetime, timezone

import typer

from outreach.context import Context, open_context


def context(upgrade: bool = True) -> Context:
    return open_context(upgrade=upgrade)


def parse_now(value: str | None) -> datetime:
    """An ISO-8601 instant; naive values are taken as UTC."""
    if value is None:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO-8601 date-time, e.g. 2026-03-02T09:00:00-06:00") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def cli_actor() -> str:
    """Who is at the terminal, for the audit log and per-person limits: `cli:` and the system user's name."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli"


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)
