"""培育管理: the 推荐名单 screened on the worker, the titles due for review, the criteria explanation with its gap
texts, and editing, copying and switching off rule sets through the 认定条件 tab."""

from __future__ import annotations

import datetime as dt
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.pages.cultivation import C_NAME, C_SCORE, C_VERDICT, R_STATE, TAB_REVIEW, TAB_RULES, CultivationPage
from ui.theme import TONE_COLOURS
from ui.widgets_criteria import COL_STATUS, COL_TEXT, BandsDialog, CriteriaExplanation, ThresholdDialog
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.criteria import get_rule_set, list_rule_sets
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise

_serial = count(1)

ENTERPRISE: dict[str, Any] = {
    "registered_on": dt.date(2015, 3, 1),
    "size_class": "小型",
    "employees": 80,
    "rd_staff": 10,
    "main_products": "阀门、管件",
    "own_trademark": True,
    "certifications": "ISO 9001",
    "rd_institution_level": "市级",
    "digital_level": "二级",
}
LATEST: dict[str, Any] = {
    "revenue": 1000.0,
    "main_revenue": 800.0,
    "net_profit": 50.0,
    "total_assets": 2000.0,
    "total_liabilities": 1100.0,
    "rd_expense": 30.0,
    "employees_avg": 80,
    "rd_staff": 10,
    "patents_invention": 1,
    "patents_utility": 3,
    "patents_design": 0,
    "software_copyrights": 0,
    "standards_led": 0,
}
PREVIOUS = {**LATEST, "revenue": 900.0, "main_revenue": 700.0, "rd_expense": 20.0}


def firm(session: Session, region: str, name: str, **latest: Any) -> int:
    n = next(_serial)
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", region, f"MA2E{n:04d}"), name=name, region_code=region, **ENTERPRISE
    )
    session.add(enterprise)
    session.flush()
    session.add(AnnualReport(enterprise_id=enterprise.id, year=2023, **{**LATEST, **latest}))
    session.add(AnnualReport(enterprise_id=enterprise.id, year=2022, **PREVIOUS))
    session.flush()
    return enterprise.id


