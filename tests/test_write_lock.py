"""SQLite's write lock: a writer queued behind another takes it as soon as it is free, and gives up after the
busy timeout with SQLite's own error."""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from outreach.db import make_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}", busy_timeout_ms=300)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


@contextmanager
def lock_held(engine):
    """Another thread holds the write lock (having written 1) until the event it yields is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    try:
        yield release
    finally:
        release.set()
        holder.join()


def test_a_writer_waits_for_the_lock_and_then_writes(engine):
    with lock_held(engine) as release:
        threading.Timer(0.05, release.set).start()
        with engine.begin() as conn:  # queued behind the holder, within the 300 ms timeout
            conn.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT n FROM t")).scalars()) == [1, 2]
        # The connection's own busy timeout is back for every other statement.
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 300


def test_a_writer_gives_up_after_the_busy_timeout(engine):
    with lock_held(engine), pytest.raises(OperationalError, match="database is locked"):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        assert list(conn.execute(text("SELECT n FROM t")).scalars()) == [1]
