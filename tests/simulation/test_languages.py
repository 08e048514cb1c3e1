"""A simulated client who reads Spanish: `outreach simulate --language`, and the demo's Spanish-speaking client, whose
taper moves like Ann's and whose texts and emails go out, and show in the dashboard, in Spanish."""

import email
import json
import re
from datetime import datetime, timezone
from email import policy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from outreach import simulation
from outreach.channels.outbox import NullTransport
from outreach.cli import app
from outreach.models import Client, Message
from outreach.settings import get_settings
from tests.conftest import ROOT
from tests.desk import page_text

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WEEKS = 10


def _simulate(tmp_path, *options):
    report = tmp_path / f"report{'-'.join(options)}.html"
    result = CliRunner().invoke(app, ["simulate", "--weeks", "3", "--report", str(report), *options])
    assert result.exit_code == 0, result.output
    return result.output, report.read_text(encoding="utf-8")


def _timeline(output: str) -> list[tuple[str, str]]:
    """Each message line of the printed timeline, with the words line under it ("" when there is none)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("date "))
    shown = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        if line.startswith(" "):
            shown[-1] = (shown[-1][0], line.strip())
        else:
            shown.append((line, ""))
    return shown


def test_simulate_in_spanish_shows_each_message_as_it_went_out_in_spanish(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    english, _ = _simulate(tmp_path)
    spanish, report = _simulate(tmp_path, "--language", "Español")

    assert "Ann Improving, who reads Spanish" in spanish
    in_english, in_spanish = _timeline(english), _timeline(spanish)
    # The same decisions, only the words change.
    assert [line for line, _ in in_spanish] == [line for line, _ in in_english]
    sent = [(line, words) for line, words in in_spanish if line.split()[-1] == "sent"]
    assert sent and all(words.startswith("[es] ") for _, words in sent)
    assert all(words.startswith("[en] ") for line, words in in_english if line.split()[-1] == "sent")
    sent_in_english = [pair for pair in in_english if pair[0].split()[-1] == "sent"]
    for (_, words_es), (_, words_en) in zip(sent, sent_in_english, strict=True):
        assert words_es[5:] != words_en[5:]
    texts = [words for line, words in sent if line.split()[2] == "sms"]
    assert texts and all("Ann" in words for words in texts)

    assert "Ann reads Spanish" in report
    cells = re.findall(r'<td lang="es">([^<]+)</td>', report)
    assert len(cells) == len(sent)
    assert not re.search(r'<td lang="en">', report)


def test_simulate_refuses_a_language_not_served_naming_those_that_are(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["simulate", "--language", "fr"])
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert "unknown language 'fr'" in flat and "en (English)" in flat and "es (Spanish)" in flat


def test_the_help_of_simulate_says_how_to_choose_the_language():
    shown = " ".join(CliRunner().invoke(app, ["simulate", "--help"], terminal_width=120).output.split())
    assert "--language" in shown and "[languages] served" in shown


def test_the_demos_spanish_client_tapers_like_ann(ctx):
    ann = next(p for p in simulation.DEMO_CLIENTS if p.first_name == "Ann")
    spanish = [p for p in simulation.DEMO_CLIENTS if p.language == "es"]
    assert len(spanish) == 1 and spanish[0].first_name != spanish[0].first_name.encode("ascii", "ignore").decode()
    start = datetime(2026, 3, 2, simulation.DAY_STARTS_UTC, tzinfo=timezone.utc)
    nothing = {channel: NullTransport(channel) for channel in ("email", "sms")}
    english, lucia = simulation.run(ctx, (ann, spanish[0]), start, WEEKS, nothing).timelines

    assert lucia.phases == english.phases and lucia.worsening == english.worsening
    assert lucia.per_week(start, WEEKS) == english.per_week(start, WEEKS)
    assert [p.split(": ")[1] for p in simulation.phase_changes(lucia)] == ["establishing", "tapering", "maintaining"]
    assert {m.language for m in lucia.sent()} == {"es"} and {m.language for m in english.sent()} == {"en"}
    # Spanish skips nothing Ann's English does not (a first visit booked that same morning skips its reminder).
    assert [m.reason for m in lucia.messages if m.status == "skipped"] == [
        m.reason for m in english.messages if m.status == "skipped"
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo", "--weeks", "3", "--directory", str(directory)])
    assert result.exit_code == 0, result.output
    return directory, result.output


def test_the_demos_outbox_holds_spanish_texts_and_emails(demo):
    directory, output = demo
    engine = create_engine(f"sqlite:///{directory / 'outreach.db'}")
    with engine.connect() as conn:
        lucia = conn.execute(select(Client).where(Client.language == "es")).one()
        sent = conn.execute(
            select(Message.channel, Message.language).where(Message.client_id == lucia.id, Message.sent_at.is_not(None))
        ).all()
    engine.dispose()
    assert lucia.email.isascii() and f"{lucia.first_name} (spanish)" in output
    assert {language for _, language in sent} == {"es"} and {channel for channel, _ in sent} == {"sms", "email"}

    texts = [json.loads(line) for line in (directory / "outbox" / "sms.jsonl").read_text().splitlines()]
    hers = [t["body"] for t in texts if t["to"] == lucia.phone]
    assert len(hers) == sum(channel == "sms" for channel, _ in sent)
    assert all(lucia.first_name in body for body in hers)
    emails = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in directory.glob("outbox/email/*/*.eml")
    ]
    to_her = [m for m in emails if m["To"] == lucia.email]
    assert len(to_her) == sum(channel == "email" for channel, _ in sent)
    for message in to_her:
        assert message["Content-Language"] == "es"
        assert '<html lang="es">' in message.get_body(("html",)).get_content()


def test_the_dashboard_shows_the_spanish_client_and_her_messages_by_language(demo, monkeypatch):
    directory, output = demo
    lines = output.splitlines()
    url, username, password = re.search(r"open (\S+) and sign in as (\S+), password (\S+)$", lines[-1]).groups()
    for name, value in re.findall(r"(OUTREACH_\w+)=(\S+)", lines[-2]):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    from outreach.web.app import create_app

    with TestClient(create_app(), base_url=url) as browser:
        token = _CSRF.search(browser.get("/login").text).group(1)
        browser.post("/login", data={"username": username, "password": password, "csrf_token": token})
        clients = page_text(browser.get("/clients"))
        engine = create_engine(f"sqlite:///{directory / 'outreach.db'}")
        with engine.connect() as conn:
            lucia = conn.execute(select(Client).where(Client.language == "es")).one()
            first_text = conn.execute(
                select(Message.id)
                .where(Message.client_id == lucia.id, Message.channel == "sms", Message.sent_at.is_not(None))
                .order_by(Message.id)
            ).first()
            sent = conn.execute(select(Message.id).where(Message.language == "es", Message.sent_at.is_not(None))).all()
        engine.dispose()
        message = page_text(browser.get(f"/messages/{first_text.id}"))
        reports = page_text(browser.get("/reports"))
    get_settings.cache_clear()

    assert lucia.first_name in clients
    assert "Language Spanish" in message
    spanish_row = re.search(r"Spanish es ([\d,]+) ", reports.split("By language", 1)[1])
    assert spanish_row and int(spanish_row.group(1)) == len(sent)
