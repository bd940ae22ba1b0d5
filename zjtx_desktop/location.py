"""Where the database is: a SQLAlchemy URL or a SQLite file, from --db, ZJTX_DB or the per-user default.

Kept free of SQLAlchemy imports so that the program can parse its command line and show its window
before the database layer has loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zjtx_desktop.paths import default_db_path


@dataclass(frozen=True)
class DatabaseLocation:
    """Where the database is: a SQLAlchemy URL, and for SQLite the file path."""

    url: str
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def describe(self) -> str:
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def resolve_location(option: str | None) -> DatabaseLocation:
    """--db, else ZJTX_DB, else the per-user default file. A plain path means a SQLite file."""
    raw = option or os.environ.get("ZJTX_DB") or str(default_db_path())
    if "://" in raw:
        from sqlalchemy.engine import make_url

        url = make_url(raw)
        if url.get_backend_name() == "sqlite":
            path = Path(url.database) if url.database and url.database != ":memory:" else None
            return DatabaseLocation(raw, path.resolve() if path else None)
        return DatabaseLocation(raw, None)
    path = Path(raw).expanduser().resolve()
    return DatabaseLocation(f"sqlite:///{path.as_posix()}", path)