class Answers:
    """Stand-ins for the message boxes and the save-file question."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.warnings: list[str] = []
        self.informed: list[str] = []
        self.save_path: str | None = None
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: self.informed.append(text))
        monkeypatch.setattr(prompts, "confirm", lambda *_args, **_kwargs: True)
        monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: self.save_path)


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return Answers(monkeypatch)


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    with transaction(ctx.sessions) as session:
        ids = {
            "ready": firm(session, "331121", "浙江青田瓯江阀门有限公司"),
            "weak": firm(session, "331121", "青田县船寮五金厂", rd_expense=0.0, main_revenue=400.0),
            "holder": firm(session, "331121", "青田县石门洞阀门有限公司"),
            "lapsed": firm(session, "331102", "丽水莲都精密机械有限公司"),
        }
        # Recognised this year: its title is far from due.
        this_year = dt.date.today().year
        session.add(Cultivation(enterprise_id=ids["holder"], program_code="CXX_SME", year=this_year, status="已认定"))
        # Recognised in May 2019: the three years ran out on 30 April 2022.
        session.add(
            Cultivation(
                enterprise_id=ids["lapsed"],
                program_code="ZJTX_SME",
                year=2019,
                entered_on=dt.date(2019, 5, 1),
                status="已认定",
            )
        )
    return ids


@pytest.fixture
def page(qtbot: QtBot, jobs: JobRunner, ctx: AppContext, firms: dict[str, int]) -> CultivationPage:
    widget = CultivationPage(jobs)
    qtbot.addWidget(widget)
    widget.resize(1190, 700)
    widget.set_context(ctx)
    widget.show()
    with qtbot.waitSignal(widget.candidates.screened, timeout=20_000):
        widget.activate()
    return widget


def double_click(view: QTableView, row: int) -> None:
    view.doubleClicked.emit(view.model().index(row, 0))


def test_candidates_are_listed_and_open_the_enterprise(
    qtbot: QtBot, page: CultivationPage, firms: dict[str, int]
) -> None:
    panel = page.candidates
    assert panel.rule_set_combo.currentText() == "创新型中小企业评价标准（2022）"
    assert panel.unit_combo.currentText() == "全部单位"
    model = panel.model
    # The holder of the title and the weak firm are not listed; the lapsed 专精特新 holds a higher tier.
    assert model.column_texts(C_NAME) == ["浙江青田瓯江阀门有限公司"]
    assert (model.text(0, C_VERDICT), model.text(0, C_SCORE)) == ("符合", "75")
    assert "符合 1 家" in panel.summary_label.text()
    assert model.data(model.index(0, C_VERDICT), Qt.ItemDataRole.ForegroundRole).color().name() == TONE_COLOURS["good"]
    with qtbot.waitSignal(page.open_enterprise) as opened:
        double_click(panel.table, 0)
    assert opened.args == [firms["ready"]]


def test_screening_one_unit_with_the_incomplete_ones(qtbot: QtBot, page: CultivationPage, ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        partial = firm(session, "331121", "青田县缺数泵业有限公司", total_liabilities=None)
        session.query(AnnualReport).filter_by(enterprise_id=partial, year=2022).delete()
    panel = page.candidates
    with qtbot.waitSignal(panel.screened, timeout=20_000):
        panel.unit_combo.setCurrentIndex(panel.unit_combo.findData("331102"))
    assert panel.model.rowCount() == 0
    assert "没有符合条件的企业" in panel.summary_label.text()
    with qtbot.waitSignal(panel.screened, timeout=20_000):
        panel.unit_combo.setCurrentIndex(panel.unit_combo.findData("331121"))
    with qtbot.waitSignal(panel.screened, timeout=20_000):
        panel.incomplete_box.setChecked(True)
    assert panel.model.column_texts(C_VERDICT) == ["符合", "数据不全"]
    assert panel.model.text(1, C_NAME) == "青田县缺数泵业有限公司"


def test_the_list_exports_to_excel(qtbot: QtBot, page: CultivationPage, answers: Answers, tmp_path: Path) -> None:
    answers.save_path = str(tmp_path / "推荐名单")
    page.candidates.export()
    qtbot.waitUntil(lambda: bool(answers.informed), timeout=10_000)
    sheet = load_workbook(tmp_path / "推荐名单.xlsx").active
    assert sheet is not None
    assert str(sheet["A1"].value).startswith("推荐名单：创新型中小企业评价标准（2022）（全部单位，2023年度数据）")
    assert [cell.value for cell in sheet[4]][:6] == [
        1,
        "浙江青田瓯江阀门有限公司",
        sheet["C4"].value,
        "青田县",
        "符合",
        75,
    ]
    assert sheet["C4"].data_type == "s" and len(str(sheet["C4"].value)) == 18


def test_review_lists_the_expired_title(qtbot: QtBot, page: CultivationPage, firms: dict[str, int]) -> None:
    page.show_tab(TAB_REVIEW)
    review = page.review
    names = review.model.column_texts(0)
    assert "丽水莲都精密机械有限公司" in names
    row = names.index("丽水莲都精密机械有限公司")
    assert review.model.text(row, 2) == "专精特新中小企业"
    assert review.model.text(row, 4) == "2022-04-30"
    assert review.model.text(row, R_STATE).startswith("已过期（")
    assert (
        review.model.data(review.model.index(row, R_STATE), Qt.ItemDataRole.ForegroundRole).color().name()
        == (TONE_COLOURS["bad"])
    )
    assert review.summary_label.text() == "需复核的称号 1 项：已过期 1 项，半年内到期 0 项"
    review.filter_combo.setCurrentIndex(2)  # 即将到期 only
    assert "丽水莲都精密机械有限公司" not in review.model.column_texts(0)
    review.filter_combo.setCurrentIndex(0)
    with qtbot.waitSignal(page.open_enterprise) as opened:
        double_click(review.table, row)
    assert opened.args == [firms["lapsed"]]


def test_the_explanation_shows_the_gap_text(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        enterprise_id = firm(session, "331121", "浙江青田瓯江阀门有限公司", rd_expense=21.0)
        session.add(Cultivation(enterprise_id=enterprise_id, program_code="CXX_SME", year=2022, status="已认定"))
    widget = CriteriaExplanation(jobs)
    qtbot.addWidget(widget)
    widget.resize(1000, 620)
    widget.set_context(ctx)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show_enterprise(enterprise_id)
    # It holds 创新型: the next tier, 专精特新中小企业, is checked first.
    assert widget.rule_set_combo.currentText() == "专精特新中小企业认定标准（2022）"
    assert widget.verdict_label.text().startswith("不符合：研发费用 21万元，要求 ≥ 100万元，差 79万元")
    texts = widget.model.column_texts(COL_TEXT)
    row = texts.index("研发费用占比 2.1%，要求 ≥ 3%，差 0.9 个百分点")
    assert widget.model.text(row, COL_STATUS) == "未通过"
    colour = widget.model.data(widget.model.index(row, COL_STATUS), Qt.ItemDataRole.ForegroundRole).color().name()
    assert colour == TONE_COLOURS["bad"]
    assert "缺少数据" in widget.model.column_texts(COL_STATUS)
    assert "系统未记录、需人工核实：" in widget.missing_label.text()
    # Another rule set, picked by the clerk, is checked on the worker.
    with ctx.sessions() as session:
        innovative = get_rule_set(session, "CXX_SME").id
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        assert widget.select_rule_set(innovative)
    assert widget.result is not None and widget.result.code == "CXX_SME"
    assert "评价得分" in widget.groups_label.text()


def test_editing_a_threshold_through_the_rules_tab(qtbot: QtBot, page: CultivationPage, ctx: AppContext) -> None:
    page.show_tab(TAB_RULES)
    rules = page.rules
    assert rules.select_rule_set("ZJTX_SME")
    assert rules.select_rule("上年度研发费用占营业收入比重 3% 以上")
    assert rules.edit_button.isEnabled()
    assert "取数方式：评价年度研发费用 ÷ 营业收入" in rules.rule_detail.text()
    dialog = rules.edit_selected()
    assert isinstance(dialog, ThresholdDialog)
    assert dialog.value_spin is not None
    dialog.value_spin.setValue(2.5)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        dialog.accept()
    with ctx.sessions() as session:
        info = get_rule_set(session, "ZJTX_SME")
    assert info.version == 2
    assert info.definition["requirements"][4]["threshold"] == {"op": ">=", "value": 2.5}
    # The table shows the new threshold, the rule set stays selected.
    assert rules.selected_rule_set() is not None and rules.selected_rule_set().code == "ZJTX_SME"  # type: ignore[union-attr]
    assert "≥ 2.5%" in rules.rules_model.column_texts(2)


def test_overlapping_bands_cannot_be_saved(qtbot: QtBot, page: CultivationPage, ctx: AppContext) -> None:
    page.show_tab(TAB_RULES)
    rules = page.rules
    assert rules.select_rule_set("CXX_SME")
    assert rules.select_rule("上年度研发费用总额占营业收入总额比重")
    dialog = rules.edit_selected()
    assert isinstance(dialog, BandsDialog)
    assert [dialog.table.item(row, 3).text() for row in range(5)] == ["< 1%", "1%–2%", "2%–3%", "3%–5%", "≥ 5%"]  # type: ignore[union-attr]
    dialog.set_cell(2, 0, "1.5")
    assert not dialog.save_button.isEnabled()
    assert "第3档：下限 1.5 小于上一档上限 2，档位重叠" in dialog.problems.text()
    dialog.set_cell(2, 0, "2")
    dialog.set_cell(3, 2, "18")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        dialog.accept()
    with ctx.sessions() as session:
        assert get_rule_set(session, "CXX_SME").definition["groups"][0]["rules"][1]["bands"][3]["points"] == 18
    # The list on the 推荐名单 tab is screened again with the new points: 75 → 78.
    qtbot.waitUntil(lambda: page.candidates.model.rowCount() == 1 and page.candidates.model.text(0, C_SCORE) == "78")


def test_copying_a_rule_set_for_a_new_year(qtbot: QtBot, page: CultivationPage, ctx: AppContext) -> None:
    page.show_tab(TAB_RULES)
    rules = page.rules
    assert rules.select_rule_set("XJR")
    dialog = rules.copy_selected()
    assert dialog is not None
    assert dialog.form.values()["name"] == "专精特新“小巨人”企业认定标准（2023）"
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    dialog.form.editor("year").set_value(2022)
    dialog.validate_now()
    qtbot.waitUntil(lambda: "已有代码为 XJR、年份为 2022 的规则集" in dialog.form.message("code"))
    assert not dialog.save_button.isEnabled()
    dialog.form.editor("year").set_value(2025)
    dialog.form.editor("name").set_value("专精特新“小巨人”企业认定标准（2025）")
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        dialog.save_button.click()
    with ctx.sessions() as session:
        assert [info.year for info in list_rule_sets(session) if info.code == "XJR"] == [2025, 2022]
    assert "专精特新“小巨人”企业认定标准（2025）" in rules.sets_model.column_texts(0)


def test_a_county_sees_the_rules_but_cannot_change_them(
    qtbot: QtBot, jobs: JobRunner, county_ctx: AppContext, firms: dict[str, int]
) -> None:
    widget = CultivationPage(jobs)
    qtbot.addWidget(widget)
    widget.set_context(county_ctx)
    with qtbot.waitSignal(widget.candidates.screened, timeout=20_000):
        widget.activate()
    assert [widget.candidates.unit_combo.itemText(i) for i in range(widget.candidates.unit_combo.count())] == ["青田县"]
    assert widget.candidates.model.column_texts(C_NAME) == ["浙江青田瓯江阀门有限公司"]
    # 青田's installation does not see 莲都's lapsed title.
    assert "丽水莲都精密机械有限公司" not in widget.review.model.column_texts(0)
    rules = widget.rules
    assert rules.select_rule_set("ZJTX_SME") and rules.select_rule("属于中小企业")
    assert not rules.edit_button.isEnabled() and not rules.copy_button.isEnabled()
    assert rules.edit_selected() is None
    assert "只能查看" in rules.intro.text()
