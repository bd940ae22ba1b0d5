"""Where things live: bundled resources (source tree or frozen build) and the per-user data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

APP_DIR_NAME = "ZJTXDesktop"


def bundle_root() -> Path:
    """The folder holding resources/ and db/: the source tree, or PyInstaller's unpack folder."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return bundle_root().joinpath("resources", *parts)


def migrations_path() -> Path:
    return bundle_root() / "db" / "migrations"


def seeds_path() -> Path:
    return bundle_root() / "db" / "seeds"


def data_dir() -> Path:
    """The per-user data folder (database, backups, evidence files); ZJTX_DATA_DIR overrides it."""
    override = os.environ.get("ZJTX_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_DIR_NAME, appauthor=False))


def cache_dir() -> Path:
    """Files the program can rebuild at any time (matplotlib's font list in the release build)."""
    return data_dir() / "cache"


def default_db_path() -> Path:
    return data_dir() / "zjtx.sqlite3"
