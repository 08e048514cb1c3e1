"""Every command's --help prints its texts as written, flags without a type, arguments as FILE, not {file}."""

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from outreach.cli import app
from outreach.simulation import DEMO_CLIENTS, PERSONAS


def _commands(group: click.Command, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "outreach" for p, _ in COMMANDS])
def test_help_prints_every_text_as_written(path, command):
    shown = _flat(_help(path))

    for text in [command.help or ""] + [param.help or "" for param in command.params]:
        assert _flat(text) in shown
    assert "<bool>" not in shown


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "outreach" for p, _ in COMMANDS])
def test_usage_names_arguments_in_capitals(path, command):
    usage = _help(path).splitlines()[0]

    assert not re.search(r"[{}]", usage)
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.name.upper() in usage


def test_bracketed_setting_names_survive_in_help():
    assert "default: [web] host." in _flat(_help(("web",)))


def test_simulate_accepts_every_demo_persona():
    assert len(PERSONAS) == len(DEMO_CLIENTS)
    assert {"improving", "steady", "worsening", "lapsing", "no-consent", "night-owl", "email-only", "spanish"} == set(
        PERSONAS
    )
    for name in PERSONAS:
        assert name in _flat(_help(("simulate",)))
