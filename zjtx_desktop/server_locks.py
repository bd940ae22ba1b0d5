"""Server-wide locks for clients sharing a PostgreSQL database (SQLite's single writer needs none)."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# Transactions writing audit entries take this before reading the chain's head, so that two clients never
# chain onto the same entry.
AUDIT_CHAIN = 0x7A6A_7478  # "zjtx"
# Migrating and adding missing reference rows: several PCs starting a new version at once must not both
# create the tables or insert the same units; one does it, the others wait and then find it done.
SCHEMA = 0x5A4A5458_4D494752  # "ZJTX" "MIGR"


def hold_until_commit(bind: Connection | Session, key: int) -> None:
    """Take the transaction-level advisory lock `key` on a server; released when the transaction ends."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    if dialect.name == "postgresql":
        bind.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
