"""Migrations build the schema the models describe, on an empty database of either kind, and re-running is a no-op."""

import ast
import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from outreach import db, models  # noqa: F401  (registers the tables)

MIGRATIONS = db.MIGRATIONS / "versions"


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


def _revision_ids() -> list[tuple[str, str | None]]:
    """(revision, down_revision) as each file under migrations/versions/ declares them."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.py")):
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "down_revision"):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
        found.append((values["revision"], values["down_revision"]))
    return found


def test_the_migrations_form_one_line_with_one_head_and_no_id_twice():
    ids = [revision for revision, _ in _revision_ids()]
    heads = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_heads()

    assert len(ids) == len(set(ids)), f"a revision id is used twice: {sorted(ids)}"
    assert len(heads) == 1, f"two branches each added a migration: point the later one's down_revision at {heads}"


def test_new_revision_ids_name_their_change_not_a_number():
    # Numbered ids stay as they were (databases record them); two branches would each have added the same next one.
    numbered = {f"{n:04d}" for n in range(1, 12)}
    named = [revision for revision, _ in _revision_ids() if revision not in numbered]
    assert named, "the first named revision is message_rendered"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", revision) for revision in named), named


def test_every_migration_downgrades_and_upgrades_again_to_the_same_schema(database_url):
    db.upgrade(database_url)
    engine = db.engine_for(database_url)
    try:
        db.downgrade(database_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.upgrade(database_url)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        assert (
            db.current_revision(engine)
            == ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
        )
    finally:
        engine.dispose()
        db.engine_for.cache_clear()
