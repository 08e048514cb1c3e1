"""A login flood must not lock the database: the slow password hash runs with no transaction open, so the
worker's writes go through meanwhile and no login answers 500."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy.engine import make_url

from outreach.db import is_sqlite
from outreach.services import users
from tests.helpers import served
from tests.desk import CSRF_FIELD, Desk, add_staff

FLOOD = 150


@pytest.fixture
def sqlite_file(ctx) -> str:
    if not is_sqlite(ctx.engine):
        pytest.skip("the write lock held across a transaction is SQLite's")
    return make_url(ctx.settings.database.url).database


def can_write_now(path: str) -> bool:
    """Whether another process (the worker) could take the write lock this instant, without waiting."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


@pytest.mark.parametrize("username", ["maria", "nobody-by-this-name"])
def test_no_write_lock_is_held_while_the_password_is_checked(ctx, sqlite_file, monkeypatch, username):
    add_staff(ctx, "maria", "front_desk")
    real_verify, probes = users._verify, []

    def verify(password_hash: str, password: str) -> bool:
        probes.append(can_write_now(sqlite_file))
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", verify)

    Desk(ctx).sign_in(username, "a wrong guess at it")

    assert probes == [True]


@pytest.mark.slow
def test_a_flood_of_logins_answers_no_500_and_leaves_the_worker_writing(ctx, sqlite_file, monkeypatch):
    def slow_verify(password_hash: str, password: str) -> bool:  # argon2's time, without its CPU and memory
        time.sleep(0.2)
        return False

    monkeypatch.setattr(users, "_verify", slow_verify)
    with served(ctx) as base_url, ThreadPoolExecutor(50) as pool:
        page = httpx.get(f"{base_url}/login")
        token = CSRF_FIELD.search(page.text).group(1)
        answers = pool.map(lambda n: _login(base_url, page.cookies, token, f"made-up-{n}"), range(FLOOD))
        worker_writes = [_worker_write(ctx) for _ in range(5)]
        statuses = list(answers)

    assert 500 not in statuses and len(statuses) == FLOOD
    assert worker_writes == [True] * 5


def _login(base_url: str, cookies: httpx.Cookies, token: str, username: str) -> int:
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=60) as http:
        return http.post("/login", data={"username": username, "password": "guess", "csrf_token": token}).status_code


def _worker_write(ctx) -> bool:  # noqa: ANN001
    """One write with the worker's own busy timeout, as a dispatch pass makes."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    try:
        with Session(ctx.engine) as session:
            session.execute(text("UPDATE client SET updated_at = updated_at WHERE id = 0"))
            session.commit()
        return True
    except OperationalError:
        return False
