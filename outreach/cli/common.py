"""Helpers shared by the commands."""

from __future__ import annotations

import getpass
import importlib
import inspect
import re
from datetime import datetime, timezone
from typing import Any

import click
import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

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


# A sentence ends at a full stop before a capital: "e.g. education" and "/api/docs)." inside one do not end it.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`\"])")


def first_sentence(text: str) -> str:
    """The whole first sentence of a help text, on one line: what a command list shows beside the name."""
    return _SENTENCE_END.split(" ".join(inspect.cleandoc(text).split()), 1)[0]


class Command(TyperCommand):
    """Arguments named as Unix tools name them: `outreach import clients [OPTIONS] FILE`, not `{file}`; in a list
    of commands, the whole first sentence of the help (Click cuts it at 45 characters, mid-word)."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or first_sentence(self.help or "")

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


class Group(TyperGroup):
    """A command group listing its commands in `order` (the README's table), then any others as registered, each
    with the whole first sentence of its help."""

    order: tuple[str, ...] = ()

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: self.order.index(name) if name in self.order else len(self.order))

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or first_sentence(self.help or "")


class Typer(typer.Typer):
    """The house style for every command group: plain help text, so "[web] host" prints as written (Rich markup
    would swallow it) and flags show no `<bool>` type; Unix usage lines."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("cls", Group)
        super().__init__(rich_markup_mode=None, **options)

    def command(self, *args: Any, **options: Any):  # noqa: ANN201  (typer's decorator)
        options.setdefault("cls", Command)
        return super().command(*args, **options)
