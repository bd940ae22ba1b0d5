"""`check`: is the database sound? Integrity, foreign keys and migration state, without changing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, OperationalError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

from zjtx_desktop.backup import integrity_problems
from zjtx_desktop.database import DatabaseLocation, make_engine
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.migrations import migration_state


@dataclass
class CheckReport:
    location: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what this check cannot do and who does it instead

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = [f"数据库：{self.location}"]
        body = [f"  通过  {text}" for text in self.passed] + [f"  问题  {text}" for text in self.problems]
        body += [f"  说明  {text}" for text in self.notes]
        tail = ["结论：未发现问题。" if self.ok else f"结论：发现 {len(self.problems)} 个问题。"]
        return head + body + tail


def run_checks(location: DatabaseLocation) -> CheckReport:
    try:
        return _run_checks(location)
    except OperationalError as exc:  # the server could not be reached or refused us: say why, in Chinese
        if location.is_sqlite:
            raise
        from zjtx_desktop.server_errors import explain_connection_failure, explain_server_error

        reason = explain_server_error(exc) or explain_connection_failure(location.url, exc) or str(exc.orig or exc)
        raise DatabaseError(f"无法打开数据库 {location.describe()}：{reason}") from exc


def _run_checks(location: DatabaseLocation) -> CheckReport:
    report = CheckReport(location.describe())
    if location.sqlite_path is not None:
        if not location.sqlite_path.is_file():
            raise DatabaseError(f"数据库文件不存在：{location.sqlite_path}")
        try:
            problems = integrity_problems(location.sqlite_path)
        except Exception as exc:
            raise DatabaseError(f"无法读取数据库文件：{exc}") from exc
        if problems:
            report.problems += [f"完整性检查：{text}" for text in problems[:20]]
        else:
            report.passed.append("完整性检查（integrity_check）")

    engine = make_engine(location)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if location.is_sqlite and tables:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    by_table: dict[str, int] = {}
                    for row in broken:
                        by_table[str(row[0])] = by_table.get(str(row[0]), 0) + 1
                    for table, count in sorted(by_table.items()):
                        report.problems.append(f"外键检查：表 {table} 有 {count} 行引用了不存在的记录")
                else:
                    report.passed.append("外键检查（foreign_key_check）")
            elif connection.dialect.name == "postgresql" and tables:
                _check_server_references(connection, tables, report)
                _check_server_indexes(connection, report)
    finally:
        engine.dispose()

    state = migration_state(location)
    if state.up_to_date and state.known:
        _check_audit(location, report)
    if not state.known:
        report.problems.append(f"数据库版本 {state.current} 比本程序（{state.head}）新，请升级程序")
    elif state.current is None:
        report.problems.append("数据库尚未初始化（没有版本信息）")
    elif not state.up_to_date:
        report.problems.append(f"数据库版本 {state.current} 需要升级到 {state.head}（启动程序时会自动备份并升级）")
    else:
        report.passed.append(f"数据库结构为最新版本（{state.current}）")
    return report


def _check_audit(location: DatabaseLocation, report: CheckReport) -> None:
    """The audit trail's hash chain, entry by entry (only on a database at the current version)."""
    from sqlalchemy.orm import Session

    from zjtx_desktop.audit import check_audit_chain

    engine = make_engine(location)
    try:
        with Session(engine) as session:
            chain = check_audit_chain(session)
            guards = _server_audit_guards(session) if engine.dialect.name == "postgresql" else None
    finally:
        engine.dispose()
    if guards is not None:
        if guards >= len(SERVER_AUDIT_GUARDS):
            report.passed.append("审计记录防篡改触发器齐全（服务器）")
        else:
            report.problems.append(
                "审计记录防篡改触发器缺失：服务器上有人删除了它们，审计记录可被修改或删除（重新运行迁移 0007 或联系数据库管理员）"
            )
    if chain.ok:
        report.passed.append(f"审计记录校验链完整（{chain.entries} 条）")
    else:
        report.problems += [f"审计记录：{text}" for text in chain.problems]


INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE
INDEX_CORRUPTED = ("XX001", "XX002")  # data_corrupted, index_corrupted: what amcheck raises on damage
SERVER_AUDIT_GUARDS = ("audit_entry_append_only_row", "audit_entry_append_only_truncate")


