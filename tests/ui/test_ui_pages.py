"""The other pages: 系统管理 shows real facts, 目标任务 the targets, the rest say what they will hold."""

from __future__ import annotations

from collections.abc import Callable

from ui.main_window import MainWindow
from ui.page_names import PAGE_NAMES
from ui.pages.admin import AdminPage
from ui.pages.targets import TargetsPage
from ui.widgets import Page, PageState
from zjtx_desktop import __version__
from zjtx_desktop.context import AppContext
from zjtx_desktop.migrations import migration_state


def test_admin_shows_installation_database_revision_and_version(
    make_window: Callable[..., MainWindow], ctx: AppContext, wait_loaded: Callable[[Page], Page]
) -> None:
    page = wait_loaded(make_window(ctx).show_page("admin"))
    assert isinstance(page, AdminPage)
    assert "丽水市" in page.fact("本机单位")
    assert page.fact("单位名称") == "丽水市经济和信息化局"
    assert page.fact("数据库位置") == ctx.location.describe()
    revision = migration_state(ctx.location).current
    assert revision and page.fact("数据库结构版本").startswith(revision)
    assert page.fact("程序版本") == __version__


def test_targets_page_lists_the_annex(
    make_window: Callable[..., MainWindow], ctx: AppContext, wait_loaded: Callable[[Page], Page]
) -> None:
    page = wait_loaded(make_window(ctx).show_page("targets"))
    assert isinstance(page, TargetsPage)
    data = page.editor.data
    assert data is not None and sum(len(plan.units) for plan in data.plans) == 37
    first = data.plans[0]
    assert (first.program_name, first.period_label, first.stated_total, first.units_sum) == (
        "省“专精特新”培育库企业", "2017—2020年", 900, 900,
    )  # fmt: skip
    assert (first.units[0].region_name, first.units[0].count, first.units[0].document_no) == (
        "丽水经济技术开发区", 80, "丽政办发〔2018〕61号",
    )  # fmt: skip


def test_targets_page_of_a_county_lists_its_own(
    make_window: Callable[..., MainWindow], county_ctx: AppContext, wait_loaded: Callable[[Page], Page]
) -> None:
    page = wait_loaded(make_window(county_ctx).show_page("targets"))
    assert isinstance(page, TargetsPage)
    data = page.editor.data
    assert data is not None
    assert {unit.region_name for plan in data.plans for unit in plan.units} == {"青田县"}
    assert sum(len(plan.units) for plan in data.plans) == 4


def test_every_page_is_a_working_page(
    make_window: Callable[..., MainWindow], ctx: AppContext, wait_loaded: Callable[[Page], Page]
) -> None:
    """No page of the navigation is left as a promise: each one loads its own data."""
    window = make_window(ctx)
    for name in PAGE_NAMES:
        page = window.show_page(name)
        assert page.has_data, name
        assert wait_loaded(page).state is PageState.READY, name
