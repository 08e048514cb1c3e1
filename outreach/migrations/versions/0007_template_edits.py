"""template edits: drafts and published versions of message templates edited in the browser

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "template_draft",
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", String(length=64), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "template_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", String(length=64), nullable=False),
        sa.Column("published_at", UTC(), nullable=False),
        sa.Column("note", String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_template_version_name_id", "template_version", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_template_version_name_id", table_name="template_version")
    op.drop_table("template_version")
    op.drop_table("template_draft")
