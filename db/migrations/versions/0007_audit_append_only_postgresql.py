"""audit entries append-only on PostgreSQL too

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 06:50:00

Migration 0004 guards audit_entry with SQLite triggers. On a PostgreSQL server the same guard is a
PL/pgSQL trigger function that refuses every UPDATE and DELETE of a row, and TRUNCATE of the table, with
the same messages. A superuser or the table's owner can still drop the triggers: the server's accounts
decide who that is (docs), and `check` finds any edit of the past through the hash chain. On SQLite
this revision changes nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '审计记录只能追加，不能修改' USING ERRCODE = 'restrict_violation';
    END IF;
    RAISE EXCEPTION '审计记录只能追加，不能删除' USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_row ON audit_entry")
    op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_truncate ON audit_entry")
    op.execute(
        "CREATE TRIGGER audit_entry_append_only_row BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_append_only_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_row ON audit_entry")
    op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_truncate ON audit_entry")
    op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
