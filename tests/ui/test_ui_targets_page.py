"""目标任务 page: its three tabs load together; plan indicators drill down; parks are entered by hand."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.pages.targets import TAB_SUPERVISION, TargetsPage
from ui.pages.targets_indicators import IndicatorDrillDown, ParksDialog
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.indicators import manual_entries
from zjtx_desktop.models import Cultivation, Enterprise

QINGTIAN = "331121"


def open_targets(make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext) -> TargetsPage:
    window = make_window(ctx)
    page = window.show_page("targets")
    assert isinstance(page, TargetsPage)
    wait_loaded(page)
    return page


def test_the_three_tabs_load_with_the_page(
    make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    page = open_targets(make_window, wait_loaded, ctx)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == ["目标设置", "规划指标", "政策任务督查"]
    assert "4 轮目标" in page.subtitle_label.text()
    names = page.indicators.summary_model.column_texts(0)
    assert names == [
        "取得“浙江制造”认证的培育企业",
        "培育企业自主商标拥有率",
        "培育企业平均装备数控化率",
        "新建小微企业园",
    ]
    assert page.indicators.summary_model.column_texts(1) == ["≥ 5家", "≥ 100%", "≥ 50%", "≥ 15个"]
    page.show_tab(TAB_SUPERVISION)
    assert page.tabs.currentWidget() is page.supervision


def test_indicator_figures_drill_down_to_the_enterprises(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    with transaction(ctx.sessions) as session:
        for n, made in enumerate((True, False, None)):
            enterprise = Enterprise(
                uscc=uscc.make("9", "1", QINGTIAN, f"MA2A0B1{n}"),
                name=f"青田{n}号阀门有限公司",
                region_code=QINGTIAN,
                zhejiang_made=made,
            )
            session.add(enterprise)
            session.flush()
            session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=2018))
    page = open_targets(make_window, wait_loaded, ctx)
    panel = page.indicators
    assert panel.summary_model.text(0, 2) == "1家" and "培育企业 3 家中 1 家" in panel.summary_model.text(0, 4)
    row = panel.units_model.column_texts(0).index("青田县")
    assert panel.units_model.text(row, 1) == "1家"
    panel.units_view.doubleClicked.emit(panel.units_model.index(row, 1))
    [dialog] = [d for d in panel.dialogs if isinstance(d, IndicatorDrillDown)]
    qtbot.waitUntil(lambda: dialog.rows is not None)
    assert dialog.model.column_texts(0)[0] == "青田0号阀门有限公司"
    assert dialog.model.column_texts(4) == ["计入", "不计入", "不计入"]
    assert dialog.model.column_texts(3) == ["是", "否", "未填"]
    dialog.close()
    # The city-wide figure drills down too.
    panel.summary_view.doubleClicked.emit(panel.summary_model.index(0, 2))
    whole = panel.dialogs[-1]
    assert isinstance(whole, IndicatorDrillDown) and "全市" in whole.windowTitle()
    qtbot.waitUntil(lambda: whole.rows is not None)
    assert whole.model.rowCount() == 3
    whole.close()


def test_parks_are_entered_by_hand_and_counted(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    page = open_targets(make_window, wait_loaded, ctx)
    panel = page.indicators
    dialog = panel.enter_parks()
    assert isinstance(dialog, ParksDialog)
    dialog.unit_combo.setCurrentIndex(dialog.unit_combo.findData(QINGTIAN))
    dialog.year_spin.setValue(2019)
    dialog.count_spin.setValue(3)
    dialog.note_edit.setText("青田小微园一期、二期、三期")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.accept()
    assert panel.parks_model.column_texts(1) == ["青田县"] and panel.parks_model.text(0, 2) == "3"
    assert panel.summary_model.text(3, 2) == "3个"
    with ctx.sessions() as session:
        [entry] = manual_entries(session, "new_parks")
    assert (entry.region_code, entry.year, entry.value, entry.note) == (
        QINGTIAN,
        2019,
        3.0,
        "青田小微园一期、二期、三期",
    )
