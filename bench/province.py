"""The province-scale benchmark database (DESIGN §7): where it lives, and whether the one on disk is complete."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the scripts run as `python bench/…` from the project folder
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
DB_PATH = OUT / "province.sqlite3"
META_PATH = OUT / "province.json"  # written after a successful generation: counts, seed, seconds taken
COUNT = 100_000
SEED = 20180615  # the policy's date (丽政办发〔2018〕61号): any fixed number would do
GENERATION_BUDGET_S = 60.0

_TABLES = {"enterprises": "enterprise", "cultivations": "cultivation", "annual_reports": "annual_report"}


def generator_fingerprint() -> str:
    """Changes whenever the generator or the schema does, so that an outdated database is made again."""
    source = (ROOT / "zjtx_desktop" / "demo.py").read_bytes()
    for migration in sorted((ROOT / "db" / "migrations" / "versions").glob("*.py")):
        source += migration.read_bytes()
    return hashlib.sha256(source + f"{COUNT}:{SEED}".encode()).hexdigest()[:16]


def complete_meta() -> dict[str, Any] | None:
    """The recorded generation when the database on disk is the one it describes, else None."""
    if not (META_PATH.exists() and DB_PATH.exists()):
        return None
    try:
        meta: dict[str, Any] = json.loads(META_PATH.read_text(encoding="utf-8"))
        if meta.get("fingerprint") != generator_fingerprint():
            return None
        with sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True) as connection:
            for key, table in _TABLES.items():
                (rows,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
                if rows != meta["summary"][key]:
                    return None
    except (OSError, ValueError, KeyError, sqlite3.Error):
        return None
    return meta
