"""The sending side's commands, run as a person would: tick, worker, demo, simulate, send-test."""

import os
import re
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

from outreach.cli import app
from tests.desk import add_staff, audit_entries, give_contact
from tests.helpers import add_client, messages
from tests.conftest import ROOT

ROOT = ROOT


def test_tick_plans_and_sends_what_is_due_at_the_given_instant(cli_env):
    from datetime import datetime, timezone

    add_client(cli_env, at=datetime(2026, 3, 2, 15, tzinfo=timezone.utc))
    result = CliRunner().invoke(app, ["tick", "--now", "2026-03-02T12:00:00-06:00"])
    assert result.exit_code == 0, result.output
    planned, sent = re.search(r"planned (\d+) for 1 clients .*; sent (\d+),", result.output).groups()
    assert int(planned) == int(sent) == len(messages(cli_env)) >= 1
    assert {m.status for m in messages(cli_env)} == {"sent"}


def test_tick_refuses_a_malformed_instant(cli_env):
    result = CliRunner().invoke(app, ["tick", "--now", "next tuesday"])
    assert result.exit_code == 2 and "is not an ISO-8601 date-time" in result.output


def test_send_test_sends_at_once_one_message_marked_as_a_test(cli_env):
    add_staff(cli_env, "mia", "marketing")
    give_contact(cli_env, "mia", "marketing@example.com")
    result = CliRunner().invoke(
        app, ["send-test", "education", "pain-cycle", "--to", "marketing@example.com", "--as", "mia"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("email to marketing@example.com: sent (written under ")
    [row] = messages(cli_env)
    assert (row.is_test, row.status, row.client_id, row.to_address) == (True, "sent", None, "marketing@example.com")
    assert row.key.startswith("test:") and row.rendered["subject"]
    assert len(list((cli_env.settings.outbox.directory / "email").glob("*/*.eml"))) == 1
    [entry] = audit_entries(cli_env, "campaign.test_send")
    assert entry.detail == "education/pain-cycle to marketing@example.com (queued)"


def test_send_test_refuses_an_address_that_is_neither_a_consenting_client_s_nor_the_staff_member_s(cli_env):
    result = CliRunner().invoke(app, ["send-test", "education", "pain-cycle", "--to", "stranger@example.com"])

    assert result.exit_code == 1
    assert "Test not sent: stranger@example.com is not your own email, and no client has it" in result.output
    assert messages(cli_env) == []


def test_send_test_names_an_unknown_step(cli_env):
    result = CliRunner().invoke(app, ["send-test", "education", "no-such-step", "--to", "+16125550100"])
    assert result.exit_code == 2 and "no step 'no-such-step'" in result.output


def test_simulate_shows_an_improving_client_hearing_from_us_less_often(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    report = tmp_path / "sim.html"
    result = CliRunner().invoke(app, ["simulate", "--persona", "improving", "--report", str(report)])
    assert result.exit_code == 0, result.output
    line = next(out for out in result.output.splitlines() if out.startswith("Messages per 4 weeks:"))
    months = [int(n) for n in line.split(":")[1].split(",")]
    assert months[0] > months[-1]
    assert "tapering" in result.output and "maintaining" in result.output
    assert "<svg" in report.read_text()


def test_simulate_email_only_tapers_on_the_answers_tapped_in_check_in_emails(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["simulate", "--email-only", "--weeks", "6", "--report", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    checkins = [out.split() for out in result.output.splitlines() if "checkin/pain-checkin" in out]
    assert checkins and {(line[2], line[4]) for line in checkins} == {("email", "sent")}
    assert "week 4: tapering" in result.output


def test_the_demo_has_a_client_we_may_only_email_who_answers_by_email():
    from outreach.simulation import DEMO_CLIENTS

    assert [(p.email_consent, p.sms_consent) for p in DEMO_CLIENTS if p.answers_by_email] == [(True, False)]


def test_simulate_refuses_scores_outside_zero_to_ten():
    result = CliRunner().invoke(app, ["simulate", "--scores", "7,11"])
    assert result.exit_code == 2 and "scores run from 0 to 10" in result.output


def test_the_worker_process_stops_cleanly_on_sigterm(tmp_path):
    env = {
        **os.environ,
        "OUTREACH_DATABASE__URL": f"sqlite:///{tmp_path / 'w.db'}",
        "OUTREACH_OUTBOX__DIRECTORY": str(tmp_path / "outbox"),
        "OUTREACH_WORKER__PLAN_EVERY_SECONDS": "1",
        "OUTREACH_WORKER__DISPATCH_EVERY_SECONDS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "outreach", "worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    lines = []
    deadline = time.monotonic() + 60
    # The two jobs run side by side: wait for a line from each, in whichever order they come.
    while time.monotonic() < deadline and not (
        any("dispatch: " in line for line in lines) and any("plan: {" in line for line in lines)
    ):
        lines.append(worker.stderr.readline())
    worker.send_signal(signal.SIGTERM)
    _, rest = worker.communicate(timeout=30)
    assert worker.returncode == 0
    output = "".join(lines) + rest
    assert "worker stopped" in output and "received SIGTERM" in output
    assert any("plan: {" in line for line in lines)
    # Idle passes log the worker's own lines only: APScheduler's "Running job ..." would come every second here.
    assert not [line for line in lines if " INFO apscheduler" in line]
    assert f"No clients in the database sqlite:///{tmp_path / 'w.db'} (created just now)" in output


def test_send_test_refuses_a_number_that_replied_stop(cli_env):
    from datetime import datetime, timezone

    from sqlmodel import Session

    from outreach.services.unsubscribe import opt_out_address

    with Session(cli_env.engine) as session:
        opt_out_address(
            session,
            "sms",
            "+16125550100",
            reason="Replied STOP",
            source="sms-keyword",
            actor="client",
            now=datetime(2026, 3, 1, tzinfo=timezone.utc),
        )
        session.commit()

    result = CliRunner().invoke(app, ["send-test", "education", "pain-cycle", "--to", "+16125550100"])

    assert result.exit_code == 1
    assert "Test not sent: +16125550100 is on the suppression list (Replied STOP)" in result.output
    assert messages(cli_env) == []


def test_settling_memory_takes_what_the_process_has_loaded_out_of_the_collectors_sweeps():
    import gc

    from outreach.sending.worker import settle_memory

    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults (an in-process `tick` above may have settled this one)
    gc.unfreeze()
    try:
        settle_memory()
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] > 700
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_tick_on_a_database_with_no_clients_says_so_naming_it(cli_env):
    result = CliRunner().invoke(app, ["tick"])

    assert result.exit_code == 0, result.output
    assert f"No clients in the database {cli_env.settings.database.url}: nothing to plan or send." in result.output
    assert "(created just now)" not in result.output
    assert "`outreach demo` makes a demo database" in result.output


def test_tick_on_a_new_database_says_it_was_created_and_prints_the_command_for_the_demos(tmp_path, monkeypatch):
    import shlex

    demo = tmp_path / "var" / "demo"
    demo.mkdir(parents=True)
    (demo / "outreach.db").touch()
    env = {
        "OUTREACH_DATABASE__URL": f"sqlite:///{tmp_path / 'new.db'}",
        "OUTREACH_OUTBOX__DIRECTORY": str(tmp_path / "var" / "outbox"),
    }

    result = invoke_with(monkeypatch, env, "tick")

    assert result.exit_code == 0, result.output
    assert f"No clients in the database sqlite:///{tmp_path / 'new.db'} (created just now)" in result.output
    [line] = [line for line in result.output.splitlines() if "OUTREACH_DATABASE__URL=" in line]
    assert shlex.split(line)[-1] == "tick"
    assert f"OUTREACH_DATABASE__URL=sqlite:///{demo / 'outreach.db'}" in line
    assert "OUTREACH_SMS__BACKEND=outbox" in line


def test_tick_with_clients_says_nothing_about_the_database(cli_env):
    from datetime import datetime, timezone

    add_client(cli_env, at=datetime(2026, 3, 2, 15, tzinfo=timezone.utc))
    result = CliRunner().invoke(app, ["tick", "--now", "2026-03-02T12:00:00-06:00"])

    assert result.exit_code == 0 and "No clients" not in result.output


def invoke_with(monkeypatch, env: dict[str, str], *args: str):
    """The CLI run with `env` set, as an operator's shell would, on settings read afresh."""
    from outreach.settings import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
