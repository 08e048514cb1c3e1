"""reports: held-out occasions, the daily rollup, its state; indexes to find what changed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "campaign", "step", "metric", "detail", name="uq_report_day"),
    )
    with op.batch_alter_table("report_day", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_day_covering", ["day", "campaign", "step", "metric", "detail", "count"], unique=False
        )

    op.create_table(
        "report_state",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "held_out_occasion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "campaign", "step", "cycle", name="uq_held_out_occasion"),
    )
    with op.batch_alter_table("held_out_occasion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_out_occasion_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_held_out_occasion_due", ["due_at"], unique=False)

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_updated_created", ["updated_at", "created_at"], unique=False)

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_updated", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_updated")

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_updated_created")

    with op.batch_alter_table("held_out_occasion", schema=None) as batch_op:
        batch_op.drop_index("ix_held_out_occasion_due")
        batch_op.drop_index(batch_op.f("ix_held_out_occasion_client_id"))

    op.drop_table("held_out_occasion")
    op.drop_table("report_state")
    with op.batch_alter_table("report_day", schema=None) as batch_op:
        batch_op.drop_index("ix_report_day_covering")

    op.drop_table("report_day")
