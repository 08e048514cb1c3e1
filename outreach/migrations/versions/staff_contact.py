"""a staff member's own email and phone, the only staff addresses a test send may go to

Revision ID: staff_contact
Revises: languages
Create Date: 2026-12-14

Existing accounts have none until their owners set them (`outreach users set-contact`, or the staff page).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "staff_contact"
down_revision = "languages"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("staff_user", sa.Column("email", TEXT(length=254), nullable=False, server_default=""))
    op.add_column("staff_user", sa.Column("phone", TEXT(length=20), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("staff_user", "phone")
    op.drop_column("staff_user", "email")
