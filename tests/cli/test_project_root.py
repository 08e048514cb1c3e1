"""One project root: the settings file's folder or $OUTREACH_HOME. Commands work from any directory, and the
ones that plan refuse to start without campaigns, naming the folder they looked in."""

import re
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from outreach.cli import app
from outreach.settings import get_settings, load_settings
from tests.helpers import add_client, messages
from tests.conftest import ROOT

ROOT = ROOT


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("OUTREACH_HOME", raising=False)
    monkeypatch.delenv("OUTREACH_SETTINGS", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_tick_from_another_folder_uses_the_project_named_by_outreach_home(cli_env, elsewhere, monkeypatch):
    add_client(cli_env, at=datetime(2026, 3, 2, 15, tzinfo=timezone.utc))
    monkeypatch.setenv("OUTREACH_HOME", str(ROOT))

    result = CliRunner().invoke(app, ["tick", "--now", "2026-03-02T12:00:00-06:00"])

    assert result.exit_code == 0, result.output
    assert re.search(r"planned [1-9]\d* for 1 clients", result.output)  # the project's campaigns, read from afar
    assert messages(cli_env) and {m.status for m in messages(cli_env)} == {"sent"}


@pytest.mark.parametrize("command", [["tick"], ["worker"], ["web"]])
def test_planning_processes_refuse_to_start_without_campaigns_and_name_the_folder(elsewhere, command):
    result = CliRunner().invoke(app, command)

    assert result.exit_code == 2
    assert f"No campaigns in {elsewhere / 'campaigns'}" in result.output
    assert not (elsewhere / "var").exists()


def test_campaigns_check_reads_the_projects_campaigns_from_another_folder(elsewhere, monkeypatch):
    monkeypatch.setenv("OUTREACH_HOME", str(ROOT))

    result = CliRunner().invoke(app, ["campaigns", "check"])

    assert result.exit_code == 0, result.output
    assert "Checked 4 campaigns" in result.output


def test_relative_paths_in_the_settings_file_are_read_from_its_folder(elsewhere, tmp_path, monkeypatch):
    project = tmp_path / "clinic"
    project.mkdir()
    (project / "settings.toml").write_text('[paths]\ncampaigns = "outreach/campaigns"\n')
    monkeypatch.setenv("OUTREACH_SETTINGS", str(project / "settings.toml"))
    monkeypatch.delenv("OUTREACH_DATABASE__URL", raising=False)
    monkeypatch.delenv("OUTREACH_OUTBOX__DIRECTORY", raising=False)

    settings = load_settings()

    assert settings.paths.campaigns == project / "outreach" / "campaigns"
    assert settings.paths.templates == project / "templates"
    assert settings.outbox.directory == project / "var" / "outbox"
    assert settings.database.url == f"sqlite:///{project / 'var' / 'outreach.db'}"


def test_outreach_home_finds_the_settings_file_in_it(elsewhere, tmp_path, monkeypatch):
    (tmp_path / "settings.toml").write_text('[clinic]\nname = "Lakeside Massage"\n')
    monkeypatch.setenv("OUTREACH_HOME", str(tmp_path))

    settings = load_settings()

    assert settings.clinic.name == "Lakeside Massage"
    assert settings.paths.campaigns == tmp_path / "campaigns"
