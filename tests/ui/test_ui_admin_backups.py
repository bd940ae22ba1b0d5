"""系统管理 → 数据备份: back up now, restore a chosen backup (with a safety copy), the pages then reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ui.dialogs import prompts
from ui.main_window import MainWindow
from ui.pages.admin import AdminPage
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AuditEntry, Enterprise


@pytest.mark.sqlite_file  # a server's backups are pg_dump's (test_ui_admin_server.py)
def test_backup_now_then_restore_it(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    wait_loaded: Callable,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    told: list[str] = []
    monkeypatch.setattr(prompts, "inform", lambda _parent, _title, text: told.append(text))
    monkeypatch.setattr(prompts, "confirm", lambda *_args, **_kwargs: True)
    window = make_window(ctx)
    page = wait_loaded(window.show_page("admin"))
    assert isinstance(page, AdminPage)
    before = page.backups_model.rowCount()  # the day's first backup, taken when the database opened
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.backup_now()
    assert page.backups_model.rowCount() == before + 1 and "已备份并校验" in told[-1]
    manual_row = page.backups_model.column_texts(1).index("手动")

    with transaction(ctx.sessions) as session:
        session.add(Enterprise(uscc="91331102MA2A0B1C4R", name="丽水市宏达精密机械有限公司", region_code="331102"))
    page.backups_view.setCurrentIndex(page.backups_model.index(manual_row, 0))
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.restore_selected()
    assert "恢复前" in page.backups_model.column_texts(1) and told[-1].startswith("已恢复")
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 0  # as it was at the backup
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.action == "restore"
