"""系统管理 → 审计日志: the tab lists the trail, a filter narrows it, a chosen entry shows before and after, 导出… writes Excel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ui.dialogs import prompts
from ui.main_window import MainWindow
from ui.pages.admin import AdminPage
from ui.pages.admin_audit import AuditLogTab
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AuditEntry
from zjtx_desktop.registry import create_enterprise, update_enterprise

LIANDU = "91331102MA2B3C4D1K"  # 莲都区
QINGTIAN = "91331121MA2B3C4D14"  # 青田县
TODAY = dt.date(2024, 5, 20)


def fill_trail(ctx: AppContext) -> None:
    """Two clerks: 张科员 registers 宏达 (莲都) and corrects its phone; 李科员 registers 瓯江 (青田)."""
    with transaction(ctx.sessions) as session:
        hongda = create_enterprise(
            session,
            "张科员",
            {"name": "丽水市宏达精密机械有限公司", "uscc": LIANDU, "region_code": "331102", "phone": "0578-2123456"},
            today=TODAY,
        )
    with transaction(ctx.sessions) as session:
        update_enterprise(session, "张科员", hongda.id, hongda.version, {"phone": "0578-2999999"}, today=TODAY)
    with transaction(ctx.sessions) as session:
        create_enterprise(
            session,
            "李科员",
            {"name": "青田县瓯江阀门有限公司", "uscc": QINGTIAN, "region_code": "331121"},
            today=TODAY,
        )


def open_tab(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> AuditLogTab:
    window = make_window(ctx)
    window.show()  # the tab reads the trail when it is shown
    page = wait_loaded(window.show_page("admin"))
    assert isinstance(page, AdminPage)
    tab = page.audit_tab
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        page.tabs.setCurrentWidget(tab)
    return tab


def actors(tab: AuditLogTab) -> list[str]:
    return [tab.model.row_at(row).actor for row in range(tab.model.rowCount())]  # type: ignore[union-attr]


def test_the_tab_lists_narrows_and_shows_details(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    fill_trail(ctx)
    tab = open_tab(qtbot, make_window, wait_loaded, ctx)
    assert actors(tab)[:3] == ["李科员", "张科员", "张科员"]  # newest first
    assert "共 " in tab.page_label.text()
    assert tab.model.index(0, 2).data() == "新增"
    assert tab.actor_combo.findData("李科员") >= 0 and tab.action_combo.findText("修改") >= 0

    # A filter narrows the table: 张科员's entries, then only his corrections.
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        tab.actor_combo.setCurrentIndex(tab.actor_combo.findData("张科员"))
    assert actors(tab) == ["张科员", "张科员"]
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        tab.action_combo.setCurrentIndex(tab.action_combo.findData("update"))
    assert tab.model.rowCount() == 1
    assert tab.summary_column_text(0) == "联系电话：0578-2123456 → 0578-2999999"

    # The chosen entry: each field before and after.
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    assert tab.detail_model.rowCount() == 1
    assert [tab.detail_model.text(0, column) for column in range(3)] == ["联系电话", "0578-2123456", "0578-2999999"]
    assert "张科员" in tab.detail_title.text() and "宏达精密" in tab.detail_title.text()
    assert "校验值" in tab.detail_chain.text()

    # Typing an enterprise (applied when typing pauses) and nothing matching.
    tab.clear_filter()
    qtbot.waitUntil(lambda: tab.job is None)
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        tab.enterprise_edit.setText("瓯江")
    assert actors(tab) == ["李科员"] and QINGTIAN in tab.model.index(0, 4).data()
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        tab.set_dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31))
    assert tab.model.rowCount() == 0 and tab.status_label.text() == "没有符合条件的记录"
    assert not tab.export_button.isEnabled()


def test_export_writes_the_filtered_entries_and_is_itself_audited(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    wait_loaded: Callable,
    ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_trail(ctx)
    out = tmp_path / "审计日志"  # the .xlsx suffix is added
    told: list[str] = []
    monkeypatch.setattr(prompts, "choose_save_path", lambda *_args: str(out))
    monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: told.append(text))
    tab = open_tab(qtbot, make_window, wait_loaded, ctx)
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        tab.actor_combo.setCurrentIndex(tab.actor_combo.findData("张科员"))
    job = tab.export()
    assert job is not None
    with qtbot.waitSignal(tab.loaded, timeout=30_000):  # the list is read again after the export
        pass
    written = out.with_suffix(".xlsx")
    assert told and "2 条" in told[-1] and written.exists()
    rows = list(load_workbook(written).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert "操作人 张科员" in str(rows[0][0]) and len(rows) == 4 and {row[2] for row in rows[2:]} == {"张科员"}
    with ctx.sessions() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and (last.action, last.entity, last.entity_id) == ("export", "audit_entry", written.name)
    assert last.after == {"rows": 2, "filter": "操作人 张科员"}


def test_a_county_installation_sees_its_own_enterprises_only(
    qtbot: QtBot, make_window: Callable[..., MainWindow], wait_loaded: Callable, county_ctx: AppContext
) -> None:
    fill_trail(county_ctx)
    tab = open_tab(qtbot, make_window, wait_loaded, county_ctx)
    assert actors(tab) == ["李科员"] and "青田县" in tab.page_label.text()
    assert tab.actor_combo.findData("张科员") < 0
