"""年度监测 page: the grid of a unit and year, editing and saving in one job, flags that open the enterprise,
aggregates and the trend chart, and unsaved edits that are not given up without asking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.models.monitoring_grid import FIRST_FIGURE, FIRST_METRIC, HEADERS, SHOW_MISSING
from ui.pages.monitoring import TAB_FLAGS, MonitoringPage
from ui.widgets import PageState
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, AuditEntry, Cultivation, Enterprise
from zjtx_desktop.principal import Principal

QINGTIAN = "331121"
REVENUE = FIRST_FIGURE + [h.split("\n")[0] for h in HEADERS[FIRST_FIGURE:]].index("营业收入")
EMPLOYEES = FIRST_FIGURE + [h.split("\n")[0] for h in HEADERS[FIRST_FIGURE:]].index("从业人员年平均数")
RD_STAFF = FIRST_FIGURE + [h.split("\n")[0] for h in HEADERS[FIRST_FIGURE:]].index("研发人员")
TAX_PER_MU = FIRST_METRIC + [h.split("\n")[0] for h in HEADERS[FIRST_METRIC:]].index("亩均税收")


@dataclass(frozen=True)
class Firms:
    valve: int  # cultivated, figures for 2022 and 2023
    shoes: int  # no 2023 figures yet
    stone: int  # cultivated, 2023 revenue typed in 元


@pytest.fixture
def firms(ctx: AppContext) -> Firms:
    with transaction(ctx.sessions) as session:
        made = []
        for n, name in enumerate(("青田县瓯江阀门有限公司", "青田县石门鞋业有限公司", "青田县石雕工艺品有限公司")):
            firm = Enterprise(
                uscc=uscc.make("9", "1", QINGTIAN, f"MA2A0B{n:02d}"),
                name=name,
                region_code=QINGTIAN,
                contact_person="叶会计",
                phone="0578-6512345",
            )
            session.add(firm)
            session.flush()
            made.append(firm.id)
        valve, shoes, stone = made
        for firm in (valve, stone):
            session.add(Cultivation(enterprise_id=firm, program_code="ZJTX_POOL", year=2018))
        full = {
            "main_revenue": 900.0,
            "value_added": 200.0,
            "rd_expense": 30.0,
            "energy_use": 300.0,
            "employees_avg": 40,
        }
        session.add(AnnualReport(enterprise_id=valve, year=2022, revenue=950.0, tax_paid=40.0, land_area=10.0, **full))
        session.add(AnnualReport(enterprise_id=valve, year=2023, revenue=1000.0, tax_paid=50.0, land_area=10.0, **full))
        session.add(AnnualReport(enterprise_id=shoes, year=2022, revenue=300.0))
        session.add(AnnualReport(enterprise_id=stone, year=2022, revenue=600.0, tax_paid=20.0, land_area=8.0, **full))
        session.add(
            AnnualReport(
                enterprise_id=stone,
                year=2023,
                revenue=6_300_000.0,
                tax_paid=21.0,
                land_area=8.0,
                **full,
            )
        )
    return Firms(valve, shoes, stone)


@pytest.fixture
def page(qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: Firms) -> Iterator[MonitoringPage]:
    page = MonitoringPage(jobs)
    qtbot.addWidget(page)
    page.resize(1190, 700)
    page.set_context(ctx)
    page.show()
    page.activate()
    qtbot.waitUntil(lambda: page.state is PageState.READY and page.is_settled(), timeout=20_000)
    yield page


def row_named(page: MonitoringPage, name: str) -> int:
    return next(n for n, row in enumerate(page.grid_model.rows) if row.name == name)


def test_the_page_loads_the_grid_of_a_unit_and_year(page: MonitoringPage, firms: Firms) -> None:
    data = page.data
    assert data is not None and (data.unit_code, data.year) == (QINGTIAN, 2023)
    assert page.unit_combo.currentText() == "青田县" and page.year_combo.currentData() == 2023
    names = [row.name for row in page.grid_model.rows]
    # Cultivated first, then by name.
    assert names == ["青田县瓯江阀门有限公司", "青田县石雕工艺品有限公司", "青田县石门鞋业有限公司"]
    model = page.grid_model
    valve = row_named(page, "青田县瓯江阀门有限公司")
    assert model.index(valve, 1).data() == "培育"
    assert model.index(valve, REVENUE).data() == "1,000.00"
    assert model.index(valve, TAX_PER_MU).data() == "5.00"  # 50 万元 on 10 亩, computed
    assert "企业 3 家，已报送 2 家" in page.subtitle_label.text()
    assert HEADERS[REVENUE] == "营业收入\n(万元)"
    # The figures scroll beside the names, which stay put.
    assert page.grid.names.isColumnHidden(REVENUE) and not page.grid.figures.isColumnHidden(REVENUE)
    page.show_combo.setCurrentText(SHOW_MISSING)
    assert page.grid_filter.rowCount() == 1
    assert page.grid_filter.index(0, 0).data() == "青田县石门鞋业有限公司"


def test_editing_a_cell_and_saving_writes_the_database(
    qtbot: QtBot, page: MonitoringPage, ctx: AppContext, firms: Firms
) -> None:
    model = page.grid_model
    valve, shoes = row_named(page, "青田县瓯江阀门有限公司"), row_named(page, "青田县石门鞋业有限公司")
    assert not page.save_button.isEnabled()
    assert model.setData(model.index(valve, REVENUE), "1,250.5")
    assert model.setData(model.index(shoes, REVENUE), "480")
    assert model.index(valve, REVENUE).data() == "1,250.50"
    assert model.index(valve, 0).data() == "● 青田县瓯江阀门有限公司"  # unsaved edits are marked
    assert model.index(valve, REVENUE).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert page.edits_label.text() == "未保存的修改 2 处" and page.save_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        assert page.save() is not None
    assert "已保存：新增 1 条、修改 1 条" in page.message_label.text()
    assert not model.is_dirty() and page.edits_label.text() == ""
    with ctx.sessions() as session:
        reports = dict(
            session.execute(
                select(AnnualReport.enterprise_id, AnnualReport.revenue).where(AnnualReport.year == 2023)
            ).all()
        )
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "annual_report")).all()
    assert reports[firms.valve] == 1250.5 and reports[firms.shoes] == 480.0
    assert sorted(audit) == ["create", "update"]
    # The reload brought the new versions: a second edit saves without a conflict.
    valve = row_named(page, "青田县瓯江阀门有限公司")
    assert page.grid_model.rows[valve].version == 2
    page.grid_model.setData(page.grid_model.index(valve, REVENUE), "1300")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.save()
    assert "修改 1 条" in page.message_label.text()


def test_a_bad_cell_is_marked_and_blocks_saving(
    page: MonitoringPage, monkeypatch: pytest.MonkeyPatch, firms: Firms
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: warned.append(text))
    model = page.grid_model
    valve = row_named(page, "青田县瓯江阀门有限公司")
    model.setData(model.index(valve, REVENUE), "12万")
    assert model.index(valve, REVENUE).data() == "12万"  # kept as typed, in red, with the reason
    assert model.index(valve, REVENUE).data(Qt.ItemDataRole.ToolTipRole) == "营业收入应为数字，“12万”不是数字"
    assert "营业收入应为数字" in page.message_label.text()
    assert page.save() is None
    assert warned and "有 1 处输入有误" in warned[0]
    model.setData(model.index(valve, REVENUE), "-5")
    assert model.index(valve, REVENUE).data(Qt.ItemDataRole.ToolTipRole) == "营业收入不能为负数"
    model.setData(model.index(valve, REVENUE), "1000")  # back to the saved figure: nothing pending
    assert not model.is_dirty()


def test_a_save_the_core_rejects_names_the_row_and_field_and_keeps_the_edits(
    qtbot: QtBot, page: MonitoringPage, ctx: AppContext, monkeypatch: pytest.MonkeyPatch, firms: Firms
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: warned.append(text))
    model = page.grid_model
    valve = row_named(page, "青田县瓯江阀门有限公司")
    model.setData(model.index(valve, EMPLOYEES), "10")
    model.setData(model.index(valve, RD_STAFF), "12")  # more R&D staff than employees: a rule across fields
    job = page.save()
    assert job is not None
    qtbot.waitUntil(lambda: bool(warned), timeout=20_000)
    assert "青田县瓯江阀门有限公司（研发人员）：研发人员（12人）多于从业人员（10人）" in warned[0]
    assert model.is_dirty() and page.save_button.isEnabled()
    assert "多于从业人员" in str(model.index(valve, RD_STAFF).data(Qt.ItemDataRole.ToolTipRole))
    with ctx.sessions() as session:  # nothing written: still the loaded 40 employees
        saved = select(AnnualReport.employees_avg).where(
            AnnualReport.enterprise_id == firms.valve, AnnualReport.year == 2023
        )
        assert session.scalar(saved) == 40


def test_flags_are_listed_and_double_click_opens_the_enterprise(
    qtbot: QtBot, page: MonitoringPage, firms: Firms
) -> None:
    model = page.flags_model
    assert page.tabs.tabText(TAB_FLAGS) == "异常提示（1）"
    assert model.rowCount() == 1
    assert model.column_texts(1) == ["青田县石雕工艺品有限公司"]
    assert model.text(0, 0) == "很可能有误" and model.text(0, 3) == "0578-6512345"
    assert model.text(0, 4) == "营业收入" and model.text(0, 5) == "6,300,000 万元"
    assert "疑似按“元”填报" in model.text(0, 6)
    with qtbot.waitSignal(page.open_enterprise, timeout=5_000) as blocker:
        page.flags_view.doubleClicked.emit(model.index(0, 1))
    assert blocker.args == [firms.stone]
    # 定位 selects the figure in the grid, ready to be corrected.
    page.flags_view.selectRow(0)
    page.locate_selected_flag()
    current = page.grid.names.selectionModel().currentIndex()
    assert page.tabs.currentIndex() == 0
    assert current.column() == REVENUE and current.data() == "6,300,000.00"


def test_aggregates_and_the_trend_chart_are_drawn(qtbot: QtBot, page: MonitoringPage) -> None:
    units = page.stats_model.column_texts(0)
    assert "青田县" in units and units[-1] == "合计"
    row = units.index("青田县")
    assert page.stats_model.text(row, 2) == "2"  # two reports in 2023
    assert page.stats_model.text(row, 4) == "6,301,000"
    assert page.chart.is_drawn and page.chart.labels_shown == ["2022", "2023"]
    page.cultivated_check.setChecked(True)
    qtbot.waitUntil(lambda: page.is_settled() and page.stats_rule.text().startswith("统计范围：该年度培育企业"))
    assert page.stats_model.text(page.stats_model.column_texts(0).index("青田县"), 2) == "2"


def test_changing_the_year_with_unsaved_edits_asks_first(
    qtbot: QtBot, page: MonitoringPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[bool] = [False]
    asked: list[str] = []

    def confirm(_parent: object, title: str, text: str, **_options: object) -> bool:
        asked.append(text)
        return answers[0]

    monkeypatch.setattr(prompts, "confirm", confirm)
    model = page.grid_model
    model.setData(model.index(0, REVENUE), "7")
    page.year_combo.setCurrentIndex(page.year_combo.findData(2022))
    page.year_combo.activated.emit(page.year_combo.currentIndex())
    assert asked and "有 1 处修改尚未保存" in asked[0]
    assert page.year_combo.currentData() == 2023 and model.is_dirty()  # kept
    page.refresh()  # F5 asks too
    assert len(asked) == 2 and page.state is PageState.READY
    answers[0] = True
    page.year_combo.setCurrentIndex(page.year_combo.findData(2022))
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.year_combo.activated.emit(page.year_combo.currentIndex())
    assert page.data is not None and page.data.year == 2022 and not model.is_dirty()


def test_paste_fills_a_block_of_cells(page: MonitoringPage) -> None:
    view = page.grid.figures
    view.setCurrentIndex(page.grid_filter.index(0, REVENUE))
    assert view.paste("1,100\t1000\r\n2200\t2000\r\n") == 4
    model = page.grid_model
    assert [model.value(0, "revenue"), model.value(0, "main_revenue")] == [1100, 1000]
    assert [model.value(1, "revenue"), model.value(1, "main_revenue")] == [2200, 2000]
    view.selectionModel().select(page.grid_filter.index(0, REVENUE), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert view.clear_selected() == 1 and model.value(0, "revenue") is None


def test_a_read_only_account_cannot_type_or_paste(qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: Firms) -> None:
    ctx.sign_in(Principal("chen_view", "陈查看", "readonly", None, 8))
    page = MonitoringPage(jobs)
    qtbot.addWidget(page)
    page.set_context(ctx)
    page.show()
    page.activate()
    qtbot.waitUntil(lambda: page.state is PageState.READY and page.is_settled(), timeout=20_000)
    index = page.grid_filter.index(0, REVENUE)
    assert not page.grid_filter.flags(index) & Qt.ItemFlag.ItemIsEditable
    page.grid.figures.setCurrentIndex(index)
    assert page.grid.figures.paste("1,100\t1000\r\n") == 0
    assert page.grid_model.edited_cells() == 0 and not page.save_button.isEnabled()


def test_a_county_sees_its_own_unit_only(qtbot: QtBot, jobs: JobRunner, county_ctx: AppContext, firms: Firms) -> None:
    page = MonitoringPage(jobs)
    qtbot.addWidget(page)
    page.set_context(county_ctx)
    page.activate()
    qtbot.waitUntil(lambda: page.state is PageState.READY and page.is_settled(), timeout=20_000)
    assert [page.unit_combo.itemText(i) for i in range(page.unit_combo.count())] == ["青田县"]
    assert not page.unit_combo.isEnabled()
    assert page.stats_model.column_texts(0) == ["青田县"]


def test_closing_the_window_with_unsaved_edits_asks_first(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: Firms, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [False]
    monkeypatch.setattr(prompts, "confirm", lambda *_args, **_options: answers[0])
    window = QWidget()
    qtbot.addWidget(window)
    page = MonitoringPage(jobs, window)
    QVBoxLayout(window).addWidget(page)
    page.set_context(ctx)
    window.show()
    page.activate()
    qtbot.waitUntil(lambda: page.state is PageState.READY and page.is_settled(), timeout=20_000)
    page.grid_model.setData(page.grid_model.index(0, REVENUE), "7")
    assert not window.close() and window.isVisible()  # kept open with the edits
    assert page.has_unsaved_edits()
    answers[0] = True
    assert window.close() and not page.has_unsaved_edits()
