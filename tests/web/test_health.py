"""/healthz and /readyz: no sign-in, no data, and /readyz says no until the database, schema and worker are fine."""

from datetime import timedelta

from outreach.context import Context
from outreach.sending.worker import dispatch_pass, tick
from tests.conftest import make_settings, utc
from tests.helpers import web_client

NOW = utc(2026, 3, 2, 18)


def test_healthz_answers_without_a_session_or_a_database(tmp_path):
    unreachable = Context(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    with web_client(unreachable, NOW, follow_redirects=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_waits_for_plan_and_dispatch_passes_each_within_three_of_its_beats(ctx):
    worker = ctx.settings.worker
    dispatch_beat, plan_beat = (
        timedelta(seconds=s) for s in (worker.dispatch_every_seconds, worker.plan_every_seconds)
    )
    assert dispatch_beat < plan_beat, "the checks below tell the two rules apart by their beats"

    def ready_at(at):  # noqa: ANN001, ANN202
        with web_client(ctx, at, follow_redirects=False) as client:
            return client.get("/readyz")

    before = ready_at(NOW)
    tick(ctx, NOW)
    just_after, within = ready_at(NOW), ready_at(NOW + 3 * dispatch_beat)
    dispatch_late = ready_at(NOW + 3 * dispatch_beat + timedelta(seconds=1))
    dispatch_pass(ctx, NOW + 3 * plan_beat)  # dispatch keeps its beat; no plan pass since NOW
    plan_late = ready_at(NOW + 3 * plan_beat + timedelta(seconds=1))

    assert before.status_code == 503
    assert before.json() == {"status": "not ready", "checks": {"database": True, "migrations": True, "worker": False}}
    assert just_after.status_code == 200 and within.status_code == 200
    assert just_after.json() == {"status": "ready", "checks": {"database": True, "migrations": True, "worker": True}}
    assert dispatch_late.status_code == 503
    assert plan_late.status_code == 503


def test_readyz_says_not_ready_when_the_database_is_unreachable(tmp_path):
    unreachable = Context(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    with web_client(unreachable, NOW, follow_redirects=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False, "migrations": False, "worker": False}


def test_readyz_says_not_ready_when_migrations_are_behind(tmp_path):
    behind = Context(make_settings(f"sqlite:///{tmp_path / 'old.db'}", tmp_path))
    from outreach import db

    db.upgrade(behind.settings.database.url, "0001")
    with web_client(behind, NOW, follow_redirects=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "migrations": False, "worker": False}
    behind.engine.dispose()
