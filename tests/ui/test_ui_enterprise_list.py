"""企业库 over a few thousand demo enterprises: lazy rows, filters, sorting, columns, saved filters, export."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.models.enterprise_model import BLOCK_SIZE, COL_NAME, COLUMN_KEYS, PLACEHOLDER
from ui.pages.enterprises import FIRST_SCREEN, EnterprisesPage
from ui.widgets import Page
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.enterprise_query import EnterpriseFilter, search_ids
from zjtx_desktop.principal import Principal

DEMO_COUNT = 3000

# The list is measured on a demo SQLite file copied per test (its own db_path); core tests cover servers.
pytestmark = pytest.mark.sqlite_file


@pytest.fixture(scope="session")
def demo_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with 3,000 demo enterprises, made once per run."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(template_db, path)
    ctx = open_database(resolve_location(str(path)))
    try:
        with transaction(ctx.sessions) as session:
            generate_demo(session, DEMO_COUNT, 1)
    finally:
        ctx.close()
    return path


@pytest.fixture
def db_path(demo_template: Path, tmp_path: Path) -> Path:
    """Every test of this module starts from its own copy of the demo database."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture(autouse=True)
def no_real_prompts(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Answers for the prompts; a real message box would wait forever offscreen."""
    answers: dict[str, Any] = {"text": None, "path": None, "notices": [], "warnings": []}
    monkeypatch.setattr(prompts, "confirm", lambda *_args, **_kwargs: True)
    monkeypatch.setattr(prompts, "ask_text", lambda *_args, **_kwargs: answers["text"])
    monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: answers["path"])
    monkeypatch.setattr(prompts, "inform", lambda _p, _t, text: answers["notices"].append(text))
    monkeypatch.setattr(prompts, "warn", lambda _p, _t, text: answers["warnings"].append(text))
    return answers


@pytest.fixture
def page(
    qtbot: QtBot, make_window: Callable[..., MainWindow], ctx: AppContext, wait_loaded: Callable[[Page], Page]
) -> EnterprisesPage:
    window = make_window(ctx)
    window.show()
    shown = window.show_page("enterprises")
    assert isinstance(shown, EnterprisesPage)
    wait_loaded(shown)
    qtbot.waitUntil(lambda: not shown.is_counting())
    return shown


def expected_count(ctx: AppContext, **criteria: Any) -> int:
    with ctx.sessions() as session:
        return len(search_ids(session, EnterpriseFilter(**criteria)))


def settle(qtbot: QtBot, page: EnterprisesPage) -> None:
    qtbot.waitUntil(lambda: not page.is_counting())


def test_thousands_of_enterprises_open_and_scroll(qtbot: QtBot, page: EnterprisesPage) -> None:
    model = page.model
    assert page.count == DEMO_COUNT and model.rowCount() == DEMO_COUNT
    assert page.count_label.text() == f"共 {DEMO_COUNT} 家企业"
    # The first screenful came with the ids; rows far down are fetched when asked for, in blocks.
    assert model.is_fetched(0) and model.is_fetched(FIRST_SCREEN - 1)
    far = DEMO_COUNT - 100
    assert not model.is_fetched(far)
    assert model.index(far, COL_NAME).data() == PLACEHOLDER
    qtbot.waitUntil(lambda: model.is_fetched(far))
    name = model.index(far, COL_NAME).data()
    assert name and name != PLACEHOLDER and ("公司" in name or "厂" in name)
    assert model.is_fetched(far - far % BLOCK_SIZE) and not model.is_fetched(FIRST_SCREEN + 1)
    # Scrolling to the end shows real rows there.
    page.table.scrollToBottom()
    last = DEMO_COUNT - 1
    qtbot.waitUntil(lambda: model.is_fetched(last) and not model.is_busy())
    assert model.index(last, COL_NAME).data() not in (None, PLACEHOLDER)


def test_filters_narrow_the_count(qtbot: QtBot, page: EnterprisesPage, ctx: AppContext) -> None:
    page.scale_combo.setCurrentIndex(page.scale_combo.findData("规上"))
    settle(qtbot, page)
    above = expected_count(ctx, scale_type="规上")
    assert 0 < above < DEMO_COUNT and page.count == above == page.model.rowCount()
    page.unit_combo.setCurrentIndex(page.unit_combo.findData("331121"))
    settle(qtbot, page)
    both = expected_count(ctx, scale_type="规上", unit_codes=("331121",))
    assert 0 < both < above and page.count == both
    assert page.count_label.text() == f"共 {both} 家企业"
    rows = [page.model.row_at(row) for row in range(min(both, FIRST_SCREEN))]
    assert {row.unit for row in rows if row} == {"青田县"}

    page.clear_filters()
    page.status_combo.setCurrentIndex(page.status_combo.findData("未入库"))
    settle(qtbot, page)
    assert page.count == expected_count(ctx, status="未入库")
    page.open_help_check.setChecked(True)
    settle(qtbot, page)
    assert page.count == expected_count(ctx, status="未入库", open_help=True)
    page.clear_filters()
    settle(qtbot, page)
    assert page.count == DEMO_COUNT


def test_search_as_you_type_drops_stale_answers(qtbot: QtBot, page: EnterprisesPage, ctx: AppContext) -> None:
    for text in ("丽", "丽水", "l", "ls", "lsj", "lsjm"):
        page.search_box.setText(text)
        page.search()  # every keystroke searched at once, none waited for
    settle(qtbot, page)
    assert page.count == expected_count(ctx, text="lsjm") == page.model.rowCount()
    # A late answer to an earlier keystroke changes nothing.
    page._show_all(page._generation - 1, [1, 2, 3])
    assert page.count == expected_count(ctx, text="lsjm")


def test_keyboard_find_focuses_the_search(qtbot: QtBot, page: EnterprisesPage) -> None:
    window = page.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search_box.hasFocus()
    qtbot.keyClick(page.search_box, Qt.Key.Key_Down)
    assert page.table.hasFocus() and page.current_id() == page.model.id_at(0)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert page.form_dialog is not None and page.form_dialog.isVisible() and page.form_dialog.is_new
    page.form_dialog.reject()


def test_sorting_on_the_database_where_a_column_allows(qtbot: QtBot, page: EnterprisesPage, ctx: AppContext) -> None:
    header = page.table.horizontalHeader()
    uscc_column = COLUMN_KEYS.index("uscc")
    header.sectionClicked.emit(uscc_column)
    settle(qtbot, page)
    with ctx.sessions() as session:
        expected = search_ids(session, EnterpriseFilter(sort="uscc"), limit=5)
    assert page.sort_key == "uscc" and not page.sort_descending
    assert page.model.ids()[:5] == expected
    header.sectionClicked.emit(uscc_column)  # again: the other way round
    settle(qtbot, page)
    assert page.sort_descending and page.model.ids()[0] == expected_last(ctx, "uscc")
    # 培育层级 is computed per row: it cannot be sorted, and the indicator stays where it was.
    program_column = COLUMN_KEYS.index("program")
    assert page.model.headerData(program_column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).endswith(
        "此列不能排序"
    )
    assert not page.sort_by(program_column)
    assert header.sortIndicatorSection() == uscc_column and page.sort_key == "uscc"


def expected_last(ctx: AppContext, key: str) -> int:
    with ctx.sessions() as session:
        return search_ids(session, EnterpriseFilter(sort=key, descending=True), limit=1)[0]


def test_column_chooser_and_remembered_layout(qtbot: QtBot, page: EnterprisesPage, jobs: JobRunner) -> None:
    menu = page.column_menu()
    actions = {action.text(): action for action in menu.actions() if action.isCheckable()}
    assert not actions["企业名称"].isEnabled()  # the name always shows
    assert "删除时间" not in actions  # only the 回收站 shows it
    assert actions["统一社会信用代码"].isChecked() and not actions["联系电话"].isChecked()
    actions["统一社会信用代码"].trigger()
    actions["联系电话"].trigger()
    assert not page.is_column_visible("uscc") and page.is_column_visible("phone")
    page.table.horizontalHeader().resizeSection(COLUMN_KEYS.index("industry"), 321)
    page.sort_by(COLUMN_KEYS.index("unit"))
    page.save_layout()

    again = EnterprisesPage(jobs)
    qtbot.addWidget(again)
    assert not again.is_column_visible("uscc") and again.is_column_visible("phone")
    assert again.table.horizontalHeader().sectionSize(COLUMN_KEYS.index("industry")) == 321
    assert again.sort_key == "name"  # the layout is remembered, the sort is not

    again.reset_layout()
    assert again.is_column_visible("uscc") and not again.is_column_visible("phone")


def test_saved_filters(qtbot: QtBot, page: EnterprisesPage, ctx: AppContext, no_real_prompts: dict[str, Any]) -> None:
    page.scale_combo.setCurrentIndex(page.scale_combo.findData("规上"))
    page.program_combo.setCurrentIndex(page.program_combo.findData("ZJTX_POOL"))
    settle(qtbot, page)
    narrowed = page.count
    no_real_prompts["text"] = "规上省培育库"
    page.save_current_filter()
    qtbot.waitUntil(lambda: page.saved_combo.findText("规上省培育库") > 0)
    assert page.saved_combo.currentText() == "规上省培育库"
    page.clear_filters()
    settle(qtbot, page)
    assert page.count == DEMO_COUNT and page.saved_combo.currentIndex() == 0
    page.apply_saved_filter("规上省培育库")
    settle(qtbot, page)
    assert page.count == narrowed
    assert page.scale_combo.currentData() == "规上" and page.program_combo.currentData() == "ZJTX_POOL"
    page.delete_chosen_filter()
    qtbot.waitUntil(lambda: page.saved_combo.findText("规上省培育库") < 0)


def test_export_of_the_current_list(
    qtbot: QtBot, page: EnterprisesPage, ctx: AppContext, tmp_path: Path, no_real_prompts: dict[str, Any]
) -> None:
    from python_calamine import CalamineWorkbook

    page.unit_combo.setCurrentIndex(page.unit_combo.findData("331126"))  # 庆元县
    settle(qtbot, page)
    count = page.count
    assert count and page.export_button.isEnabled()
    no_real_prompts["path"] = str(tmp_path / "庆元县企业")
    page.export_button.click()
    qtbot.waitUntil(lambda: bool(no_real_prompts["notices"]), timeout=20_000)
    written = tmp_path / "庆元县企业.xlsx"
    assert f"已导出 {count} 家企业" in no_real_prompts["notices"][0] and written.exists()
    sheet = CalamineWorkbook.from_path(str(written)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert len(rows) - 2 == count  # the title row and the header row, then one row per enterprise


def test_a_county_sees_only_its_own_enterprises(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    ctx: AppContext,
    configure_unit: Callable[..., None],
    wait_loaded: Callable[[Page], Page],
) -> None:
    configure_unit(ctx, "331121")
    window = make_window(ctx)
    page = window.show_page("enterprises")
    assert isinstance(page, EnterprisesPage)
    wait_loaded(page)
    settle(qtbot, page)
    assert page.count == expected_count(ctx, unit_codes=("331121",)) > 0
    assert page.unit_combo.isHidden()
    page.search_box.setText("有限")
    settle(qtbot, page)
    assert page.count == expected_count(ctx, text="有限", unit_codes=("331121",))


def test_a_county_account_on_the_city_installation_sees_its_county_and_read_only_changes_nothing(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    ctx: AppContext,
    wait_loaded: Callable[[Page], Page],
) -> None:
    # The city's database, signed in as 青田's clerk: the list is 青田's, whatever the page asks for.
    ctx.sign_in(Principal("qt_li", "李青田", "county", "331121", 7))
    window = make_window(ctx)
    page = window.show_page("enterprises")
    assert isinstance(page, EnterprisesPage)
    wait_loaded(page)
    settle(qtbot, page)
    ctx.sign_in(Principal("system", "本机系统", "system"))
    assert page.count == expected_count(ctx, unit_codes=("331121",)) > 0
    assert page.count < expected_count(ctx)
    assert page.new_button.isEnabled()
    # A read-only account: the list is all there, but nothing can be started that would change it.
    ctx.sign_in(Principal("chen_view", "陈查看", "readonly", None, 8))
    window = make_window(ctx)
    page = window.show_page("enterprises")
    assert isinstance(page, EnterprisesPage)
    wait_loaded(page)
    settle(qtbot, page)
    page.table.selectRow(0)
    assert page.count == expected_count(ctx)
    assert not page.new_button.isEnabled() and not page.recycle_button.isEnabled()
