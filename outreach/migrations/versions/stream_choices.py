"""stream choices beside consent, the client's own pause and check-in channel, held texts while a person decides

Revision ID: stream_choices
Revises: worker_run_kind_started
Create Date: 2026-12-07

`client.reminders_opt_out` becomes two stream choices (reminder off by email and by sms) and is dropped: one switch.
`conversation.last_inbound_at` may be empty: the front desk can start a conversation before the client texts.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "stream_choices"
down_revision = "worker_run_kind_started"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "stream_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("stream", TEXT(length=16), nullable=False),
        sa.Column("channel", TEXT(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("source", TEXT(length=64), nullable=False),
        sa.Column("note", TEXT(length=500), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stream_choice_client", "stream_choice", ["client_id", "id"])
    for channel in ("email", "sms"):
        op.execute(
            sa.text(
                "INSERT INTO stream_choice (client_id, stream, channel, enabled, at, source, note) "
                "SELECT id, 'reminder', :channel, :off, updated_at, 'migration', 'was reminders_opt_out' "
                "FROM client WHERE reminders_opt_out"
            ).bindparams(channel=channel, off=False)
        )
    op.add_column("client", sa.Column("paused_until", UTC(), nullable=True))
    op.add_column("client", sa.Column("checkin_channel", TEXT(length=8), nullable=False, server_default=""))
    op.add_column("conversation", sa.Column("held_since", UTC(), nullable=True))
    # A conversation the front desk starts has no text from the client yet.
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.alter_column("last_inbound_at", existing_type=UTC(), nullable=True)
    with op.batch_alter_table("client") as batch_op:
        batch_op.drop_column("reminders_opt_out")


def downgrade() -> None:
    with op.batch_alter_table("client") as batch_op:
        batch_op.add_column(sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        sa.text(
            "UPDATE client SET reminders_opt_out = :on WHERE id IN (SELECT client_id FROM stream_choice "
            "WHERE stream = 'reminder' AND NOT enabled AND id IN "
            "(SELECT max(id) FROM stream_choice GROUP BY client_id, stream, channel))"
        ).bindparams(on=True)
    )
    op.execute(sa.text("UPDATE conversation SET last_inbound_at = last_activity_at WHERE last_inbound_at IS NULL"))
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.alter_column("last_inbound_at", existing_type=UTC(), nullable=False)
        batch_op.drop_column("held_since")
    with op.batch_alter_table("client") as batch_op:
        batch_op.drop_column("checkin_channel")
        batch_op.drop_column("paused_until")
    op.drop_index("ix_stream_choice_client", "stream_choice")
    op.drop_table("stream_choice")
