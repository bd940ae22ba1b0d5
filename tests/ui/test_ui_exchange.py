"""数据交换: a county list previewed and imported, rows with errors, the error list, cancelling a check, undo,
conflicts, packages, exports and re-imports, and a file that is not a workbook — as a clerk sees them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from tests.corpus import COUNTY_ROWS, county_list
from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.models.import_preview import COL_ACTION, COL_CODE, COL_NOTE, COL_SUBJECT
from ui.pages import exchange_export
from ui.pages.exchange import ExchangePage
from ui.pages.exchange_import import CANCELLED_TEXT, ImportPanel
from ui.pages.targets import TargetsPage
from ui.widgets import Page
from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.exchange.importer import commit_plan, plan_import
from zjtx_desktop.models import AuditEntry, Enterprise, ImportBatch, Program
from zjtx_desktop.registry import get_enterprise, update_enterprise

LIANDU = "91331102MA2A0B1C4R"  # 丽水市宏达精密机械有限公司 in the county list


class Answers:
    """Stand-ins for the file dialogs and message boxes: answers given in advance, questions recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open_path: str | None = None
        self.save_path: str | None = None
        self.confirm_answer = True
        self.asked: list[str] = []
        self.notices: list[str] = []
        self.warnings: list[str] = []
        self.opened_folders: list[str] = []
        monkeypatch.setattr(prompts, "choose_open_path", lambda *_args: self.open_path)
        monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: self.save_path)
        monkeypatch.setattr(prompts, "confirm", self.confirm)
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: self.notices.append(text))
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(exchange_export, "open_folder", self.opened_folders.append)

    def confirm(self, _parent: Any, _title: str, text: str, **_buttons: str) -> bool:
        self.asked.append(text)
        return self.confirm_answer


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Every test answers the dialogs: a real one would wait forever offscreen."""
    return Answers(monkeypatch)


@pytest.fixture
def open_page(
    qtbot: QtBot, jobs: JobRunner, wait_loaded: Callable[[Page], Page]
) -> Callable[[AppContext], ExchangePage]:
    """The page on its own, as the main window will hold it, loaded."""

    def build(ctx: AppContext) -> ExchangePage:
        page = ExchangePage(jobs)
        qtbot.addWidget(page)
        page.resize(1190, 690)
        page.set_context(ctx)
        page.show()
        page.activate()
        wait_loaded(page)
        return page

    return build


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(qtbot: QtBot, answers: Answers, panel: ImportPanel, path: Path) -> None:
    """Choose a file in the 导入 tab and wait until it has been checked (preview) or refused (start)."""
    answers.open_path = str(path)
    click(qtbot, panel.choose_button if panel.views.currentWidget() is panel.start_view else panel.again_button)
    qtbot.waitUntil(lambda: panel.views.currentWidget() in (panel.preview_view, panel.start_view), timeout=15_000)


def commit(qtbot: QtBot, panel: ImportPanel) -> None:
    click(qtbot, panel.import_button)
    qtbot.waitUntil(lambda: panel.views.currentWidget() is not panel.working_view, timeout=15_000)
    assert panel.views.currentWidget() is panel.receipt_view, panel.start_message.text()


def enterprises(ctx: AppContext) -> dict[str, str]:
    with ctx.sessions() as session:
        return {code: unit for code, unit in session.execute(select(Enterprise.uscc, Enterprise.region_code))}


def batch_count(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(ImportBatch)) or 0


def import_directly(ctx: AppContext, path: Path) -> None:
    with transaction(ctx.sessions) as session:
        commit_plan(session, "张科员", plan_import(session, path))


def workbook_file(path: Path, sheet_name: str, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_name
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_a_county_list_is_previewed_then_imported_with_a_receipt(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    page = open_page(ctx)
    panel = page.import_panel
    choose(qtbot, answers, panel, county_list(tmp_path / "2023年名单.xlsx"))
    assert panel.views.currentWidget() is panel.preview_view
    counts = panel.counts()
    assert [counts[action] for action in ("all", "new", "skipped", "error")] == ["全部 9", "新增 6", "跳过 3", "错误 0"]
    assert not panel.filter_buttons["update"].isEnabled() and not panel.conflict_bar.isVisible()
    rows = panel.visible_rows()
    assert [row[COL_ACTION] for row in rows] == ["新增"] * 6 + ["跳过"] * 3
    # Full-width text, a lower-case code and a trailing space come out cleaned.
    assert rows[1][COL_SUBJECT] == "浙江龙泉三鑫汽车空调部件有限公司" and rows[1][COL_CODE] == "91331181MA2A0B1C47"
    assert [row[COL_NOTE] for row in rows[6:]] == ["合计行", "表尾说明", "表尾说明"]
    panel.rows_view.setCurrentIndex(panel.rows_model.index(1, 0))
    detail = {panel.value_model.text(r, 0): panel.value_model.text(r, 1) for r in range(panel.value_model.rowCount())}
    assert (detail["所属单位"], detail["成立日期"], detail["注册资本"]) == ("龙泉市", "2010-06-15", "1200.5 万元")
    panel.set_filter("skipped")
    assert panel.visible_rows()[0][COL_SUBJECT] == "合计"
    assert panel.import_button.isEnabled() and panel.status_label.text() == "将新增 6 行。"
    assert enterprises(ctx) == {}  # the preview wrote nothing

    commit(qtbot, panel)
    assert panel.receipt_fact("文件") == "2023年名单.xlsx"
    assert panel.receipt_fact("结果").startswith("新增 6，更新 0，不变 0，跳过 3")
    assert len(panel.receipt_fact("文件校验（SHA-256）")) == 64 and panel.receipt_fact("操作人") == ctx.actor
    stored = enterprises(ctx)
    assert len(stored) == len(COUNTY_ROWS) and stored["91331181MA2A0B1C47"] == "331181"
    qtbot.waitUntil(lambda: len(page.history_panel.batches()) == 1)
    [batch] = page.history_panel.batches()
    assert (batch.file_name, batch.created, batch.undone, batch.actor) == ("2023年名单.xlsx", 6, "", ctx.actor)
    click(qtbot, panel.history_button)
    assert page.tabs.currentWidget() is page.history_panel


def test_rows_with_errors_block_the_import_until_only_valid_rows_are_chosen(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    good = uscc.make("9", "1", "331102", "MA2D0001")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")  # a wrong check character
    other = uscc.make("9", "1", "331102", "MA2D0002")
    path = workbook_file(
        tmp_path / "名单.xlsx",
        "企业信息",
        [
            ["企业名称", "统一社会信用代码", "所属单位", "成立日期"],
            ["丽水甲公司", good, "莲都区", "2015-06-01"],
            ["丽水乙公司", bad, "莲都区", "2016-07-01"],
            ["丽水丙公司", other, "莲都区", "2017年8月1日"],
        ],
    )
    page = open_page(ctx)
    panel = page.import_panel
    choose(qtbot, answers, panel, path)
    assert panel.counts()["error"] == "错误 1" and panel.counts()["new"] == "新增 2"
    assert not panel.import_button.isEnabled()
    assert "有 1 行错误" in panel.status_label.text()
    panel.set_filter("error")
    [line] = panel.visible_rows()
    assert line[:4] == ["企业信息", "3", "B", bad] and "校验" in line[4]
    assert panel.detail_title.text() == "企业信息　第 3 行　错误"

    answers.save_path = str(tmp_path / "名单_错误清单.xlsx")
    click(qtbot, panel.export_errors_button)
    qtbot.waitUntil(lambda: bool(answers.notices))
    assert "已导出 1 行" in answers.notices[0]
    sheet = load_workbook(answers.save_path)["企业信息"]
    assert sheet.cell(1, 5).value == "错误说明" and sheet.cell(2, 2).value == bad and "校验" in sheet.cell(2, 5).value

    click(qtbot, panel.skip_invalid)
    assert panel.import_button.isEnabled() and panel.status_label.text() == "将新增 2 行；1 行错误不导入。"
    commit(qtbot, panel)
    assert panel.receipt_fact("结果").endswith("未导入（有错误）1")
    assert set(enterprises(ctx)) == {good, other}


def test_cancelling_the_check_of_a_big_file_writes_nothing(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    lines = ["企业名称,统一社会信用代码,所属单位,注册资本(万元)"]
    lines += [f"丽水测试企业{n}有限公司,{uscc.make('9', '1', '331102', f'{n:08d}')},莲都区,{n}" for n in range(60_000)]
    path = tmp_path / "大名单.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    page = open_page(ctx)
    panel = page.import_panel
    answers.open_path = str(path)
    click(qtbot, panel.choose_button)
    job = panel.plan_job
    assert job is not None and panel.views.currentWidget() is panel.working_view
    click(qtbot, panel.progress.cancel_button)  # while the worker is still reading the file
    assert panel.progress.label.text() == "正在取消…"
    qtbot.waitUntil(lambda: panel.views.currentWidget() is panel.start_view, timeout=30_000)
    assert job.control.cancelled and panel.preview is None
    assert panel.start_message.text() == CANCELLED_TEXT
    assert enterprises(ctx) == {} and batch_count(ctx) == 0
    click(qtbot, panel.retry_button)  # the same file can be checked again
    qtbot.waitUntil(lambda: panel.views.currentWidget() is panel.working_view)
    click(qtbot, panel.progress.cancel_button)
    qtbot.waitUntil(lambda: panel.views.currentWidget() is panel.start_view, timeout=30_000)


def test_an_import_is_undone_from_the_list_and_a_touched_one_is_refused(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    page = open_page(ctx)
    panel, history = page.import_panel, page.history_panel
    choose(qtbot, answers, panel, county_list(tmp_path / "第一批.xlsx"))
    commit(qtbot, panel)
    qtbot.waitUntil(lambda: len(history.batches()) == 1)
    page.tabs.setCurrentWidget(history)
    click(qtbot, history.undo_button)
    assert "新增的 6 条记录" in answers.asked[0]
    qtbot.waitUntil(lambda: bool(answers.notices))
    assert enterprises(ctx) == {}
    qtbot.waitUntil(lambda: history.batches()[0].undone != "")
    assert history.model.text(0, 8).startswith("已撤销") and not history.undo_button.isEnabled()

    # A second import, then someone corrects one of its enterprises: undoing would lose that correction.
    page.tabs.setCurrentWidget(panel)
    choose(qtbot, answers, panel, county_list(tmp_path / "第二批.xlsx"))
    commit(qtbot, panel)
    with transaction(ctx.sessions) as session:
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.uscc == LIANDU))
        assert enterprise_id is not None
        record = get_enterprise(session, enterprise_id)
        update_enterprise(session, "李科员", enterprise_id, record.version, {"contact_person": "王经理"})
    qtbot.waitUntil(lambda: len(history.batches()) == 2)
    page.tabs.setCurrentWidget(history)
    selected = history.selected()  # the newest import is the one selected
    assert selected is not None and selected.file_name == "第二批.xlsx"
    click(qtbot, history.undo_button)
    qtbot.waitUntil(lambda: bool(answers.warnings))
    assert "不能撤销" in answers.warnings[0]
    assert len(enterprises(ctx)) == len(COUNTY_ROWS)


def test_a_database_changed_after_the_preview_makes_the_import_write_nothing(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    path = county_list(tmp_path / "名单.xlsx")
    page = open_page(ctx)
    panel = page.import_panel
    choose(qtbot, answers, panel, path)
    assert panel.counts()["new"] == "新增 6"
    import_directly(ctx, path)  # meanwhile the same list is imported elsewhere (the command line)
    click(qtbot, panel.import_button)
    qtbot.waitUntil(lambda: panel.views.currentWidget() is panel.start_view, timeout=15_000)
    assert panel.start_message.text().startswith("导入未完成，数据库未作任何更改：预览之后")
    assert batch_count(ctx) == 1  # only the other import
    click(qtbot, panel.retry_button)  # checked again, the list is now all 不变
    qtbot.waitUntil(lambda: panel.views.currentWidget() is panel.preview_view, timeout=15_000)
    assert panel.counts()["unchanged"] == "不变 6"


def test_a_conflict_is_kept_unless_the_clerk_takes_the_file(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    import_directly(ctx, county_list(tmp_path / "名单.xlsx"))
    moved = workbook_file(
        tmp_path / "龙泉报送.xlsx",
        "企业信息",
        [["企业名称", "统一社会信用代码", "所属单位"], ["丽水市宏达精密机械有限公司", LIANDU, "龙泉市"]],
    )
    page = open_page(ctx)
    panel = page.import_panel
    choose(qtbot, answers, panel, moved)
    assert panel.counts()["conflict"] == "冲突 1" and panel.conflict_bar.isVisible()
    [row] = panel.visible_rows()
    assert row[COL_ACTION] == "冲突·保留本机" and "同一企业来自不同单位" in row[COL_NOTE]
    assert panel.keep_radio.isChecked() and panel.keep_radio.isVisible()
    changes = [[panel.change_model.text(0, c) for c in range(3)]]
    assert changes == [["所属单位", "莲都区", "龙泉市"]]
    assert not panel.import_button.isEnabled()  # keeping everything leaves nothing to write

    click(qtbot, panel.take_radio)
    assert panel.visible_rows()[0][COL_ACTION] == "冲突·采用导入"
    assert panel.status_label.text() == "将采用导入 1 行冲突数据。"
    commit(qtbot, panel)
    assert enterprises(ctx)[LIANDU] == "331181"


def test_exported_enterprises_are_reimported_unchanged(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    import_directly(ctx, county_list(tmp_path / "名单.xlsx"))
    page = open_page(ctx)
    export = page.export_panel
    page.tabs.setCurrentWidget(export)
    export.select("enterprises")
    assert not export.year_combo.isEnabled()  # an enterprise's year only means something with a program
    answers.save_path = str(tmp_path / "企业信息")
    click(qtbot, export.export_button)
    qtbot.waitUntil(lambda: export.result_box.isVisible(), timeout=15_000)
    written = tmp_path / "企业信息.xlsx"
    assert export.result_label.text().startswith("已导出 企业信息 6 行。") and written.exists()
    click(qtbot, export.open_folder_button)
    assert answers.opened_folders == [str(written)]
    with ctx.sessions() as session:
        assert session.scalar(select(AuditEntry.entity).where(AuditEntry.action == "export")) == "enterprises"

    page.tabs.setCurrentWidget(page.import_panel)
    choose(qtbot, answers, page.import_panel, written)
    panel = page.import_panel
    assert panel.counts()["unchanged"] == "不变 6" and panel.counts()["new"] == "新增 0"
    assert {row[COL_ACTION] for row in panel.visible_rows()} == {"不变"}
    assert not panel.import_button.isEnabled() and "没有需要写入" in panel.status_label.text()
    click(qtbot, panel.discard_button)
    assert panel.views.currentWidget() is panel.start_view and batch_count(ctx) == 1


def test_a_package_edited_after_export_is_flagged_with_its_origin(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    import_directly(ctx, county_list(tmp_path / "名单.xlsx"))
    page = open_page(ctx)
    export = page.export_panel
    page.tabs.setCurrentWidget(export)
    export.select("package", unit="331121")
    assert not export.year_combo.isEnabled() and not export.program_combo.isEnabled()
    answers.save_path = str(tmp_path / "青田县报送包.xlsx")
    click(qtbot, export.export_button)
    qtbot.waitUntil(lambda: export.result_box.isVisible(), timeout=15_000)
    assert export.result_label.text().startswith("已导出报送包（企业信息 1 行")
    workbook = load_workbook(answers.save_path)
    workbook["企业信息"].cell(3, 1).value = "青田县瓯江阀门股份有限公司"  # "corrected" after the export
    edited = tmp_path / "青田县报送包（改过）.xlsx"
    workbook.save(edited)

    page.tabs.setCurrentWidget(page.import_panel)
    choose(qtbot, answers, page.import_panel, edited)
    panel = page.import_panel
    assert panel.warning_label.isVisible() and "被修改过" in panel.warning_label.text()
    assert panel.package_label.text().startswith("报送包：青田县（331121）") and ctx.actor in panel.package_label.text()
    assert panel.counts()["update"] == "更新 1"
    changed = [panel.change_model.text(0, column) for column in range(3)]
    assert changed == ["企业名称", "QT青田县瓯江阀门有限公司", "青田县瓯江阀门股份有限公司"]


def test_a_county_installation_imports_and_exports_its_own_unit_only(
    qtbot: QtBot,
    open_page: Callable[[AppContext], ExchangePage],
    county_ctx: AppContext,
    answers: Answers,
    tmp_path: Path,
) -> None:
    page = open_page(county_ctx)
    assert "青田县（县级）" in page.subtitle_label.text()
    assert not page.export_panel.unit_combo.isEnabled() and page.export_panel.unit_combo.currentText() == "青田县"
    choose(qtbot, answers, page.import_panel, county_list(tmp_path / "名单.xlsx"))
    counts = page.import_panel.counts()
    assert (counts["new"], counts["error"]) == ("新增 1", "错误 5")
    page.import_panel.set_filter("error")
    assert all("不属于本单位" in row[4] for row in page.import_panel.visible_rows())


def test_a_text_file_named_xlsx_is_refused_with_the_reason(
    qtbot: QtBot, open_page: Callable[[AppContext], ExchangePage], ctx: AppContext, answers: Answers, tmp_path: Path
) -> None:
    fake = tmp_path / "名单.xlsx"
    fake.write_text("这只是一段文字，不是表格。", encoding="utf-8")
    page = open_page(ctx)
    panel = page.import_panel
    choose(qtbot, answers, panel, fake)
    assert panel.views.currentWidget() is panel.start_view and panel.start_message.isVisible()
    assert panel.start_message.text().startswith("无法导入“名单.xlsx”：")
    assert "不是 Excel 工作簿" in panel.start_message.text()
    assert enterprises(ctx) == {} and batch_count(ctx) == 0


def test_other_pages_show_imported_data_when_next_visited(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    jobs: JobRunner,
    ctx: AppContext,
    answers: Answers,
    wait_loaded: Callable[[Page], Page],
    tmp_path: Path,
) -> None:
    window = make_window(ctx)
    window.show()
    targets = wait_loaded(window.show_page("targets"))
    assert isinstance(targets, TargetsPage)

    def unit_targets() -> int:
        data = targets.editor.data
        return sum(len(plan.units) for plan in data.plans) if data is not None else 0

    assert unit_targets() == 37
    page = ExchangePage(jobs)
    page.set_context(ctx)
    window.stack.addWidget(page)  # where the main window will keep it
    window.stack.setCurrentWidget(page)
    page.activate()
    wait_loaded(page)
    with ctx.sessions() as session:
        program = session.scalars(select(Program.name).order_by(Program.sort_order)).first()
    path = workbook_file(
        tmp_path / "目标.xlsx",
        "目标任务",
        [["所属单位", "培育层级", "起始年份", "截止年份", "目标数(家)"], ["莲都区", program, 2031, 2035, 12]],
    )
    choose(qtbot, answers, page.import_panel, path)
    assert page.import_panel.counts()["new"] == "新增 1"
    commit(qtbot, page.import_panel)
    window.show_page("dashboard")  # the navigation still points at 目标任务: go there again, as a clerk would
    assert window.show_page("targets") is targets
    qtbot.waitUntil(lambda: unit_targets() == 38)
