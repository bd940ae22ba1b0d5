"""account login state: forced password change, last login, last failure

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:00:00

An administrator's password reset makes the user choose a new password at the next login; the last
login and the last failed attempt are shown in the accounts list and drive the slow-down after failures.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN on both SQLite and PostgreSQL: no table copy, so no foreign-key risk.
    op.add_column(
        "user_account", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("user_account", sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    op.add_column("user_account", sa.Column("last_login_at", sa.DateTime(), nullable=True))
    op.add_column("user_account", sa.Column("last_failed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("last_failed_at")
        batch.drop_column("last_login_at")
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
