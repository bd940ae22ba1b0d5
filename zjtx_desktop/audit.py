"""The audit trail: every change recorded with who, when, what, before and after, in the same transaction.

Entries form a hash chain: each stores the previous entry's hash and its own, SHA-256 over the previous
hash and its canonical content. Editing, deleting or reordering any entry breaks the chain from there on,
which `verify_chain` (and so `check`) reports. Triggers refuse UPDATE and DELETE outright (SQLite: migration
0004; PostgreSQL: 0007).
Every way entries are written — `record` through the ORM and `chain_rows` for bulk inserts — takes the
chain's head from the connection, so entries of one transaction chain in the order they are inserted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper, Session

from zjtx_desktop import server_locks
from zjtx_desktop.models import AuditEntry, utcnow
from zjtx_desktop.server_locks import hold_until_commit

GENESIS = "0" * 64  # the "previous hash" of the first entry
_HEAD_KEY = "zjtx_audit_head"  # connection.info: the last hash written in the current transaction


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def canonical_json(value: dict[str, Any] | None) -> str:
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    enterprise_id: int | None,
    before: str,
    after: str,
) -> str:
    """The hash of one entry; `before` and `after` in canonical JSON (see canonical_json)."""
    text = "\x1f".join(
        (
            prev_hash,
            _stamp(at),
            actor,
            action,
            entity,
            "" if entity_id is None else entity_id,
            "" if enterprise_id is None else str(enterprise_id),
            before,
            after,
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(connection: Connection) -> str:
    head = connection.info.get(_HEAD_KEY)
    if head is None:
        hold_until_commit(connection, server_locks.AUDIT_CHAIN)  # held until this transaction ends
        last = connection.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        head = last or GENESIS
    return str(head)


def chain_rows(connection: Connection, rows: Sequence[dict[str, Any]], shared: dict[str, Any]) -> None:
    """Fill prev_hash and hash of rows about to be bulk-inserted in this order (values from each row, or
    from `shared` for the columns every row has in common)."""
    head = _head(connection)
    shared_before = canonical_json(shared["before"]) if "before" in shared else None
    shared_after = canonical_json(shared["after"]) if "after" in shared else None
    for row in rows:
        value = {**shared, **row}
        before = (
            shared_before if "before" not in row and shared_before is not None else canonical_json(value.get("before"))
        )
        after = shared_after if "after" not in row and shared_after is not None else canonical_json(value.get("after"))
        row["prev_hash"] = head
        head = row["hash"] = entry_hash(
            head,
            value["at"],
            value["actor"],
            value["action"],
            value["entity"],
            value.get("entity_id"),
            value.get("enterprise_id"),
            before,
            after,
        )
    connection.info[_HEAD_KEY] = head


@event.listens_for(AuditEntry, "before_insert")
def _chain_entry(_mapper: Mapper[Any], connection: Connection, entry: AuditEntry) -> None:
    if entry.hash is not None:
        return
    if entry.at is None:
        entry.at = utcnow()
    head = _head(connection)
    entry.prev_hash = head
    entry.hash = entry_hash(
        head,
        entry.at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.enterprise_id,
        canonical_json(entry.before),
        canonical_json(entry.after),
    )
    connection.info[_HEAD_KEY] = entry.hash


def forget_head(connection: Connection) -> None:
    """After a commit or rollback the head is read again: another connection may have written since."""
    connection.info.pop(_HEAD_KEY, None)


@event.listens_for(Engine, "commit")
def _after_commit(connection: Connection) -> None:
    forget_head(connection)


@event.listens_for(Engine, "rollback")
def _after_rollback(connection: Connection) -> None:
    forget_head(connection)


@event.listens_for(Engine, "rollback_savepoint")
def _after_savepoint_rollback(connection: Connection, _name: str, _context: object) -> None:
    forget_head(connection)  # entries written inside the savepoint are gone: read the head again


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    enterprise_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the caller's transaction, so the change and its record commit together."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        enterprise_id=enterprise_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(rows: Iterable[Sequence[Any]]) -> ChainCheck:
    """Walk entries in id order — (id, at, actor, action, entity, entity_id, enterprise_id, before, after,
    prev_hash, hash) — and report the first place the chain breaks (later ones follow from it)."""
    head = GENESIS
    count = 0
    for row in rows:
        count += 1
        entry_id, at, actor, action, entity, entity_id, enterprise_id, before, after, prev_hash, stored = row
        if prev_hash != head:
            return ChainCheck(count, [f"审计记录第 {entry_id} 条与前一条接不上：记录被删除、插入或改动过"])
        expected = entry_hash(
            head, at, actor, action, entity, entity_id, enterprise_id, canonical_json(before), canonical_json(after)
        )
        if stored != expected:
            return ChainCheck(count, [f"审计记录第 {entry_id} 条的内容与其校验值不符：记录被改动过"])
        head = stored
    return ChainCheck(count, [])


def check_audit_chain(session: Session) -> ChainCheck:
    columns = (
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.entity,
        AuditEntry.entity_id,
        AuditEntry.enterprise_id,
        AuditEntry.before,
        AuditEntry.after,
        AuditEntry.prev_hash,
        AuditEntry.hash,
    )
    rows = session.execute(select(*columns).order_by(AuditEntry.id).execution_options(yield_per=5000))
    return verify_chain(tuple(row) for row in rows)
