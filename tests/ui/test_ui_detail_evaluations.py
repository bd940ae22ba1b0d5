"""The enterprise detail view's 亩均评价 and 认定条件 tabs load on demand and show this enterprise's results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.pages.enterprises import EnterprisesPage
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise


def test_evaluation_tabs_of_the_detail_view(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    with transaction(ctx.sessions) as session:
        ids = []
        for n, tax in enumerate((120.0, 60.0, 30.0)):
            enterprise = Enterprise(
                uscc=uscc.make("9", "1", "331121", f"MA2E000{n}"),
                name=f"青田{n}号阀门有限公司",
                region_code="331121",
                scale_type="规上",
                registered_on=dt.date(2010, 1, 1),
            )
            session.add(enterprise)
            session.flush()
            ids.append(enterprise.id)
            session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2018))
            for year, factor in ((2022, 0.9), (2023, 1.0)):
                session.add(
                    AnnualReport(
                        enterprise_id=enterprise.id, year=year, revenue=3000 * factor, main_revenue=2800 * factor,
                        value_added=700 * factor, tax_paid=tax * factor, land_area=20, energy_use=400,
                        cod=1, so2=1, nh3n=0.5, nox=1, employees_avg=120, rd_expense=90 * factor,
                        total_assets=4000, total_liabilities=2000, net_profit=200 * factor,
                    )
                )  # fmt: skip
    window = make_window(ctx)
    window.open_enterprise(ids[0])
    page = window.page("enterprises")
    assert isinstance(page, EnterprisesPage)
    qtbot.waitUntil(lambda: ids[0] in page.detail_dialogs, timeout=10_000)
    detail = page.detail_dialogs[ids[0]]
    qtbot.waitUntil(lambda: detail.data is not None and not detail.is_busy())

    detail.tabs.setCurrentWidget(detail.mujun_tab)
    qtbot.waitUntil(lambda: detail.mujun_summary.breakdown is not None, timeout=15_000)
    breakdown = detail.mujun_summary.breakdown
    assert breakdown is not None and breakdown.evaluated and breakdown.rank == 1  # the highest tax per 亩
    assert "总分" in detail.mujun_summary.headline.text()

    with qtbot.waitSignal(detail.criteria.loaded, timeout=15_000):
        detail.tabs.setCurrentWidget(detail.criteria)
    result = detail.criteria.result
    assert result is not None and result.enterprise_id == ids[0] and result.conditions
    assert result.verdict in ("符合", "不符合", "数据不全")
