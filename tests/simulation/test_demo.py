"""`outreach demo`: a past that ends today, and closing lines that run the worker and open the dashboard on the
demo's data."""

import html
import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import phonenumbers
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from outreach.cli import app
from outreach.models import Client, Message, Visit
from outreach.settings import get_settings
from outreach.simulation import PERSONAS
from tests.cli.test_worker import invoke_with
from tests.conftest import ROOT

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Demo:
    started: datetime
    directory: Path
    output: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """One three-week demo for the module's tests: each run takes seconds."""
    directory = tmp_path_factory.mktemp("demo") / "demo"
    started = datetime.now(timezone.utc)
    result = CliRunner().invoke(app, ["demo", "--weeks", "3", "--directory", str(directory)])
    assert result.exit_code == 0, result.output
    return Demo(started, directory, result.output)


def _env_of(command: list[str]) -> dict[str, str]:
    return dict(word.split("=", 1) for word in command if re.match(r"^OUTREACH_\w+=", word))


def test_the_demo_lives_through_weeks_that_end_today(demo):
    started = demo.started
    engine = create_engine(f"sqlite:///{demo.directory / 'outreach.db'}")
    with engine.connect() as conn:
        last_sent = conn.scalar(select(func.max(Message.sent_at)))
        first_visit = conn.scalar(select(func.min(Visit.starts_at)).where(Visit.status == "attended"))
    engine.dispose()
    assert last_sent is not None and last_sent.replace(tzinfo=timezone.utc) <= started
    assert (started - first_visit.replace(tzinfo=timezone.utc)).days >= 14


def test_the_closing_lines_open_the_dashboard_on_the_demos_database(demo, monkeypatch):
    lines = demo.output.splitlines()
    command = shlex.split(lines[-2])
    sign_in = re.search(r"open (\S+) and sign in as (\S+), password (\S+)$", lines[-1])
    assert sign_in, lines[-1]
    url, username, password = sign_in.groups()
    assert command[-1] == "web"
    assignments = [word for word in command if re.match(r"^OUTREACH_\w+=", word)]
    assert {a.split("=")[0] for a in assignments} >= {"OUTREACH_DATABASE__URL", "OUTREACH_OUTBOX__DIRECTORY"}

    for name, value in (a.split("=", 1) for a in assignments if "=" in a):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    from outreach.web.app import create_app

    with TestClient(create_app(), base_url=url) as browser:
        token = _CSRF.search(browser.get("/login").text).group(1)
        signed_in = browser.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
        )
        log = browser.get("/")
        clients = browser.get("/clients")
        ann = re.search(r'href="(/clients/\d+)"[^>]*>\s*Ann', clients.text)
        client_page = html.unescape(re.sub(r"<[^>]+>", " ", browser.get(ann.group(1)).text))
    get_settings.cache_clear()

    assert signed_in.status_code == 303
    assert log.status_code == 200 and "Ann" in log.text
    assert (
        "Last attended" in client_page and "never" not in " ".join(client_page.split()).split("Last attended")[1][:20]
    )


def test_the_closing_lines_run_the_worker_on_the_demos_database_and_outbox_channels(demo, monkeypatch):
    [line] = [line for line in demo.output.splitlines() if line.rstrip().endswith(" worker")]
    command = shlex.split(line)
    env = _env_of(command)
    assert env["OUTREACH_DATABASE__URL"] == f"sqlite:///{demo.directory / 'outreach.db'}"
    assert env["OUTREACH_OUTBOX__DIRECTORY"] == str(demo.directory / "outbox")
    # Whatever settings.toml says, the demo's sample addresses never reach a real provider.
    assert (env["OUTREACH_EMAIL__BACKEND"], env["OUTREACH_SMS__BACKEND"]) == ("outbox", "outbox")
    assert "tick" in demo.output.split(line)[0].splitlines()[-1]  # one pass instead: the line above says how

    result = invoke_with(monkeypatch, env, "tick")

    assert result.exit_code == 0, result.output
    assert "No clients" not in result.output and result.output.startswith("planned ")


def test_the_table_labels_each_client_with_the_name_simulate_knows_it_by(demo):
    labels = re.findall(r"^\S+ \(([a-z-]+)\)\s+sent", demo.output, re.MULTILINE)

    assert labels == list(PERSONAS)
    assert {"no-consent", "night-owl", "email-only"} <= set(labels)


def test_the_readme_api_example_phone_is_no_demo_clients_number(demo):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = {_e164(number) for number in re.findall(r'"phone":\s*"([^"]+)"', readme)}
    engine = create_engine(f"sqlite:///{demo.directory / 'outreach.db'}")
    with engine.connect() as conn:
        phones = {_e164(phone) for phone in conn.scalars(select(Client.phone))}
    engine.dispose()

    assert examples and len(phones) == len(PERSONAS)
    assert not phones & examples
    assert all(re.fullmatch(r"\+1\d{3}55501\d\d", example) for example in examples)  # fictional, as 555-01xx are


def _e164(number: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(number, "US"), phonenumbers.PhoneNumberFormat.E164)
