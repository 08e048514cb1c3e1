"""a delivery event keeps what its report implies: the message status, and the provider's id for the message

Revision ID: delivery_event_report
Revises: message_rendered
Create Date: 2026-12-07

A report that arrives before its message knows the provider's id is stored unattached; these columns let it be
attached and applied later whatever the provider. Unattached Twilio events recorded before this revision are
filled in from their ids ("<MessageSid>:<status>").
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "delivery_event_report"
down_revision = "message_rendered"
branch_labels = None
depends_on = None

# Twilio's statuses as outreach.channels.twilio mapped them when this revision was written (frozen here).
TWILIO_STATUS = {
    "accepted": "sending",
    "scheduled": "sending",
    "queued": "sending",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
EVENTS = sa.table(
    "delivery_event",
    sa.column("id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("provider", sa.String),
    sa.column("provider_event_id", sa.String),
    sa.column("event", sa.String),
    sa.column("status", sa.String),
    sa.column("provider_message_id", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("provider_message_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_delivery_event_provider_message_id"), ["provider_message_id"])
    _backfill_unattached_twilio_events()


def _backfill_unattached_twilio_events() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(EVENTS.c.id, EVENTS.c.provider_event_id, EVENTS.c.event).where(
            EVENTS.c.provider == "twilio", EVENTS.c.message_id.is_(None)
        )
    ).all()
    updates = [
        {"row_id": row.id, "sid": row.provider_event_id.partition(":")[0], "status": TWILIO_STATUS.get(row.event)}
        for row in rows
    ]
    if updates:
        connection.execute(
            EVENTS.update()
            .where(EVENTS.c.id == sa.bindparam("row_id"))
            .values(provider_message_id=sa.bindparam("sid"), status=sa.bindparam("status")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_event_provider_message_id"))
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("status")
