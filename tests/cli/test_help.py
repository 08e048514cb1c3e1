"""Every command's --help prints its texts as written, flags without a type, arguments as FILE, not {file}."""

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from outreach.cli import app
from outreach.cli.common import first_sentence
from outreach.simulation import DEMO_CLIENTS, PERSONAS
from tests.conftest import ROOT


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


def _listed(help_text: str) -> list[tuple[str, str]]:
    """The "Commands:" section of a help text as (name, description) pairs, descriptions joined onto one line."""
    listed: list[tuple[str, str]] = []
    for line in help_text.split("Commands:\n", 1)[1].splitlines():
        name, _, words = line.strip().partition(" ")
        if line.startswith("  ") and not line.startswith("   "):
            listed.append((name, " ".join(words.split())))
        elif line.strip():
            listed[-1] = (listed[-1][0], f"{listed[-1][1]} {line.strip()}")
    return listed


def _readme_commands() -> list[str]:
    """The commands of the README's "Everyday commands" table, in its order."""
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Everyday commands", 1)[1].split("\n\n#", 1)[0]
    named = re.findall(r"^\| `outreach ([a-z-]+)", table, re.MULTILINE)
    return list(dict.fromkeys(named))


GROUPS = [(path, command) for path, command in COMMANDS if getattr(command, "commands", None)]


def test_the_command_list_follows_the_readme_table():
    listed = [name for name, _ in _listed(CliRunner().invoke(app, ["--help"], terminal_width=80).output)]

    assert listed == _readme_commands()
    assert listed[0] == "demo" and set(listed) == set(typer.main.get_command(app).commands)


@pytest.mark.parametrize("path, group", GROUPS, ids=[" ".join(p) or "outreach" for p, _ in GROUPS])
def test_every_command_list_gives_whole_first_sentences_in_80_columns(path, group):
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=80)

    listed = dict(_listed(result.output))
    assert set(listed) == set(group.commands)
    for name, description in listed.items():
        assert description == first_sentence(group.commands[name].help), name
        assert description.endswith((".", ")")) and "..." not in description
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_a_first_sentence_ends_at_a_full_stop_before_a_capital():
    assert first_sentence("Step key, e.g. pain-cycle. Then more.") == "Step key, e.g. pain-cycle."
    assert (
        first_sentence("Keys (/api/v1, described at /api/docs).\n\nMore.") == "Keys (/api/v1, described at /api/docs)."
    )
    assert (
        first_sentence("Run it: plan and\n    dispatch until SIGTERM/SIGINT")
        == "Run it: plan and dispatch until SIGTERM/SIGINT"
    )
