"""系统管理 → 概况与备份 on a shared server: the backups box says who backs up and offers no local copies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ui.main_window import MainWindow
from ui.pages.admin import AdminPage
from zjtx_desktop.context import AppContext

pytestmark = pytest.mark.postgres


def test_the_backups_box_names_the_servers_tools_instead_of_local_copies(
    make_window: Callable[..., MainWindow], wait_loaded: Callable, ctx: AppContext
) -> None:
    page = wait_loaded(make_window(ctx).show_page("admin"))
    assert isinstance(page, AdminPage)
    assert "pg_dump" in page.backup_note.text() and "不在本机另存副本" in page.backup_note.text()
    assert not any(widget.isVisibleTo(page) for widget in page.backup_widgets)
    assert page.fact("数据库位置").startswith("postgresql+psycopg://")
