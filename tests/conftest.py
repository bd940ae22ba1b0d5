"""Shared fixtures: a migrated, seeded template database copied fresh for every test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed once per test run; copying the file is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    ctx = open_database(resolve_location(str(path)))
    ctx.close()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "zjtx.sqlite3"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def ctx(db_path: Path) -> Iterator[AppContext]:
    context = open_database(resolve_location(str(db_path)), actor="测试员")
    yield context
    context.close()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never write into the real per-user data folder during tests."""
    monkeypatch.setenv("ZJTX_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ZJTX_DB", raising=False)
