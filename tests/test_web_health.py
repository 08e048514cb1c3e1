"""/healthz and /readyz: no sign-in, no data, and /readyz says no until the database, schema and worker are fine."""
from datetime import timedelta

from outreach.context import Context
from outreach.worker import tick
from tests.conftest import make_settings, utc
from tests.helpers import web_client

NOW = utc(2026, 3, 2, 18)


def test_healthz_answers_without_a_session_or_a_database(tmp_path):
    unreachable = Context(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    with web_client(unreachable, NOW, follow_redirects=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_waits_for_a_worker_pass_within_two_beats(ctx):
    beat = timedelta(seconds=ctx.settings.worker.dispatch_every_seconds)
    with web_client(ctx, NOW, follow_redirects=False) as client:
        before = client.get("/readyz")
        tick(ctx, NOW - beat)
        after = client.get("/readyz")
    with web_client(ctx, NOW + 2 * beat, follow_redirects=False) as client:
        late = client.get("/readyz")

    assert before.status_code == 503
    assert before.json() == {"status": "not ready", "checks": {"database": True, "migrations": True, "worker": False}}
    assert after.status_code == 200
    assert after.json() == {"status": "ready", "checks": {"database": True, "migrations": True, "worker": True}}
    assert late.status_code == 503


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
