"""Helpers shared by the commands."""

from __future__ import annotations

import getpass
import importlib
from datetime import datetime, timezone
from typing import Any

import click
import typer
from typer.core import TyperArgument, TyperCommand

from outreach.context import Context, open_context


def context(upgrade: bool = True, needs_campaigns: bool = False) -> Context:
    """The project's context; `needs_campaigns` refuses to go on (before touching the database) when there are
    no campaigns to plan from: a worker started in the wrong folder would otherwise plan nothing, silently."""
    ctx = open_context(upgrade=False)
    if needs_campaigns and not any(ctx.campaigns_dir.glob("*.toml")):
        fail(
            f"No campaigns in {ctx.campaigns_dir}: run from the project folder (the one with settings.toml), "
            f"set OUTREACH_HOME to it, or set [paths] campaigns.",
            2,
        )
    if upgrade:
        ctx.upgrade_schema()
    return ctx


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


class Command(TyperCommand):
    """Arguments named as Unix tools name them: `outreach import clients [OPTIONS] FILE`, not `{file}`."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        for param in self.params:
            if isinstance(param, TyperArgument) and param.metavar is None:
                param.metavar = (param.name or "").upper()

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


# Help text wraps between words only: a value such as "no-consent" or a flag such as "--email-only" must not be
# split at its hyphen, or the name a reader would type is lost across two lines. Click (and the copy of it that
# Typer carries) look their TextWrapper up on each call, so the subclass below serves both.
def _wrap_whole_words(module: Any) -> None:
    class WholeWords(module.TextWrapper):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **{**options, "break_on_hyphens": False})

    module.TextWrapper = WholeWords


for _module_name in ("click._textwrap", "typer._click._textwrap"):
    try:
        _wrap_whole_words(importlib.import_module(_module_name))
    except ImportError:
        pass


class Typer(typer.Typer):
    """The house style for every command group: plain help text, so "[web] host" prints as written (Rich markup
    would swallow it) and flags show no `<bool>` type; Unix usage lines."""

    def __init__(self, **options: Any) -> None:
        super().__init__(rich_markup_mode=None, **options)

    def command(self, *args: Any, **options: Any):  # noqa: ANN201  (typer's decorator)
        options.setdefault("cls", Command)
        return super().command(*args, **options)
