"""Bulk inserts: the SQLite fast path and the generic (server) path store the same rows with the same ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from zjtx_desktop import bulk
from zjtx_desktop.context import AppContext
from zjtx_desktop.models import Enterprise

STAMP = dt.datetime(2026, 1, 2, 3, 4, 5)


def _rows() -> list[dict[str, Any]]:
    # Rows leave out different optional fields, as the importer's rows do (an empty cell is no key).
    return [
        {
            "uscc": "91331100TEST00001A",
            "name": "甲公司",
            "name_initials": "jgs",
            "region_code": "331100",
            "market_share": 12.5,
        },
        {"uscc": "91331100TEST00002B", "name": "乙公司", "name_initials": "ygs", "region_code": "331100"},
        {
            "uscc": "91331100TEST00003C",
            "name": "丙公司",
            "name_initials": "bgs",
            "region_code": "331100",
            "is_listed": True,
        },
    ]


def _stored(ctx: AppContext, ids: list[int]) -> list[tuple[Any, ...]]:
    with ctx.sessions() as session:
        found = session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.market_share, Enterprise.is_listed, Enterprise.created_at)
            .where(Enterprise.id.in_(ids))
            .order_by(Enterprise.id)
        ).all()
    return [tuple(row) for row in found]


@pytest.mark.parametrize("path", ["dialect", "generic"])
def test_rows_with_different_keys_insert_with_nulls_and_ids_in_order(ctx: AppContext, path: str) -> None:
    table = Enterprise.__table__
    with ctx.sessions.begin() as session:
        connection = session.connection()
        if path == "generic":
            ids = bulk._insert_rows_generic(
                connection, table, _rows(), constants={"created_at": STAMP, "updated_at": STAMP}, want_ids=True
            )
        else:
            ids = bulk.insert_rows(connection, table, _rows(), constants={"created_at": STAMP, "updated_at": STAMP})
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert _stored(ctx, ids) == [
        (ids[0], "甲公司", 12.5, None, STAMP),
        (ids[1], "乙公司", None, None, STAMP),
        (ids[2], "丙公司", None, True, STAMP),
    ]


def test_generic_path_without_ids(ctx: AppContext) -> None:
    with ctx.sessions.begin() as session:
        assert (
            bulk._insert_rows_generic(session.connection(), Enterprise.__table__, _rows(), constants={}, want_ids=False)
            == []
        )
    with ctx.sessions() as session:
        assert session.scalar(select(Enterprise.market_share).where(Enterprise.uscc == "91331100TEST00001A")) == 12.5
