"""Finding enterprises: search by name, code, pinyin initials and address; filters; saved filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_query import (
    NOT_IN_POOL,
    EnterpriseFilter,
    delete_saved_filter,
    fetch_rows,
    filter_options,
    save_filter,
    saved_filters,
    search_ids,
)
from zjtx_desktop.models import Cultivation, HelpVisit
from zjtx_desktop.registry import create_enterprise, recycle_enterprise

FIRMS = [
    # name, unit, industry, scale, address
    ("丽水市宏达精密机械有限公司", "331102", "C34", "规下", "莲都区南明山街道绿谷大道218号"),
    ("浙江龙泉三鑫汽车空调部件有限公司", "331181", "C36", "规上", "龙泉市剑池街道工业园区8号"),
    ("庆元县竹韵文具有限公司", "331126", "C24", "规下", "庆元县屏都街道新城路66号"),
    ("云和县童乐木制玩具厂", "331125", "C24", "个体工业", "云和县浮云街道木玩路12号"),
    ("缙云县锯力机床有限公司", "331122", "C34", "规上", "缙云县壶镇镇工业区3号"),
]


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    ids: dict[str, int] = {}
    with transaction(ctx.sessions) as session:
        for n, (name, unit, industry, scale, address) in enumerate(FIRMS, start=1):
            code = uscc.make("9", "1", unit, f"MA2B{n:03d}Q")
            record = create_enterprise(
                session,
                "张科员",
                {
                    "name": name,
                    "uscc": code,
                    "region_code": unit,
                    "industry_code": industry,
                    "scale_type": scale,
                    "address": address,
                },
            )
            ids[name[:6]] = record.id
        session.add_all(
            [
                Cultivation(enterprise_id=ids["丽水市宏达精"], program_code="ZJTX_POOL", year=2018, status="已认定"),
                Cultivation(enterprise_id=ids["浙江龙泉三鑫"], program_code="YXGJ_PROV_POOL", year=2019),
                Cultivation(enterprise_id=ids["浙江龙泉三鑫"], program_code="XJR", year=2023),
                Cultivation(enterprise_id=ids["庆元县竹韵文"], program_code="ZJTX_POOL", year=2019, status="已退出"),
                HelpVisit(
                    enterprise_id=ids["云和县童乐木"],
                    visited_on=dt.date(2024, 3, 1),
                    officer="王芳",
                    kind="走访",
                    status="办理中",
                ),
                HelpVisit(
                    enterprise_id=ids["缙云县锯力机"],
                    visited_on=dt.date(2024, 3, 1),
                    officer="王芳",
                    kind="走访",
                    status="已办结",
                ),
            ]
        )
    return ids


def names(ctx: AppContext, **criteria: Any) -> list[str]:
    with transaction(ctx.sessions) as session:
        return [row.name for row in fetch_rows(session, search_ids(session, EnterpriseFilter(**criteria)))]


def test_everything_in_name_order(ctx: AppContext, firms: dict[str, int]) -> None:
    assert names(ctx) == sorted(name for name, *_ in FIRMS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("精密", ["丽水市宏达精密机械有限公司"]),
        ("lsjm", ["丽水市宏达精密机械有限公司"]),  # 丽水…精密…: initials in order, with gaps
        ("LSJM", ["丽水市宏达精密机械有限公司"]),
        ("ｊｙｊｌ", ["缙云县锯力机床有限公司"]),  # full-width letters typed with a Chinese input method
        ("壶镇", ["缙云县锯力机床有限公司"]),  # address
        ("91331181", ["浙江龙泉三鑫汽车空调部件有限公司"]),  # start of the code
        ("ma2b003", ["庆元县竹韵文具有限公司"]),  # code typed in lower case
        ("50%", []),  # wildcards typed by the user are literal
        ("", [name for name, *_ in sorted(FIRMS)]),
    ],
)
def test_search_as_you_type(ctx: AppContext, firms: dict[str, int], text: str, expected: list[str]) -> None:
    assert names(ctx, text=text) == expected


def test_filters(ctx: AppContext, firms: dict[str, int]) -> None:
    assert names(ctx, unit_codes=("331125", "331126")) == ["云和县童乐木制玩具厂", "庆元县竹韵文具有限公司"]
    assert names(ctx, program_code="ZJTX_POOL") == ["丽水市宏达精密机械有限公司", "庆元县竹韵文具有限公司"]
    assert names(ctx, status="已退出") == ["庆元县竹韵文具有限公司"]
    assert names(ctx, status=NOT_IN_POOL) == ["云和县童乐木制玩具厂", "缙云县锯力机床有限公司"]
    assert names(ctx, program_code="ZJTX_POOL", entry_year=2019) == ["庆元县竹韵文具有限公司"]
    assert names(ctx, industry_code="C24", scale_type="个体工业") == ["云和县童乐木制玩具厂"]
    assert names(ctx, open_help=True) == ["云和县童乐木制玩具厂"]


def test_sorting(ctx: AppContext, firms: dict[str, int]) -> None:
    by_unit = names(ctx, sort="unit")
    assert by_unit[0] == "丽水市宏达精密机械有限公司"  # 莲都 comes first in the annex order
    assert names(ctx, sort="unit", descending=True) == list(reversed(by_unit))


def test_rows_show_the_latest_tier_and_open_help(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        [sanxin] = fetch_rows(session, [firms["浙江龙泉三鑫"]])
        [tongle] = fetch_rows(session, [firms["云和县童乐木"]])
    assert (sanxin.program, sanxin.entry_year, sanxin.unit, sanxin.industry) == (
        "小巨人",
        2023,
        "龙泉市",
        "C36 汽车制造业",
    )
    assert (tongle.status, tongle.open_help, tongle.scale_type) == (NOT_IN_POOL, 1, "个体工业")


def test_the_first_screenful_comes_first(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        everything = search_ids(session, EnterpriseFilter())
        first = search_ids(session, EnterpriseFilter(), limit=2)
    assert first == everything[:2]


def test_recycle_bin_lists_only_recycled(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "张科员", firms["云和县童乐木"])
    assert "云和县童乐木制玩具厂" not in names(ctx)
    assert names(ctx, recycled=True) == ["云和县童乐木制玩具厂"]


def test_saved_filters_round_trip(ctx: AppContext, firms: dict[str, int]) -> None:
    wanted = EnterpriseFilter(text="精密", program_code="ZJTX_POOL", unit_codes=("331102",), open_help=True)
    with transaction(ctx.sessions) as session:
        save_filter(session, " 莲都在库企业 ", wanted)
    with transaction(ctx.sessions) as session:
        stored = saved_filters(session)
        assert list(stored) == ["莲都在库企业"]
        assert stored["莲都在库企业"] == EnterpriseFilter(
            program_code="ZJTX_POOL", unit_codes=("331102",), open_help=True
        )
        delete_saved_filter(session, "莲都在库企业")
    with transaction(ctx.sessions) as session:
        assert saved_filters(session) == {}


def test_filter_options(ctx: AppContext, firms: dict[str, int]) -> None:
    with transaction(ctx.sessions) as session:
        options = filter_options(session, unit_codes=["331121"])
    assert options.units == [("331121", "青田县")]
    assert options.entry_years == [2023, 2019, 2018]
    assert ("C36", "C36 汽车制造业") in options.industries
    assert NOT_IN_POOL in options.statuses
