"""A pass with a large backlog shares it with helper processes: together they send each message once, and leave
the outbox as one process would; a small backlog, given transports or a database in memory stay in one process."""

from __future__ import annotations

import json
import logging
import os
import signal
import shutil
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from outreach.channels.outbox import NullTransport
from outreach.context import Context
from outreach.models import Client, Message
from outreach.sending.sharing import DISPATCH, PLAN, HelperFailed, helper_count, helper_pool
from outreach.sending.worker import dispatch, plan_and_send
from tests.conftest import ROOT, make_settings
from tests.helpers import add_client
from tests.sending.worker_process import seed_due_messages

NOW = datetime(2026, 3, 2, 18, tzinfo=timezone.utc)  # a Monday, noon in Chicago
on_sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sharing(ctx: Context, processes: int, share_from: int, batch_size: int = 10) -> Context:
    """The context with [worker] processes and share_from set, and small batches so every process gets some."""
    settings = ctx.settings
    ctx.settings = settings.model_copy(
        update={
            "worker": settings.worker.model_copy(update={"processes": processes, "share_from": share_from}),
            "dispatch": settings.dispatch.model_copy(update={"batch_size": batch_size}),
        }
    )
    return ctx


def clients(ctx: Context, count: int) -> None:
    for n in range(count):
        add_client(ctx, f"c{n}", at=NOW - timedelta(minutes=5), email=f"c{n}@example.com", phone=f"+1612555{n:04d}")


def outbox_files(ctx: Context) -> tuple[list[int], list[int]]:
    """The message ids of every .eml file and every sms.jsonl line the outbox channel wrote."""
    outbox = Path(ctx.settings.outbox.directory)
    emails = [int(path.name.split("-")[0]) for path in (outbox / "email").rglob("*.eml")]
    texts_file = outbox / "sms.jsonl"
    texts = [json.loads(line)["id"] for line in texts_file.read_text().splitlines()] if texts_file.exists() else []
    return emails, texts


def sent_ids(ctx: Context, channel: str) -> list[int]:
    with ctx.engine.connect() as conn:
        return sorted(conn.scalars(select(Message.id).where(Message.status == "sent", Message.channel == channel)))


def outbox_state(ctx: Context) -> tuple[set, dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(Message.key, Message.status, Message.due_at, Message.reason)).all()
        wakes = dict(conn.execute(select(Client.external_id, Client.next_plan_at)).all())
    return {tuple(row) for row in rows}, wakes


def test_a_plan_pass_with_a_large_backlog_shares_it_and_sends_each_message_once(ctx, caplog):
    sharing(ctx, processes=3, share_from=40)
    clients(ctx, 120)
    caplog.set_level(logging.INFO, logger="outreach.sending.worker")

    result = plan_and_send(ctx, NOW)

    assert "plan pass: sharing a backlog of 40 or more with 2 helper process(es)" in caplog.text
    (shares,) = [r.getMessage() for r in caplog.records if "by this process and its helpers" in r.getMessage()]
    assert shares.count(" + ") == 2, shares  # this process's count and each helper's
    emails, texts = outbox_files(ctx)
    assert sorted(emails) == sent_ids(ctx, "email") and sorted(texts) == sent_ids(ctx, "sms")
    assert result.dispatch.sent == len(emails) + len(texts) > 120
    with ctx.engine.connect() as conn:
        assert conn.scalar(select(Message.id).where(Message.status == "sending")) is None
        assert conn.scalar(select(Client.id).where(Client.next_plan_at <= NOW)) is None, "every client planned"


@on_sqlite_only
def test_a_shared_plan_pass_leaves_the_outbox_as_one_process_would(ctx, tmp_path):
    clients(ctx, 120)
    alone_dir = tmp_path / "alone"
    alone_dir.mkdir()
    with (
        closing(sqlite3.connect(ctx.engine.url.database)) as source,
        closing(sqlite3.connect(alone_dir / "outreach.db")) as copy,
    ):
        source.backup(copy)
    alone = Context(
        make_settings(f"sqlite:///{alone_dir / 'outreach.db'}", alone_dir),
        campaigns_dir=ROOT / "campaigns",
        templates_dir=ROOT / "templates",
    )

    shared = plan_and_send(sharing(ctx, processes=3, share_from=40), NOW)
    single = plan_and_send(sharing(alone, processes=1, share_from=40), NOW)

    assert outbox_state(ctx) == outbox_state(alone)
    assert (shared.plan, shared.dispatch.sent) == (single.plan, single.dispatch.sent)
    alone.engine.dispose()


def test_a_dispatch_pass_with_a_large_backlog_shares_it_and_sends_each_message_once(ctx, caplog):
    sharing(ctx, processes=2, share_from=100)
    seeded = seed_due_messages(ctx, 150, NOW)
    caplog.set_level(logging.INFO, logger="outreach.sending.worker")

    result = dispatch(ctx, NOW)

    assert "dispatch pass: sharing a backlog of 100 or more with 1 helper process(es)" in caplog.text
    _, texts = outbox_files(ctx)
    assert sorted(texts) == sorted(seeded.ids) == sent_ids(ctx, "sms")
    assert (result.claimed, result.sent) == (150, 150)


def test_small_backlogs_given_transports_and_one_process_settings_stay_in_one_process(ctx, caplog):
    clients(ctx, 5)
    caplog.set_level(logging.INFO, logger="outreach.sending.worker")

    assert helper_count(sharing(ctx, processes=3, share_from=6), PLAN, NOW) == 0
    assert helper_count(sharing(ctx, processes=3, share_from=5), PLAN, NOW) == 2
    assert helper_count(sharing(ctx, processes=1, share_from=5), PLAN, NOW) == 0
    assert helper_count(sharing(ctx, processes=3, share_from=1), DISPATCH, NOW) == 0, "no message is due yet"

    result = plan_and_send(
        sharing(ctx, processes=3, share_from=1), NOW, {"email": NullTransport("email"), "sms": NullTransport("sms")}
    )

    assert result.plan.clients == 5 and "sharing" not in caplog.text


def test_a_database_in_memory_is_never_shared(tmp_path):
    memory = Context(
        make_settings("sqlite://", tmp_path, worker={"processes": 4, "share_from": 1}),
        campaigns_dir=ROOT / "campaigns",
        templates_dir=ROOT / "templates",
    )

    assert helper_count(memory, PLAN, NOW) == 0


@on_sqlite_only
def test_a_helper_that_fails_fails_the_pass_once_this_process_has_sent_its_share(ctx, tmp_path):
    campaigns = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", campaigns)
    ctx.campaigns_dir = campaigns
    ctx.catalog  # noqa: B018  (this process has read the campaigns before the file breaks)
    (campaigns / "education.toml").write_text("[campaign\nname = 'education'\n")
    sharing(ctx, processes=2, share_from=10)
    clients(ctx, 30)

    with pytest.raises(HelperFailed, match=r"plan pass failed: CampaignError: .*education\.toml:1: invalid TOML"):
        plan_and_send(ctx, NOW)

    with ctx.engine.connect() as conn:
        statuses = set(conn.scalars(select(Message.status)))
    assert "sent" in statuses and "sending" not in statuses


def stopped_then_still_working(signum: int) -> str:
    os.kill(os.getpid(), signum)
    return "still working"


def test_a_helper_asked_to_stop_finishes_its_share_as_the_worker_does():
    with helper_pool(1) as pool:
        answers = [
            pool.submit(stopped_then_still_working, signum).result(timeout=60)
            for signum in (signal.SIGTERM, signal.SIGINT)
        ]

    assert answers == ["still working", "still working"]
