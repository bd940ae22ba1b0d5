"""audit entry indexes for the 审计日志 viewer

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:30:00

The viewer lists entries newest first, filtered by date, actor, action or kind of object. Without these
a page of a million-entry trail sorts the whole table (seconds); with them it reads one index range.
Each index ends in `at`, so the filter and the newest-first order come from the same index. Entries
are appended with growing `at`, so inserts land at the end of each index and cost imports next to nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_audit_entry_at": ["at"],
    "ix_audit_entry_actor_at": ["actor", "at"],
    "ix_audit_entry_action_at": ["action", "at"],
    "ix_audit_entry_entity_at": ["entity", "at"],
}


def upgrade() -> None:
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("audit_entry")}
    for name, columns in INDEXES.items():
        if name not in existing:  # idempotent: a half-finished earlier attempt may have made some
            op.create_index(name, "audit_entry", columns)


def downgrade() -> None:
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("audit_entry")}
    for name in INDEXES:
        if name in existing:
            op.drop_index(name, table_name="audit_entry")
