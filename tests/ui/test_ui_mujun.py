"""亩均评价 panel and the enterprise summary: classes per unit, filters, opening an enterprise, the year picker,
the 评价方案 dialog (saving a year's own copy, refusing bad input, version conflicts) and a county's own scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.core.test_mujun import EXAMPLE, YEAR, add_enterprise
from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.pages.monitoring_mujun import NO_DATA, NOT_EVALUATED, MujunPanel, MujunSchemeDialog
from ui.widgets_mujun import MujunSummary
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, RuleSet
from zjtx_desktop.mujun import enterprise_mujun, save_scheme, scheme_for_edit


@pytest.fixture
def example(ctx: AppContext) -> dict[str, int]:
    with transaction(ctx.sessions) as session:
        ids = {name: add_enterprise(session, name, *spec) for name, spec in EXAMPLE.items()}
        # The year before, for the year picker: the valve maker alone.
        session.add(AnnualReport(enterprise_id=ids["青田伟明阀门有限公司"], year=YEAR - 1, land_area=10, tax_paid=100))
    return ids


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    shown: list[str] = []
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(prompts, "confirm", lambda *_args, **_kwargs: True)
    yield shown


def open_panel(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> MujunPanel:
    panel = MujunPanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(1190, 640)
    panel.show()
    panel.set_context(ctx)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.reload()
    return panel


def list_names(panel: MujunPanel) -> list[str]:
    return [panel.model.data(panel.model.index(row, 1)) for row in range(panel.model.rowCount())]


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_classes_per_unit_and_the_enterprise_list(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    assert panel.year_combo.currentText() == f"{YEAR}年"
    assert [panel.year_combo.itemText(i) for i in range(panel.year_combo.count())] == [f"{YEAR}年", f"{YEAR - 1}年"]
    distribution = panel.distribution_model
    rows = {
        distribution.text(row, 0): [distribution.text(row, c) for c in range(1, 7)]
        for row in range(distribution.rowCount())
    }
    # 青田县: A 1, B 3 (a valve foundry and two tied below-scale firms), C 1, D 1 of 6; one firm below 3 亩.
    assert rows["青田县"] == ["6", "1（16.7%）", "3（50.0%）", "1（16.7%）", "1（16.7%）", "1"]
    assert rows["缙云县"] == ["2", "0（0.0%）", "0（0.0%）", "0（0.0%）", "2（100.0%）", "2"]
    assert rows["合计"][0] == "8" and rows["莲都区"][1] == "—"
    assert "默认方案" in panel.method_note.text()

    assert len(list_names(panel)) == 8
    top = list_names(panel).index("青田伟明阀门有限公司")
    cells = [panel.model.data(panel.model.index(top, column)) for column in range(6)]
    assert cells == ["1/4", "青田伟明阀门有限公司", "青田", "规上", "A 优先发展类", "245.50"]
    tax = panel.model.index(top, panel.model.indicator_column("tax_per_mu"))
    assert tax.data() == "90.00"
    assert "本企业 40.00 万元/亩，基准值 12.50 万元/亩，权重 30" in tax.data(Qt.ItemDataRole.ToolTipRole)

    choose(panel.class_combo, "A 优先发展类")
    assert list_names(panel) == ["青田伟明阀门有限公司"]
    choose(panel.class_combo, NOT_EVALUATED)
    reasons = {
        name: panel.model.data(panel.model.index(row, panel.model.columnCount() - 1))
        for row, name in enumerate(list_names(panel))
    }
    assert reasons == {
        "青田县油竹小五金加工厂": "用地 2.5 亩，不足 3 亩",
        "缙云县新碧缝纫机配件有限公司": "该年未填报监测数据",
        "缙云县东方红工具厂": "未填写规模类型（规上/规下/个体工业）",
    }
    assert panel.count_label.text().startswith("未参评企业 3 家")

    # Clicking a unit's row lists that unit only; the scale filter leaves only its indicators' columns.
    choose(panel.class_combo, "参评企业（全部类别）")
    jinyun = next(row for row in range(distribution.rowCount()) if distribution.text(row, 0) == "缙云县")
    panel.distribution_view.clicked.emit(distribution.index(jinyun, 0))
    assert panel.unit_combo.currentText() == "缙云县"
    assert sorted(list_names(panel)) == ["缙云县五云机械有限公司", "缙云县壶镇带锯厂"]
    choose(panel.scale_combo, "规下工业企业")
    assert list_names(panel) == ["缙云县壶镇带锯厂"]
    assert panel.view.isColumnHidden(panel.model.indicator_column("va_per_mu"))
    assert not panel.view.isColumnHidden(panel.model.indicator_column("tax_per_electricity"))
    choose(panel.unit_combo, "全部单位")
    panel.search_box.setText("五金")
    assert list_names(panel) == ["青田县温溪五金厂"]


def test_double_click_opens_the_enterprise(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    row = list_names(panel).index("浙江青田石雕工艺品有限公司")
    with qtbot.waitSignal(panel.open_enterprise) as opened:
        panel.view.doubleClicked.emit(panel.model.index(row, 1))
    assert opened.args == [example["浙江青田石雕工艺品有限公司"]]


def test_the_year_picker_evaluates_another_year(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        choose(panel.year_combo, f"{YEAR - 1}年")
    assert panel.data is not None and panel.data.year == YEAR - 1
    assert list_names(panel) == ["青田伟明阀门有限公司"]
    assert panel.model.data(panel.model.index(0, 4)) == "D 倒逼整治类"  # alone in its pool


def open_dialog(qtbot: QtBot, panel: MujunPanel) -> MujunSchemeDialog:
    panel.edit_scheme()
    qtbot.waitUntil(lambda: bool(panel.dialogs))
    dialog = panel.dialogs[0]
    assert isinstance(dialog, MujunSchemeDialog)
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    return dialog


def type_into(dialog: MujunSchemeDialog, key: str, text: str) -> None:
    widget = dialog.form.editor(key).widget
    widget.setText(text)  # type: ignore[attr-defined]


def test_a_years_own_scheme_is_saved_and_the_panel_reloads(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int], warnings: list[str]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    dialog = open_dialog(qtbot, panel)
    assert dialog.windowTitle() == f"{YEAR}年度亩均效益评价方案" and not dialog.reset_button.isVisible()
    type_into(dialog, "below.tax_per_mu.weight", "100")
    type_into(dialog, "below.tax_per_electricity.weight", "0")
    type_into(dialog, "below.min_land", "2")
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    assert dialog.save_button.isEnabled(), dialog.summary.text()
    with qtbot.waitSignal(panel.changed, timeout=10_000), qtbot.waitSignal(panel.loaded, timeout=10_000):
        dialog.save_button.click()
    assert warnings == []
    assert panel.data is not None and panel.data.result is not None
    assert panel.data.result.scheme.source_label == f"{YEAR}年度方案"
    assert f"{YEAR}年度采用{YEAR}年度方案" in panel.method_note.text()
    assert "青田县油竹小五金加工厂" in list_names(panel)  # 2.5 亩 now takes part
    with ctx.sessions() as session:
        own = session.scalars(select(RuleSet).where(RuleSet.kind == "mujun", RuleSet.year == YEAR)).one()
        assert own.definition["groups"][1]["min_land"] == 2
        assert load_default_weight(session) == 50  # the default is untouched


def load_default_weight(session: Session) -> float:
    default = session.scalars(select(RuleSet).where(RuleSet.kind == "mujun", RuleSet.year.is_(None))).one()
    return float(default.definition["groups"][1]["indicators"][0]["weight"])


def test_bad_shares_are_refused_beside_the_field_and_nothing_is_saved(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int], warnings: list[str]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    dialog = open_dialog(qtbot, panel)
    type_into(dialog, "class.A.share", "80")
    type_into(dialog, "above.va_per_mu.reference", "0")
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    assert dialog.form.message("class.B.share") == "B 类的累计比例应大于 A 类的 80%"
    assert dialog.form.message("above.va_per_mu.reference") == "亩均增加值的固定基准值应大于 0（或留空）"
    assert not dialog.save_button.isEnabled()
    dialog.save()  # even forced, the service refuses
    qtbot.waitUntil(lambda: not dialog.is_saving())
    assert dialog.isVisible()
    with ctx.sessions() as session:
        assert session.scalars(select(RuleSet).where(RuleSet.year == YEAR)).first() is None


def test_a_scheme_saved_elsewhere_meanwhile_is_a_conflict(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int], warnings: list[str]
) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    dialog = open_dialog(qtbot, panel)
    with transaction(ctx.sessions) as session:  # another clerk gives the year its own scheme first
        definition = scheme_for_edit(session, YEAR).definition
        definition["cap"] = 2
        save_scheme(session, "张三", YEAR, definition, None)
    type_into(dialog, "cap", "4")
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(warnings))
    assert "已在别处被修改" in warnings[0] and dialog.isVisible()
    with ctx.sessions() as session:
        assert session.scalars(select(RuleSet).where(RuleSet.year == YEAR)).one().definition["cap"] == 2


def test_a_year_with_its_own_scheme_can_go_back_to_the_default(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int], warnings: list[str]
) -> None:
    with transaction(ctx.sessions) as session:
        definition = scheme_for_edit(session, YEAR).definition
        definition["ranking_scope"] = "city"
        save_scheme(session, "张三", YEAR, definition, None)
    panel = open_panel(qtbot, jobs, ctx)
    assert "全市统一分规模排名" in panel.method_note.text()
    dialog = open_dialog(qtbot, panel)
    assert dialog.reset_button.isVisible()
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        dialog.reset_button.click()
    assert "本单位内分规模排名" in panel.method_note.text() and not dialog.isVisible()


def test_a_broken_scheme_is_explained_and_can_be_corrected(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, example: dict[str, int], warnings: list[str]
) -> None:
    with transaction(ctx.sessions) as session:
        definition = scheme_for_edit(session, YEAR).definition
        definition["classes"][0]["share"] = "四分之一"  # typed into the database by hand
        session.add(RuleSet(kind="mujun", code="default", name="手改方案", year=YEAR, definition=definition))
    panel = open_panel(qtbot, jobs, ctx)
    assert "方案有误：A 类的比例应为数字" in panel.method_note.text() and panel.model.rowCount() == 0
    dialog = open_dialog(qtbot, panel)
    assert dialog.form.message("class.A.share").startswith("A 类 优先发展类应为数字")
    type_into(dialog, "class.A.share", "25")
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        dialog.save_button.click()
    assert len(list_names(panel)) == 8 and warnings == []


def test_a_county_sees_its_own_unit(qtbot: QtBot, jobs: JobRunner, county_ctx: AppContext) -> None:
    with transaction(county_ctx.sessions) as session:
        for name, spec in EXAMPLE.items():
            add_enterprise(session, name, *spec)
    panel = open_panel(qtbot, jobs, county_ctx)
    assert not panel.unit_combo.isVisible()
    assert [panel.distribution_model.text(row, 0) for row in range(panel.distribution_model.rowCount())] == ["青田县"]
    assert len(list_names(panel)) == 6 and all("缙云" not in name for name in list_names(panel))


def test_without_monitoring_data_the_panel_says_so(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> None:
    panel = open_panel(qtbot, jobs, ctx)
    assert panel.method_note.text() == NO_DATA
    assert not panel.scheme_button.isEnabled() and panel.model.rowCount() == 0


def test_the_summary_shows_class_scores_and_why_not(qtbot: QtBot, ctx: AppContext, example: dict[str, int]) -> None:
    summary = MujunSummary()
    qtbot.addWidget(summary)
    with ctx.sessions() as session:
        foundry = enterprise_mujun(session, example["青田阀门铸造有限公司"], YEAR)
        small = enterprise_mujun(session, example["青田县油竹小五金加工厂"], YEAR)
    summary.show_breakdown(foundry)
    assert summary.badge.text() == "B 类"
    assert "提升发展类" in summary.headline.text() and "122.00" in summary.headline.text()
    assert "青田县规上工业企业第 2 名，共 4 家" in summary.headline.text()
    energy = [summary.model.text(2, column) for column in range(6)]
    assert energy == ["单位能耗增加值（万元/吨标煤）", "20", "—", "1.60", "0.00", "缺数据：未填综合能耗"]
    assert summary.model.rowCount() == 6
    summary.show_breakdown(small)
    assert summary.badge.text() == "未参评" and "未参评</b>：用地 2.5 亩，不足 3 亩" in summary.headline.text()
    assert summary.view.isHidden()
    summary.show_breakdown(None)
    assert summary.headline.text().startswith("暂无亩均效益评价") and summary.badge.isHidden()
