"""delivery log ordered by the time it shows

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# outreach.models.LOG_TIME_SQL as it was written for this revision.
LOG_TIME = "coalesce(sent_at, updated_at)"


def upgrade() -> None:
    op.create_index("ix_message_log_time", "message", [sa.text(LOG_TIME), "id"])
    op.create_index("ix_message_status_log_time", "message", ["status", sa.text(LOG_TIME), "id"])
    op.create_index("ix_message_client_log_time", "message", ["client_id", sa.text(LOG_TIME), "id"])


def downgrade() -> None:
    op.drop_index("ix_message_client_log_time", "message")
    op.drop_index("ix_message_status_log_time", "message")
    op.drop_index("ix_message_log_time", "message")
