"""visits by status and start, so a pass finds past bookings without reading every visit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_status_starts", ["status", "starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_status_starts")
