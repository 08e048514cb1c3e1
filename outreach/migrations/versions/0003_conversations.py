"""conversations: the inbox, replies written by staff, the client summary for lists and the attention page

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("last_inbound_at", UTC(), nullable=False),
        sa.Column("last_activity_at", UTC(), nullable=False),
        sa.Column("preview", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False, server_default=""),
        sa.Column("needs_reply", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("possible_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone"),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_client_id", ["client_id"], unique=False)
        batch_op.create_index("ix_conversation_last_activity_at", ["last_activity_at"], unique=False)
        batch_op.create_index("ix_conversation_needs_reply", ["needs_reply"], unique=False)
        batch_op.create_index("ix_conversation_possible_opt_out", ["possible_opt_out"], unique=False)
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_message_from_address", ["from_address"], unique=False)
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phase", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="establishing"
            )
        )
        for name in ("worsening_since", "lapsed_since", "last_visit_at", "next_visit_at", "flags_seen_at"):
            batch_op.add_column(sa.Column(name, UTC(), nullable=True))
        batch_op.create_index("ix_client_phase", ["phase"], unique=False)
    # Existing clients get their summary on the next planning pass.
    op.execute(sa.text("UPDATE client SET next_plan_at = CURRENT_TIMESTAMP"))


def downgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_phase")
        for name in ("flags_seen_at", "next_visit_at", "last_visit_at", "lapsed_since", "worsening_since", "phase"):
            batch_op.drop_column(name)
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_message_from_address")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("author")
        batch_op.drop_column("body")
    op.drop_table("conversation")
