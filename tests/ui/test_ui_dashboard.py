"""首页: the progress table shows the annex targets and counts cultivation entries; charts follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.dialogs.progress_detail_dialog import ProgressDetailDialog
from ui.dialogs.thresholds_dialog import ThresholdsDialog
from ui.main_window import MainWindow
from ui.models.progress_model import COL_DONE, COL_RANK, COL_RATE, COL_STATUS, COL_TARGET, COL_UNIT, TOTAL_LABEL
from ui.pages.dashboard import DashboardPage
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import Cultivation, Enterprise, Region, Target
from zjtx_desktop.seeds import load_seed

QINGTIAN = "331121"


def cell(page: DashboardPage, row: int, column: int) -> str:
    return str(page.model.index(row, column).data())


def unit_cells(page: DashboardPage) -> dict[str, tuple[str, str, str]]:
    """Unit name → (target, done, rate) as the table displays them, total row included."""
    return {
        cell(page, row, COL_UNIT): (cell(page, row, COL_TARGET), cell(page, row, COL_DONE), cell(page, row, COL_RATE))
        for row in range(page.model.rowCount())
    }


def add_qingtian_entry(ctx: AppContext, year: int = 2018) -> None:
    with transaction(ctx.sessions) as session:
        enterprise = Enterprise(uscc="91331121MA2A0B1C4A", name="青田测试阀门有限公司", region_code=QINGTIAN)
        session.add(enterprise)
        session.flush()
        session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_POOL", year=year))


@pytest.fixture
def dashboard(make_window: Callable[..., MainWindow], ctx: AppContext) -> DashboardPage:
    return make_window(ctx).dashboard


def test_annex_2017_2020_per_unit_and_total(dashboard: DashboardPage, ctx: AppContext) -> None:
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    shown = unit_cells(dashboard)
    assert shown[TOTAL_LABEL] == ("900", "0", "0.0%")
    assert shown["青田县"] == ("150", "0", "0.0%")
    # Every unit of the annex, with its own count, and the 合计 row last and bold.
    annex = next(t for t in load_seed("targets")["tables"] if (t["program"], t["start_year"]) == ("ZJTX_POOL", 2017))
    with ctx.sessions() as session:
        names = {code: session.get(Region, code).name for code in annex["counts"]}  # type: ignore[union-attr]
    assert {names[code]: str(count) for code, count in annex["counts"].items()} == {
        unit: values[0] for unit, values in shown.items() if unit != TOTAL_LABEL
    }
    last = dashboard.model.rowCount() - 1
    assert cell(dashboard, last, COL_UNIT) == TOTAL_LABEL
    assert dashboard.model.index(last, COL_UNIT).data(Qt.ItemDataRole.FontRole).bold()


def test_selectors_offer_the_programs_and_periods_with_targets(dashboard: DashboardPage) -> None:
    programs = [dashboard.program_combo.itemText(i) for i in range(dashboard.program_combo.count())]
    assert programs == ["省“专精特新”培育库企业", "省级“隐形冠军”培育企业"]
    periods = [dashboard.period_combo.itemText(i) for i in range(dashboard.period_combo.count())]
    assert periods == ["2017—2020年", "2018年"]
    assert "2017—2020年" in dashboard.rule_label.text()

    dashboard.period_combo.setCurrentIndex(1)
    assert unit_cells(dashboard)[TOTAL_LABEL][0] == "210"
    assert "2018年" in dashboard.rule_label.text()
    # Another program keeps the chosen period when it has one.
    dashboard.program_combo.setCurrentIndex(1)
    assert dashboard.selected_period() == ("YXGJ_PROV_POOL", 2018, 2018)
    assert unit_cells(dashboard)[TOTAL_LABEL][0] == "7"


def test_refresh_counts_a_new_cultivation_entry(qtbot: QtBot, dashboard: DashboardPage, ctx: AppContext) -> None:
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    add_qingtian_entry(ctx, 2018)
    with qtbot.waitSignal(dashboard.loaded):
        dashboard.refresh()
    # The selection survives the refresh.
    assert dashboard.selected_period() == ("ZJTX_POOL", 2017, 2020)
    shown = unit_cells(dashboard)
    assert shown["青田县"] == ("150", "1", "0.7%")
    assert shown["缙云县"] == ("150", "0", "0.0%")
    assert shown[TOTAL_LABEL] == ("900", "1", "0.1%")
    # 2018 lies in the 2018 period too.
    assert dashboard.select("ZJTX_POOL", 2018, 2018)
    assert unit_cells(dashboard)["青田县"] == ("40", "1", "2.5%")


def test_county_installation_sees_only_its_unit(
    qtbot: QtBot, make_window: Callable[..., MainWindow], county_ctx: AppContext
) -> None:
    dashboard = make_window(county_ctx).dashboard
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    assert list(unit_cells(dashboard)) == ["青田县"]
    assert unit_cells(dashboard)["青田县"] == ("150", "0", "0.0%")
    assert "青田县" in dashboard.subtitle_label.text()
    assert dashboard.select("YXGJ_PROV_POOL", 2018, 2018)
    assert unit_cells(dashboard) == {"青田县": ("1", "0", "0.0%")}
    # Its chart compares the county's own targets: two programs, two periods each.
    qtbot.waitUntil(lambda: len(dashboard.chart.labels_shown) == 4)
    assert dashboard.chart.labels_shown[0] == "省“专精特新”培育库企业\n2017—2020年"


def test_chart_shows_the_units_of_the_table(qtbot: QtBot, dashboard: DashboardPage) -> None:
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    qtbot.waitUntil(lambda: dashboard.chart.is_drawn and len(dashboard.chart.labels_shown) == 10)
    assert dashboard.chart.labels_shown[0] == "丽水经济技术开发区"
    assert TOTAL_LABEL not in dashboard.chart.labels_shown


def test_empty_target_table_says_so(make_window: Callable[..., MainWindow], ctx: AppContext) -> None:
    from sqlalchemy import delete

    from zjtx_desktop.models import Target

    with transaction(ctx.sessions) as session:
        session.execute(delete(Target))
    dashboard = make_window(ctx).dashboard
    assert dashboard.model.rowCount() == 0
    assert dashboard.table_stack.currentWidget() is dashboard.empty_label
    assert not dashboard.program_combo.isEnabled()


def test_returning_to_the_dashboard_shows_new_entries(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    window = make_window(ctx)
    window.show_page("enterprises")
    add_qingtian_entry(ctx, 2019)
    with qtbot.waitSignal(window.dashboard.loaded):
        window.show_page("dashboard")
    assert unit_cells(window.dashboard)["青田县"] == ("150", "1", "0.7%")


def test_status_rank_and_summary_for_the_selected_period(dashboard: DashboardPage) -> None:
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    # The period is over and nothing was entered: every unit 未完成, the summary says so in words.
    statuses = {cell(dashboard, row, COL_STATUS) for row in range(dashboard.model.rowCount())}
    assert statuses == {"未完成"}
    summary = dashboard.summary_label.text()
    assert "目标 <b>900</b>" in summary and "还差 <b>900</b>" in summary and "未完成" in summary
    # Everyone is level at 0 %: all share first place.
    assert {cell(dashboard, row, COL_RANK) for row in range(dashboard.model.rowCount() - 1)} == {"1 →"}


def test_double_clicking_a_unit_lists_the_enterprises_it_counts_and_the_rest(
    qtbot: QtBot, dashboard: DashboardPage, ctx: AppContext
) -> None:
    add_qingtian_entry(ctx, 2018)
    with transaction(ctx.sessions) as session:
        late = Enterprise(uscc="91331121MA2A0B1C3C", name="青田迟到泵业有限公司", region_code=QINGTIAN)
        session.add(late)
        session.flush()
        session.add(Cultivation(enterprise_id=late.id, program_code="ZJTX_POOL", year=2022))
    with qtbot.waitSignal(dashboard.loaded):
        dashboard.refresh()
    assert dashboard.select("ZJTX_POOL", 2017, 2020)
    row = dashboard.model.row_for_unit("青田县")
    assert row is not None
    dashboard.table.doubleClicked.emit(dashboard.model.index(row, COL_DONE))
    [dialog] = dashboard.detail_dialogs
    assert isinstance(dialog, ProgressDetailDialog)
    qtbot.waitUntil(lambda: dialog.detail is not None)
    assert dialog.counted_model.column_texts(0) == ["青田测试阀门有限公司"]
    assert dialog.not_counted_model.column_texts(0) == ["青田迟到泵业有限公司"]
    assert "不在目标期间" in dialog.not_counted_model.text(0, 6)
    assert dialog.tabs.tabText(0) == "计入（1）" and "青田县" in dialog.windowTitle()
    # Double-clicking an enterprise asks the window to open its detail view.
    with qtbot.waitSignal(dashboard.open_enterprise) as opened:
        dialog.counted_view.doubleClicked.emit(dialog.counted_model.index(0, 0))
    assert opened.args is not None
    dialog.close()


def test_alerts_list_units_behind_pace_and_open_the_drill_down(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    this_year = dt.date.today().year
    with transaction(ctx.sessions) as session:
        session.add(
            Target(
                region_code=QINGTIAN,
                program_code="ZJTX_SME",
                start_year=this_year - 1,
                end_year=this_year + 1,
                count=30,
            )
        )
    window = make_window(ctx)
    dashboard = window.dashboard
    texts = dashboard.alerts_model.column_texts(1)
    behind = [text for text in texts if text.startswith("青田县“专精特新中小企业”")]
    assert behind and "还差 30 家" in behind[0]
    assert "进度滞后 1 项" in dashboard.alerts_title.text()
    row = texts.index(behind[0])
    dashboard.alerts_view.doubleClicked.emit(dashboard.alerts_model.index(row, 1))
    dialog = dashboard.detail_dialogs[-1]
    assert isinstance(dialog, ProgressDetailDialog)
    assert "专精特新中小企业" in dialog.windowTitle() and "青田县" in dialog.windowTitle()
    dialog.close()


def test_thresholds_change_the_status_words(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext
) -> None:
    # A round under way: 青田 has 3 of 10 done with a little over half the time gone.
    this_year = dt.date.today().year
    with transaction(ctx.sessions) as session:
        session.add(
            Target(
                region_code=QINGTIAN, program_code="ZJTX_SME", start_year=this_year - 1, end_year=this_year, count=10
            )
        )
        for n in range(3):
            enterprise = Enterprise(
                uscc=uscc.make("9", "1", QINGTIAN, f"MA2D000{n}"), name=f"青田{n}号泵业", region_code=QINGTIAN
            )
            session.add(enterprise)
            session.flush()
            session.add(Cultivation(enterprise_id=enterprise.id, program_code="ZJTX_SME", year=this_year - 1))
    dashboard = make_window(ctx).dashboard
    assert dashboard.select("ZJTX_SME", this_year - 1, this_year)
    row = dashboard.model.row_for_unit("青田县")
    assert row is not None
    expected_share = dashboard.model.standing_at(row)[0].pace  # at least half the period has gone
    assert cell(dashboard, row, COL_STATUS) == "滞后"  # 30 % done of ≥ 50 % due: below 80 % of the pace
    ratio = 0.3 / expected_share  # done ÷ expected by now
    dialog = dashboard.edit_thresholds()
    assert isinstance(dialog, ThresholdsDialog)
    dialog.on_track_spin.setValue(max(1, int(ratio * 100) - 1))  # just at or under the ratio: 正常
    dialog.warn_spin.setValue(1)
    with qtbot.waitSignal(dashboard.loaded, timeout=10_000):
        dialog.accept()
    assert cell(dashboard, dashboard.model.row_for_unit("青田县") or 0, COL_STATUS) == "正常"
    # An inverted pair cannot be saved.
    dialog = dashboard.edit_thresholds()
    assert isinstance(dialog, ThresholdsDialog)
    dialog.warn_spin.setValue(150)
    assert (
        not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
        and "不能高于" in dialog.problem.text()
    )
    dialog.reject()
