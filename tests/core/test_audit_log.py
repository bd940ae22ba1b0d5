"""审计日志: a trail written by the real services, read back filtered, scoped to a county, paged and exported."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.corpus import county_list
from zjtx_desktop import audit
from zjtx_desktop.accounts import attempt_login, create_account, create_first_admin
from zjtx_desktop.audit import record
from zjtx_desktop.audit_log import (
    EXPORT_HEADERS,
    AuditFilter,
    AuditPage,
    audit_choices,
    audit_page,
    export_audit_log,
)
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_records import ANNUAL, add_record
from zjtx_desktop.exchange.export import ExportCancelled
from zjtx_desktop.exchange.importer import commit_plan, plan_import, undo_batch
from zjtx_desktop.models import AuditEntry
from zjtx_desktop.passwords import KdfParameters
from zjtx_desktop.principal import Principal
from zjtx_desktop.registry import (
    create_enterprise,
    enterprise_history,
    purge_enterprise,
    recycle_enterprise,
    restore_enterprise,
    update_enterprise,
)

LIANDU = "91331102MA2B3C4D1K"  # 莲都区
QINGTIAN = "91331121MA2B3C4D14"  # 青田县
QINGTIAN_GONE = "91331121MA2C5E6F8P"  # 青田县, deleted for good below
INJECTED = "=cmd|' /C calc'!A0"


class Clock:
    """Stands in for the audit trail's clock, so that entries fall on chosen days (stored as UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 3, 1, 1, 0)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)  # strictly increasing, as real entries are
        return self.now


