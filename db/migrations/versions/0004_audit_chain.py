"""audit entries hash-chained and append-only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:10:00

Existing entries get their chain (in id order), then SQLite triggers refuse UPDATE and DELETE on
audit_entry. The hashing is written out here rather than imported, so that this migration keeps
producing the same chain whatever later code does.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def _canonical(text: str | None) -> str:
    if text is None:
        return "null"
    value = json.loads(text)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _stamp(value: object) -> str:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, at, actor, action, entity, entity_id, enterprise_id, before, after "
            "FROM audit_entry ORDER BY id"
        )
    ).fetchall()
    head = GENESIS
    for entry_id, at, actor, action, entity, entity_id, enterprise_id, before, after in rows:
        text = "\x1f".join(
            (
                head,
                _stamp(at),
                actor,
                action,
                entity,
                "" if entity_id is None else entity_id,
                "" if enterprise_id is None else str(enterprise_id),
                _canonical(before),
                _canonical(after),
            )
        )
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        connection.execute(
            sa.text("UPDATE audit_entry SET prev_hash = :prev, hash = :hash WHERE id = :id"),
            {"prev": head, "hash": digest, "id": entry_id},
        )
        head = digest
    if connection.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_entry_append_only_update BEFORE UPDATE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能修改'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_append_only_delete BEFORE DELETE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能删除'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_delete")
