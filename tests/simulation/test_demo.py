"""`outreach demo`: a past that ends today, and closing lines that open the dashboard on the demo's data."""

import html
import re
import shlex
from datetime import datetime, timezone

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from outreach.cli import app
from outreach.models import Message, Visit
from outreach.settings import get_settings

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _run_demo(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--weeks", "3", "--directory", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_lives_through_weeks_that_end_today(tmp_path):
    started = datetime.now(timezone.utc)
    _run_demo(tmp_path)
    engine = create_engine(f"sqlite:///{tmp_path / 'demo' / 'outreach.db'}")
    with engine.connect() as conn:
        last_sent = conn.scalar(select(func.max(Message.sent_at)))
        first_visit = conn.scalar(select(func.min(Visit.starts_at)).where(Visit.status == "attended"))
    engine.dispose()
    assert last_sent is not None and last_sent.replace(tzinfo=timezone.utc) <= started
    assert (started - first_visit.replace(tzinfo=timezone.utc)).days >= 14


def test_the_closing_lines_open_the_dashboard_on_the_demos_database(tmp_path, monkeypatch):
    output = _run_demo(tmp_path)
    lines = output.splitlines()
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