@pytest.fixture
def shanghai() -> Iterator[None]:
    """The office clock of Lishui (UTC+8), whatever the test machine's zone."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


@dataclass
class Trail:
    ids: dict[str, int] = field(default_factory=dict)  # enterprise by code


def intake(name: str, code: str, unit: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "uscc": code, "region_code": unit, "industry_code": "C34", "phone": "0578-2123456", **extra}


@pytest.fixture
def trail(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, shanghai: None) -> Trail:
    """Four clerks at work over three days (times in UTC; Lishui is 8 hours ahead):

    1 Mar  张科员 registers 宏达 (莲都) and corrects its phone and note (the note looks like a formula)
    2 Mar  李科员 registers 瓯江 (青田) and corrects its staff; 王科员 adds its 2023 figures, and sends
           宏达 to the recycle bin and back
    3 Mar  赵管理员 registers 青田's 石雕 firm and deletes it for good; 张科员 exports the enterprise list
    """
    clock = Clock()
    monkeypatch.setattr(audit, "utcnow", clock)
    found = Trail()
    today = dt.date(2024, 5, 20)

    def at(day: int, hour: int) -> None:
        clock.now = dt.datetime(2024, 3, day, hour, 0)

    at(1, 1)
    with transaction(ctx.sessions) as session:
        hongda = create_enterprise(
            session, "张科员", intake("丽水市宏达精密机械有限公司", LIANDU, "331102"), today=today
        )
    with transaction(ctx.sessions) as session:
        update_enterprise(
            session, "张科员", hongda.id, hongda.version, {"phone": "0578-2999999", "note": INJECTED}, today=today
        )
    at(1, 17)  # 2 Mar 01:00 in Lishui
    with transaction(ctx.sessions) as session:
        oujiang = create_enterprise(
            session, "李科员", intake("青田县瓯江阀门有限公司", QINGTIAN, "331121", employees=80), today=today
        )
    with transaction(ctx.sessions) as session:
        update_enterprise(session, "李科员", oujiang.id, oujiang.version, {"employees": 85}, today=today)
    with transaction(ctx.sessions) as session:
        add_record(
            session, "王科员", ANNUAL, oujiang.id, {"year": 2023, "revenue": 12345.67, "tax_paid": 321.5}, today=today
        )
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "王科员", hongda.id)
    with transaction(ctx.sessions) as session:
        restore_enterprise(session, "王科员", hongda.id)
    at(3, 2)
    with transaction(ctx.sessions) as session:
        gone = create_enterprise(
            session, "赵管理员", intake("青田县石雕工艺有限公司", QINGTIAN_GONE, "331121"), today=today
        )
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "赵管理员", gone.id)
    with transaction(ctx.sessions) as session:
        purge_enterprise(session, "赵管理员", gone.id, is_admin=True)
    with transaction(ctx.sessions) as session:
        record(session, "张科员", "export", "enterprises", "企业信息.xlsx", after={"rows": {"enterprises": 2}})
    found.ids = {LIANDU: hongda.id, QINGTIAN: oujiang.id, QINGTIAN_GONE: gone.id}
    return found


def page(
    ctx: AppContext, audit_filter: AuditFilter | None = None, units: list[str] | None = None, **kw: Any
) -> AuditPage:
    with ctx.sessions() as session:
        return audit_page(session, audit_filter or AuditFilter(), units, **kw)


def what(result: AuditPage) -> list[tuple[str, str, str]]:
    return [(row.actor, row.action_label, row.object_label) for row in result.rows]


def test_the_trail_reads_newest_first_in_words(ctx: AppContext, trail: Trail) -> None:
    result = page(ctx)
    ours = [row for row in result.rows if row.actor in ("张科员", "李科员", "王科员", "赵管理员")]
    assert [(row.actor, row.action_label, row.entity_label) for row in ours] == [
        ("张科员", "导出", "企业信息"),
        ("赵管理员", "彻底删除", "企业信息"),
        ("赵管理员", "删除到回收站", "企业信息"),
        ("赵管理员", "新增", "企业信息"),
        ("王科员", "从回收站恢复", "企业信息"),
        ("王科员", "删除到回收站", "企业信息"),
        ("王科员", "新增", "年度监测"),
        ("李科员", "修改", "企业信息"),
        ("李科员", "新增", "企业信息"),
        ("张科员", "修改", "企业信息"),
        ("张科员", "新增", "企业信息"),
    ]
    by_action = {(row.actor, row.action): row for row in ours}
    correction = by_action[("张科员", "update")]
    assert correction.object_label == f"丽水市宏达精密机械有限公司（{LIANDU}）"
    assert correction.summary == f"联系电话：0578-2123456 → 0578-2999999；备注：（空） → {INJECTED}"
    assert correction.time == "2024-03-01 09:00:02"  # 01:00:02 UTC shown as Lishui time
    figures = by_action[("王科员", "create")]
    assert "营业收入：12345.67" in figures.summary and "年度：2023" in figures.summary  # exact, not 12345.7
    created = by_action[("李科员", "create")]
    assert "企业名称：青田县瓯江阀门有限公司" in created.summary and "所属单位：青田县" in created.summary
    assert "所属行业：C34 通用设备制造业" in created.summary
    purged = by_action[("赵管理员", "purge")]
    assert purged.object_label == f"青田县石雕工艺有限公司（{QINGTIAN_GONE}）"  # the firm is gone, its name is not
    export = by_action[("张科员", "export")]
    assert export.object_label == "企业信息.xlsx" and export.summary == "行数：企业信息 2 行"
    # The history of one enterprise shares the words and the exact numbers.
    with ctx.sessions() as session:
        history = enterprise_history(session, trail.ids[QINGTIAN])
    assert any(item.new == "12345.67" or "12345.67" in item.new for item in history)


def test_each_filter_narrows_the_trail(ctx: AppContext, trail: Trail) -> None:
    assert what(page(ctx, AuditFilter(actor="李科员"))) == [
        ("李科员", "修改", f"青田县瓯江阀门有限公司（{QINGTIAN}）"),
        ("李科员", "新增", f"青田县瓯江阀门有限公司（{QINGTIAN}）"),
    ]
    assert [row.actor for row in page(ctx, AuditFilter(actions=("update",))).rows] == ["李科员", "张科员"]
    recycling = page(ctx, AuditFilter(actions=("recycle", "restore")))
    assert [row.action_label for row in recycling.rows] == ["删除到回收站", "从回收站恢复", "删除到回收站"]
    assert what(page(ctx, AuditFilter(entity="annual_report"))) == [
        ("王科员", "新增", f"青田县瓯江阀门有限公司（{QINGTIAN}）")
    ]
    # Local days: 1 Mar 17:00 UTC is already 2 Mar in Lishui.
    second = page(ctx, AuditFilter(date_from=dt.date(2024, 3, 2), date_to=dt.date(2024, 3, 2)))
    assert {row.actor for row in second.rows} == {"李科员", "王科员"} and second.total == 5
    assert [row.actor for row in page(ctx, AuditFilter(date_to=dt.date(2024, 3, 1))).rows] == ["张科员", "张科员"]
    assert page(ctx, AuditFilter(date_from=dt.date(2024, 3, 3))).total == 4
    by_code = page(ctx, AuditFilter(enterprise=QINGTIAN.lower()))
    assert by_code.total == 3 and {row.uscc for row in by_code.rows} == {QINGTIAN}
    by_name = page(ctx, AuditFilter(enterprise="石雕"))  # deleted for good, still found by its name
    assert [row.action for row in by_name.rows] == ["purge", "recycle", "create"]
    assert page(ctx, AuditFilter(text="0578-2999999")).total == 1
    assert page(ctx, AuditFilter(text="瓯江阀门")).total == 1  # Chinese inside the stored values
    combined = page(ctx, AuditFilter(actor="王科员", entity="enterprise", enterprise="宏达"))
    assert [row.action for row in combined.rows] == ["restore", "recycle"]
    assert page(ctx, AuditFilter(actor="李科员", actions=("purge",))).rows == []


def test_a_county_sees_only_its_own_enterprises_entries(ctx: AppContext, trail: Trail) -> None:
    qingtian = page(ctx, units=["331121"])
    assert {row.uscc for row in qingtian.rows} == {QINGTIAN, QINGTIAN_GONE}
    assert qingtian.total == 6  # 瓯江 ×3 and the purged firm ×3; no 莲都 entry, no export
    assert page(ctx, AuditFilter(actor="张科员"), units=["331121"]).total == 0
    assert page(ctx, AuditFilter(enterprise="宏达"), units=["331121"]).total == 0
    with ctx.sessions() as session:
        choices = audit_choices(session, ["331121"])
        everything = audit_choices(session, None)
    assert choices.actors == sorted(["李科员", "王科员", "赵管理员"])
    assert ("purge", "彻底删除") in choices.actions and all(code != "export" for code, _ in choices.actions)
    assert [label for _, label in choices.entities] == ["企业信息", "年度监测"]
    assert {"张科员", "李科员", "王科员", "赵管理员"} <= set(everything.actors)
    assert ("export", "导出") in everything.actions
    # A county account is held to its unit by the core, whatever scope the caller asks for.
    ctx.sign_in(Principal("li", "李科员", "county", unit_code="331121"))
    assert page(ctx, units=None).total == 6 and page(ctx, units=["331102"]).total == 0


def test_pages_cover_every_entry_once_in_order(ctx: AppContext, trail: Trail) -> None:
    first = page(ctx, page_size=3)
    seen: list[int] = []
    offset = 0
    while offset < first.total:
        current = page(ctx, offset=offset, page_size=3)
        assert current.page == offset // 3 + 1 and current.page_count == -(-first.total // 3)
        seen.extend(row.id for row in current.rows)
        offset += 3
    assert len(seen) == first.total == len(set(seen))
    with ctx.sessions() as session:
        stamps = dict(session.execute(select(AuditEntry.id, AuditEntry.at)).all())
    assert [stamps[i] for i in seen] == sorted((stamps[i] for i in seen), reverse=True)
    beyond = page(ctx, offset=10_000, page_size=3)  # past the end: the last page
    assert beyond.page == beyond.page_count and beyond.rows and beyond.rows[-1].id == seen[-1]


def test_import_and_undo_entries_are_listed(ctx: AppContext, tmp_path: Path) -> None:
    path = county_list(tmp_path / "县里报来的名单.xlsx")
    with transaction(ctx.sessions) as session:
        plan = plan_import(session, path, today=dt.date(2024, 5, 20))
        result = commit_plan(session, "张科员", plan, skip_invalid=True)
    assert result.batch_id is not None and result.created
    imported = page(ctx, AuditFilter(actions=("import",)))
    assert imported.total == result.created and all(row.actor == "张科员" for row in imported.rows)
    assert all(f"导入批次：{result.batch_id}" in row.summary for row in imported.rows)
    # Bulk-written entries name the batch and the file (found by it); their enterprise comes from the link.
    assert page(ctx, AuditFilter(text="县里报来的名单")).total == result.created
    assert any(row.object_label.startswith("丽水市宏达精密机械有限公司（") for row in imported.rows)
    with transaction(ctx.sessions) as session:
        undo_batch(session, "李科员", result.batch_id)
    undone = page(ctx, AuditFilter(actions=("undo",)))
    assert undone.total == result.created and undone.rows[0].action_label == "撤销导入"
    assert undone.rows[0].object_label.startswith("已不存在的企业（编号 ")


def test_export_reads_back_with_title_headers_hashes_and_no_live_formula(
    ctx: AppContext, trail: Trail, tmp_path: Path
) -> None:
    out = tmp_path / "审计日志.xlsx"
    wanted = AuditFilter(actor="张科员", date_from=dt.date(2024, 3, 1))
    with ctx.sessions() as session:
        written = export_audit_log(session, out, wanted, None, exported_by="审计员")
        stored = dict(session.execute(select(AuditEntry.id, AuditEntry.hash)).all())
    assert written == 3
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    title = str(rows[0][0])
    assert "全部单位" in title and "操作人 张科员" in title and "日期 2024-03-01 起" in title
    assert "导出时间" in title and "导出人 审计员" in title and "共 3 条" in title
    assert rows[1] == EXPORT_HEADERS
    data = rows[2:]
    assert [row[3] for row in data] == ["导出", "修改", "新增"]
    assert all(row[9] == stored[row[0]] for row in data)  # the hash as the database holds it
    assert data[1][7] == LIANDU and data[1][2] == "张科员"
    note = next(cell for cell in sheet[4] if isinstance(cell.value, str) and INJECTED in cell.value)
    assert note.data_type == "s"  # the summary carries the injected note, as text
    # A file name that a spreadsheet would run: the export entry's object cell starts with "=".
    with transaction(ctx.sessions) as session:
        record(session, "张科员", "export", "enterprises", f"{INJECTED}.xlsx", after={"rows": {"enterprises": 2}})
    formula_like = tmp_path / "注入.xlsx"
    with ctx.sessions() as session:
        assert export_audit_log(session, formula_like, AuditFilter(text="cmd|"), None, exported_by="审计员") == 2
    loaded = load_workbook(formula_like).active
    assert loaded is not None
    risky = [
        cell for row in loaded.iter_rows() for cell in row if isinstance(cell.value, str) and cell.value[:1] == "="
    ]
    assert risky and all(cell.data_type == "s" and cell.quotePrefix for cell in risky)


def test_a_county_export_holds_its_entries_only_and_a_cancel_leaves_no_file(
    ctx: AppContext, trail: Trail, tmp_path: Path
) -> None:
    out = tmp_path / "青田.xlsx"
    with ctx.sessions() as session:
        assert export_audit_log(session, out, AuditFilter(), ["331121"], exported_by="李科员") == 6
    rows = list(load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert "青田县" in str(rows[0][0]) and {row[7] for row in rows[2:]} == {QINGTIAN, QINGTIAN_GONE}
    cancelled = tmp_path / "取消.xlsx"
    with ctx.sessions() as session, pytest.raises(ExportCancelled):
        export_audit_log(session, cancelled, AuditFilter(), None, exported_by="x", cancel=lambda: True)
    assert not cancelled.exists() and not list(tmp_path.glob(".*part*"))


def test_filter_in_words() -> None:
    assert AuditFilter().describe() == "全部记录"
    described = AuditFilter(
        actor="李科员",
        actions=("update", "import"),
        entity="annual_report",
        date_from=dt.date(2024, 1, 1),
        date_to=dt.date(2024, 3, 31),
        enterprise="瓯江",
        text="营业收入",
    ).describe()
    assert described == (
        "操作人 李科员；操作 修改、导入；对象 年度监测；日期 2024-01-01 至 2024-03-31；企业 “瓯江”；关键词 “营业收入”"
    )


def test_account_entries_are_in_words_and_carry_no_password(ctx: AppContext) -> None:
    fast = KdfParameters(n=2**10)
    with transaction(ctx.sessions) as session:
        admin = create_first_admin(session, ctx.actor, "admin", "王管理", "丽水专精特新2026", fast)
    ctx.sign_in(admin)
    with transaction(ctx.sessions) as session:
        create_account(session, "admin", "qt_li", "李四", "county", "331121", "Qt-county-01", fast)
    with transaction(ctx.sessions) as session:
        attempt_login(session, "qt_li", "wrong-password", params=fast)
    rows = page(ctx, AuditFilter(entity="user_account")).rows
    assert [(row.action_label, row.object_label) for row in rows[:2]] == [
        ("登录失败", "qt_li"),
        ("新增", "qt_li（李四）"),
    ]
    assert rows[0].summary == "连续输错次数：1" and rows[0].entity_label == "账户"
    assert "角色：县级工作人员" in rows[1].summary and "所属单位：青田县" in rows[1].summary
    assert all("password" not in row.summary.lower() and "scrypt" not in row.summary for row in rows)


def test_an_older_database_gets_the_viewer_indexes(db_path: Path) -> None:
    """Migration 0006 on a database of revision 0005 (idempotent: indexes made by an earlier try are kept)."""
    import sqlite3

    from zjtx_desktop.context import open_database
    from zjtx_desktop.database import resolve_location
    from zjtx_desktop.migrations import head_revision

    names = ("ix_audit_entry_at", "ix_audit_entry_actor_at", "ix_audit_entry_action_at", "ix_audit_entry_entity_at")
    with sqlite3.connect(db_path) as connection:
        for name in names[1:]:
            connection.execute(f"DROP INDEX {name}")
        connection.execute("UPDATE alembic_version SET version_num = '0005'")
    open_database(resolve_location(str(db_path)), daily=False).close()
    with sqlite3.connect(db_path) as connection:
        found = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert set(names) <= found and revision == head_revision()
