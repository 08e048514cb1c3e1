"""the automatic answer's words on each inbound text, so the inbox thread shows what the client was sent back

Revision ID: inbound_answer
Revises: staff_contact
Create Date: 2026-12-14

Texts answered before this revision keep "": their thread says an answer went, without its words.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "inbound_answer"
down_revision = "staff_contact"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("inbound_message", sa.Column("answer", TEXT(length=1600), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("inbound_message", "answer")
