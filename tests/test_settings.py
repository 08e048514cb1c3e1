"""Settings: the file, then the environment on top; bad values stop start-up naming the key."""

import subprocess
import sys

import pytest

from outreach.settings import SettingsError, load_settings


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "clinic.toml"
    path.write_text('[clinic]\nname = "Lakeside Massage"\n[caps]\nmessages_per_week = 2\n')
    monkeypatch.setenv("OUTREACH_SETTINGS", str(path))
    return path


def test_it_reads_the_named_file(settings_file):
    settings = load_settings()
    assert settings.clinic.name == "Lakeside Massage"
    assert settings.caps.messages_per_week == 2
    assert settings.quiet_hours.end.hour == 20  # untouched keys keep their defaults


def test_the_environment_overrides_the_file(settings_file, monkeypatch):
    monkeypatch.setenv("OUTREACH_CAPS__MESSAGES_PER_WEEK", "5")
    monkeypatch.setenv("OUTREACH_CLINIC__NAME", "Env Massage")
    settings = load_settings()
    assert settings.caps.messages_per_week == 5
    assert settings.clinic.name == "Env Massage"


def test_the_shipped_file_has_the_handout_numbers(monkeypatch):
    monkeypatch.delenv("OUTREACH_SETTINGS", raising=False)
    settings = load_settings()
    assert settings.clinic.phone == "+16125222225"
    assert settings.clinic.toll_free == "+18773252225"
    assert settings.clinic.timezone == "America/Chicago"


@pytest.mark.parametrize(
    "variable, value, named",
    [
        ("OUTREACH_CLINIC__TIMEZONE", "Mars/Olympus", "clinic.timezone"),
        ("OUTREACH_QUIET_HOURS__START", "21:00", "quiet_hours"),
        ("OUTREACH_CAPS__TEXTS_PER_DAY", "many", "caps.texts_per_day"),
        ("OUTREACH_DATABASE__URL", "mysql://x", "database.url"),
        ("OUTREACH_EMAIL__BACKEND", "carrier-pigeon", "email.backend"),
    ],
)
def test_an_invalid_value_names_its_key(settings_file, monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert f"settings: {named}" in str(caught.value)


def test_a_secret_in_the_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "leaky.toml"
    path.write_text('[sendgrid]\napi_key = "SG.secret"\n')
    monkeypatch.setenv("OUTREACH_SETTINGS", str(path))
    with pytest.raises(SettingsError, match=r"sendgrid\.api_key: secrets belong in the environment"):
        load_settings()


def test_a_missing_named_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTREACH_SETTINGS", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="OUTREACH_SETTINGS: no such file"):
        load_settings()


def test_the_cli_stops_with_one_clear_line(tmp_path):
    env = {"OUTREACH_CLINIC__TIMEZONE": "Nowhere/Land", "PATH": "", "OUTREACH_SETTINGS": ""}
    result = subprocess.run(
        [sys.executable, "-m", "outreach", "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "settings: clinic.timezone: Value error, unknown IANA time zone 'Nowhere/Land'"


@pytest.mark.parametrize("section", ["EMAIL", "SMS"])
def test_a_real_provider_needs_an_https_public_url(settings_file, monkeypatch, section):
    monkeypatch.setenv(f"OUTREACH_{section}__BACKEND", {"EMAIL": "sendgrid", "SMS": "twilio"}[section])
    monkeypatch.setenv("OUTREACH_WEB__PUBLIC_URL", "http://clinic.example")

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert str(caught.value).startswith("settings: web.public_url: must start with https:// when [")
    monkeypatch.setenv("OUTREACH_WEB__PUBLIC_URL", "https://clinic.example")
    assert load_settings().web.public_url == "https://clinic.example"


def test_the_local_outbox_may_use_an_http_public_url(settings_file, monkeypatch):
    monkeypatch.setenv("OUTREACH_WEB__PUBLIC_URL", "http://localhost:8000")

    assert load_settings().web.public_url == "http://localhost:8000"


def test_the_web_process_refuses_to_start_with_a_real_provider_over_http(tmp_path):
    env = {
        "OUTREACH_EMAIL__BACKEND": "sendgrid",
        "OUTREACH_WEB__PUBLIC_URL": "http://clinic.example",
        "PATH": "",
        "OUTREACH_SETTINGS": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "outreach", "web"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 2
    assert "web.public_url: must start with https://" in result.stderr