def _server_audit_guards(session: Session) -> int:
    """How many of migration 0007's append-only triggers the PostgreSQL server still has on audit_entry."""
    from sqlalchemy import text

    return int(
        session.execute(
            text(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass "
                "AND tgname IN ('audit_entry_append_only_row', 'audit_entry_append_only_truncate') AND tgenabled <> 'D'"
            )
        ).scalar_one()
    )


# --- the PostgreSQL equivalents of integrity_check and foreign_key_check ----------------------------


def _check_server_references(connection: Connection, tables: set[str], report: CheckReport) -> None:
    """Rows referring to records that do not exist, counted from the program's own model of the references.

    The server enforces foreign keys with triggers, so orphans appear only if someone switched them off
    (a replica-mode restore, ALTER TABLE … DISABLE TRIGGER, a dropped constraint): the constraints'
    state is reported as well as the rows themselves.
    """
    from zjtx_desktop.models import Base

    broken: dict[str, int] = {}
    unreadable: set[str] = set()
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            continue
        for key in table.foreign_key_constraints:
            child = [column.name for column in key.columns]
            parent = [element.column.name for element in key.elements]
            target = key.referred_table.name
            present = " AND ".join(f'c."{name}" IS NOT NULL' for name in child)
            joined = " AND ".join(f'p."{p}" = c."{c}"' for c, p in zip(child, parent, strict=True))
            try:
                with connection.begin_nested():
                    count = connection.exec_driver_sql(
                        f'SELECT count(*) FROM "{table.name}" c WHERE {present} '
                        f'AND NOT EXISTS (SELECT 1 FROM "{target}" p WHERE {joined})'
                    ).scalar_one()
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                    raise
                message = str(exc.orig)  # "permission denied for table evidence_content"
                unreadable.add(message.split("for table ", 1)[1].split()[0] if "for table " in message else table.name)
                continue
            if count:
                broken[table.name] = broken.get(table.name, 0) + int(count)
    for table_name, count in sorted(broken.items()):
        report.problems.append(f"外键检查：表 {table_name} 有 {count} 行引用了不存在的记录")
    if unreadable:
        report.problems.append(
            f"权限：当前数据库账户不能读取表 {'、'.join(sorted(unreadable))}，程序用到这些数据时会出错；"
            "请数据库管理员按使用说明“市级共享部署”补上程序账户的权限"
        )
    unguarded = connection.exec_driver_sql(
        "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
        "LEFT JOIN pg_trigger t ON t.tgconstraint = c.oid AND t.tgenabled = 'D' "
        "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace "
        "AND (NOT c.convalidated OR t.oid IS NOT NULL) ORDER BY 1"
    ).scalars()
    names = list(unguarded)
    if names:
        report.problems.append(f"外键约束未生效（被停用或未验证）：{'、'.join(names)}；请数据库管理员恢复")
    if not broken and not names and not unreadable:
        report.passed.append("外键检查（逐表核对引用，约束均已生效）")


def _check_server_indexes(connection: Connection, report: CheckReport) -> None:
    """B-tree indexes verified by the server's amcheck extension when it is installed in this database."""
    installed = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").first()
    if installed is None:
        report.notes.append(
            "数据页与索引的完整性由数据库服务器负责：请数据库管理员定期运行 pg_amcheck，"
            "或在本数据库中安装 amcheck 扩展（CREATE EXTENSION amcheck）后由本检查一并核对。"
        )
        return
    indexes = connection.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND i.indisvalid "
        "AND c.relnamespace = current_schema()::regnamespace ORDER BY 1"
    ).scalars()
    damaged: list[str] = []
    checked = 0
    for name in list(indexes):
        try:
            with connection.begin_nested():
                connection.exec_driver_sql("SELECT bt_index_check(%(name)s::regclass, true)", {"name": name})
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state not in (INSUFFICIENT_PRIVILEGE, *INDEX_CORRUPTED):
                raise  # a timeout or a lost connection says nothing about the index
            if state == INSUFFICIENT_PRIVILEGE:  # amcheck is not ours to run
                report.notes.append(
                    "本账户无权执行 amcheck 的索引检查：请数据库管理员授予执行权限或自行运行 pg_amcheck。"
                )
                return
            damaged.append(f"{name}（{str(exc.orig).splitlines()[0] if exc.orig else exc}）")
        checked += 1
    if damaged:
        report.problems += [f"索引完整性检查：{text}" for text in damaged[:20]]
    else:
        report.passed.append(f"索引完整性检查（amcheck，{checked} 个索引）")
