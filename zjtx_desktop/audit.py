"""The audit trail: every change recorded with who, when, what, before and after, in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zjtx_desktop.models import AuditEntry, utcnow


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
