"""Shared fixtures. Database tests run on SQLite and, when OUTREACH_TEST_POSTGRES_URL names a server
(.ci/run starts one), on PostgreSQL too: each test gets a fresh database."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from outreach.context import Context
from outreach.db import engine_for
from outreach.settings import Settings
from tests.fakes.sendgrid import sendgrid_fake  # noqa: F401  (fixtures: a fake provider over real HTTP)
from tests.fakes.twilio import twilio_fake  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL", "")
# Set by .ci/run: there a missing PostgreSQL server or browser fails the run instead of skipping.
REQUIRE_REAL_PARTS = bool(os.environ.get("OUTREACH_REQUIRE_REAL_PARTS"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _fresh_postgres_database() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"outreach_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'outreach.db'}"
        return
    if not POSTGRES_URL:
        if REQUIRE_REAL_PARTS:
            pytest.fail("OUTREACH_REQUIRE_REAL_PARTS is set but OUTREACH_TEST_POSTGRES_URL is not")
        pytest.skip("PostgreSQL not configured: set OUTREACH_TEST_POSTGRES_URL (bash .ci/run starts a server)")
    url, name = _fresh_postgres_database()
    yield url
    _drop_postgres_database(name)


def make_settings(database_url: str, tmp_path: Path, **sections) -> Settings:
    overrides = {"database": {"url": database_url}, "outbox": {"directory": str(tmp_path / "outbox")}}
    for section, values in sections.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return Settings(**overrides)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def ctx(settings) -> Context:
    context = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates")
    context.upgrade_schema()
    yield context
    context.engine.dispose()
    engine_for.cache_clear()


@pytest.fixture
def cli_env(ctx, monkeypatch):
    """Run the CLI against the test's database and outbox, as an operator's environment variables would."""
    from outreach.settings import get_settings

    monkeypatch.setenv("OUTREACH_DATABASE__URL", ctx.settings.database.url)
    monkeypatch.setenv("OUTREACH_OUTBOX__DIRECTORY", str(ctx.settings.outbox.directory))
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


@pytest.fixture
def desk(ctx):  # noqa: ANN201  (tests.desk.Desk)
    """The web app as the front desk's browser reaches it over HTTP, on a frozen clock (tests.desk)."""
    from tests.desk import Desk

    return Desk(ctx)
