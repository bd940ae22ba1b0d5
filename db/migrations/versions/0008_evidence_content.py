"""evidence content: a progress note's evidence file kept in the database (shared server deployments)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 08:00:00

On a PostgreSQL server used by many PCs a file copied into one PC's data folder cannot be opened on the
others and is missing from the server's backups, so there the content of an evidence file is stored in
this table, one row per progress note, deleted with it. The table is created on SQLite as well (one
schema for both), where it stays empty: a SQLite installation keeps its files in the evidence folder
beside the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "evidence_content"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):  # idempotent: a half-finished earlier attempt
        return
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_progress_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=260), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_progress_id"],
            ["task_progress.id"],
            name=op.f("fk_evidence_content_task_progress_id_task_progress"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_content")),
        sa.UniqueConstraint("task_progress_id", name=op.f("uq_evidence_content_task_progress_id")),
    )


def downgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):
        op.drop_table(TABLE)
