"""worker runs by kind and start: the liveness rule reads each kind's latest start on every health check

Revision ID: worker_run_kind_started
Revises: delivery_event_report
Create Date: 2026-12-07
"""

from alembic import op

revision = "worker_run_kind_started"
down_revision = "delivery_event_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_worker_run_kind_started", "worker_run", ["kind", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_run_kind_started", "worker_run")
