"""a queued message's words, rendered when it was queued: a test send from the dashboard goes out as previewed

Revision ID: message_rendered
Revises: 0011
Create Date: 2026-12-07

Revision ids name their change from here on (the numbered ones before stay as they are: databases record them).
Whoever merges second points down_revision at the head they merge onto; tests/migrations/test_migrations.py
checks there is exactly one head.
"""

import sqlalchemy as sa
from alembic import op

revision = "message_rendered"
down_revision = "0011"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: SQLite's batch mode would copy the table, and the copy would lose the
# expression indexes of revision 0006, which SQLite cannot reflect.


def upgrade() -> None:
    op.add_column("message", sa.Column("rendered", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("message", "rendered")
