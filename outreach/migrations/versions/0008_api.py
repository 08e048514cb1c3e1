"""api: API keys, idempotent requests, booking-system webhook events, visits' external ids and versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", String(length=40), nullable=False),
        sa.Column("token_hash", String(length=64), nullable=False),
        sa.Column("scopes", String(length=200), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("last_used_at", UTC(), nullable=True),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "idempotent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("key", String(length=200), nullable=False),
        sa.Column("fingerprint", String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_key_id", "key", name="uq_idempotent_request_key"),
    )
    op.create_index("ix_idempotent_request_created_at", "idempotent_request", ["created_at"], unique=False)
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", String(length=32), nullable=False),
        sa.Column("event_id", String(length=200), nullable=False),
        sa.Column("event_type", String(length=64), nullable=False),
        sa.Column("outcome", String(length=200), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "event_id", name="uq_webhook_event_source_id"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", String(length=100), nullable=True))
        batch_op.add_column(sa.Column("external_version", sa.Integer(), nullable=True))
        batch_op.create_index("uq_visit_client_external", ["client_id", "external_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("uq_visit_client_external")
        batch_op.drop_column("external_version")
        batch_op.drop_column("external_id")
    op.drop_table("webhook_event")
    op.drop_index("ix_idempotent_request_created_at", table_name="idempotent_request")
    op.drop_table("idempotent_request")
    op.drop_table("api_key")
