"""The names and titles of the main window's pages, importable without Qt (the CLI lists them)."""

from __future__ import annotations

from zjtx_desktop.errors import UserError

# Order is the navigation order.
PAGE_TITLES: dict[str, str] = {
    "dashboard": "首页",
    "enterprises": "企业库",
    "cultivation": "培育管理",
    "monitoring": "年度监测",
    "targets": "目标任务",
    "visits": "帮扶记录",
    "reports": "报表中心",
    "exchange": "数据交换",
    "admin": "系统管理",
}

PAGE_NAMES: tuple[str, ...] = tuple(PAGE_TITLES)


def check_page_name(name: str) -> str:
    """Return name if it is a page, else raise a UserError that lists the valid names."""
    if name not in PAGE_TITLES:
        raise UserError(f"未知的页面“{name}”。可用的页面：{'、'.join(PAGE_NAMES)}")
    return name
