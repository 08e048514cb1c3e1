"""Migrations build the schema the models describe, on an empty database of either kind, and re-running is a no-op."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from outreach import db, models  # noqa: F401  (registers the tables)


def test_an_empty_database_is_migrated_to_exactly_the_models(database_url):
    db.upgrade(database_url)
    engine = db.engine_for(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert differences == []
        assert set(inspect(engine).get_table_names()) >= set(SQLModel.metadata.tables)
        assert db.current_revision(engine) is not None
    finally:
        engine.dispose()
        db.engine_for.cache_clear()


def test_upgrading_twice_changes_nothing(database_url):
    db.upgrade(database_url)
    engine = db.engine_for(database_url)
    try:
        revision = db.current_revision(engine)
        db.upgrade(database_url)
        assert db.current_revision(engine) == revision
    finally:
        engine.dispose()
        db.engine_for.cache_clear()
