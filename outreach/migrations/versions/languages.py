"""a language per client, the language each message went out in, and the one each inbound text reads as

Revision ID: languages
Revises: stream_choices
Create Date: 2026-12-07

Existing clients are written to in English, as they have been so far.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "languages"
down_revision = "stream_choices"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


# Plain ALTER TABLE on both databases: SQLite's batch mode would copy the table, and the copy would lose the
# expression indexes of revision 0006, which SQLite cannot reflect (SQLite 3.35+ drops a plain column in place).


def upgrade() -> None:
    op.add_column("client", sa.Column("language", TEXT(length=8), nullable=False, server_default="en"))
    op.add_column("message", sa.Column("language", TEXT(length=8), nullable=False, server_default=""))
    op.add_column("inbound_message", sa.Column("language", TEXT(length=8), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("inbound_message", "language")
    op.drop_column("message", "language")
    op.drop_column("client", "language")
