"""delivery log indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_created"))
        batch_op.create_index("ix_message_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_message_campaign_created", ["campaign", "created_at"], unique=False)
        batch_op.create_index("ix_message_client_created", ["client_id", "created_at"], unique=False)
        batch_op.create_index("ix_message_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_status_created")
        batch_op.drop_index("ix_message_client_created")
        batch_op.drop_index("ix_message_campaign_created")
        batch_op.drop_index("ix_message_created")
        batch_op.create_index(batch_op.f("ix_message_created"), ["created_at"], unique=False)
