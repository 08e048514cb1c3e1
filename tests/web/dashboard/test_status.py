"""The status page: the worker's passes, what waits in the outbox, and what needs attention."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from outreach.models import WorkerRun
from tests.helpers import add_client
from tests.web.dashboard.test_log import add_message
from tests.desk import START, page_text


def add_run(ctx, kind: str, started_at, **counts: int) -> None:
    with Session(ctx.engine) as session:
        session.add(
            WorkerRun(
                kind=kind,
                worker="host:1",
                started_at=started_at,
                finished_at=started_at + timedelta(seconds=2),
                counts=counts,
            )
        )
        session.commit()


def test_it_warns_when_the_worker_has_stopped(desk):
    add_run(desk.ctx, "plan", START - timedelta(hours=2))
    add_run(desk.ctx, "dispatch", START - timedelta(seconds=40), sent=3)
    desk.sign_in_as("front_desk")

    page = page_text(desk.get("/status"))

    assert "The worker's plan pass is late." in page
    assert "The worker's dispatch pass is late." not in page
    assert "sent 3" in page


def test_it_says_nothing_is_late_when_both_passes_ran_recently(desk):
    add_run(desk.ctx, "plan", START - timedelta(minutes=4))
    add_run(desk.ctx, "dispatch", START - timedelta(seconds=20))
    desk.sign_in_as("front_desk")

    assert "is late" not in desk.get("/status").text


def test_it_counts_the_outbox_and_links_problems_to_the_log(desk):
    client_id = add_client(desk.ctx, at=START)
    add_message(desk.ctx, client_id, START - timedelta(hours=1), status="planned")  # due now
    add_message(desk.ctx, client_id, START - timedelta(hours=2), status="failed", reason="Invalid number (21211)")
    add_message(desk.ctx, client_id, START - timedelta(hours=3), status="unknown", reason="Timed out after sending")
    add_message(desk.ctx, client_id, START - timedelta(days=3), status="failed", reason="Old failure")
    desk.sign_in_as("front_desk")

    response = desk.get("/status")
    page = page_text(response)

    assert "Due now 1 Scheduled for later 0 Being sent 0" in page
    assert "failed 1 in the last 24 hours" in page
    assert "unknown 1 in the last 24 hours" in page
    assert "Invalid number (21211)" in page and "Timed out after sending" in page
    assert "Old failure" not in page
    assert 'href="/?status=failed&amp;from=2026-03-01"' in response.text
