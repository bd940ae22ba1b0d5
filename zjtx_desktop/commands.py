"""The command implementations behind the CLI (DESIGN.md §4); loaded only when a command runs."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from zjtx_desktop.audit import record
from zjtx_desktop.backup import backup_before
from zjtx_desktop.cli import EXIT_OK, EXIT_PROBLEM, Invocation, UnusableInput, UsageError
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import DatabaseLocation, check_sqlite_path, transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.health import run_checks
from zjtx_desktop.instance_lock import InstanceLock
from zjtx_desktop.models import Enterprise
from zjtx_desktop.progress import COUNTING_RULE, progress_by_unit, resolve_program
from zjtx_desktop.settings import configure_installation, find_region, installation
from zjtx_desktop.standing import load_thresholds, standings

Command = Callable[[Invocation], int]


def _open(location: DatabaseLocation, *, create: bool) -> AppContext:
    return open_database(location, create=create)


def _exclusive(
    *, create: bool = False, unless: Callable[[argparse.Namespace], bool] | None = None
) -> Callable[[Command], Command]:
    """A command that replaces or bulk-writes a SQLite database holds its instance lock (DESIGN §8) while it runs.

    Refused (exit 1, one line naming the holder) while the GUI or another such command has the database.
    A missing database is left to the command to report, unless the command creates it (create=True):
    then the folder is checked (network drives refused) and made before a lock file is put in it.
    """

    def wrap(command: Command) -> Command:
        @functools.wraps(command)
        def run(call: Invocation) -> int:
            path = call.location.sqlite_path
            if path is None or (unless is not None and unless(call.args)) or (not create and not path.exists()):
                return command(call)
            check_sqlite_path(path, create_folder=create)
            with InstanceLock(path, purpose=f"命令行 {call.args.command}"):
                return command(call)

        return run

    return wrap


@_exclusive(create=True)
def cmd_init(call: Invocation) -> int:
    args = call.args
    file_existed = call.location.sqlite_path is not None and call.location.sqlite_path.exists()
    ctx = _open(call.location, create=True)
    # A server database always exists beforehand; it was "created" when the migrations started from nothing.
    existed = file_existed or (
        call.location.sqlite_path is None and not (ctx.upgrade_result is not None and ctx.upgrade_result.before is None)
    )
    try:
        with transaction(ctx.sessions) as session:
            current = installation(session)
            if args.unit is not None:
                region = find_region(session, args.unit)
                if region is None:
                    raise UserError(f"未知的单位“{args.unit}”：请使用单位代码（如 331102）或名称（如 莲都区）")
                if current.configured and region.code != current.unit_code:
                    raise UserError(
                        f"该数据库已初始化为“{current.unit_name}”的安装，不能改为“{region.name}”；未作任何更改。"
                    )
            if not current.configured:
                current = configure_installation(
                    session, args.unit, args.org, dt.datetime.now().isoformat(timespec="seconds")
                )
                record(
                    session,
                    ctx.actor,
                    "configure",
                    "installation",
                    current.unit_code,
                    after={"unit": current.unit_code, "organisation": current.organisation},
                )
            enterprises = session.scalar(select(func.count()).select_from(Enterprise)) or 0
        seeded = ctx.seed_result
        verb = "已打开已有数据库" if existed else "已创建数据库"
        call.out(f"{verb}：{call.location.describe()}")
        upgraded = ctx.upgrade_result
        if upgraded is not None and upgraded.before is not None and upgraded.before != upgraded.after:
            copy = f"；升级前已备份到 {upgraded.backup}" if upgraded.backup else ""
            call.out(f"已将数据库结构从版本 {upgraded.before} 升级到 {upgraded.after}{copy}")
        scope = "市级，查看全部单位" if current.is_city else "县级安装，只管理本单位"
        call.out(f"所属单位：{current.unit_name}（{current.unit_code}，{scope}）；报表署名：{current.organisation}")
        if seeded.total:
            call.out(
                f"已载入基础数据：{seeded.regions} 个单位、{seeded.programs} 个培育层级、{seeded.industries} 个行业大类、"
                f"{seeded.tasks} 项政策任务、{seeded.targets} 条目标任务（丽政办发〔2018〕61号附件）"
            )
        if args.demo:
            if enterprises:
                raise UserError(f"数据库中已有 {enterprises} 家企业，演示数据只能生成到空数据库中；未作任何更改。")
            from zjtx_desktop.demo import generate_demo

            unit_code = None if current.is_city else current.unit_code
            with transaction(ctx.sessions) as session:
                summary = generate_demo(session, args.demo, args.seed, unit_code=unit_code)
                record(session, ctx.actor, "demo", "database", after={"count": args.demo, "seed": args.seed})
            call.out(
                f"已生成演示数据：{summary.enterprises} 家企业、{summary.cultivations} 条培育记录、"
                f"{summary.annual_reports} 条年度监测、{summary.help_visits} 条帮扶记录（种子 {args.seed}）"
            )
        elif existed and not seeded.total and not (upgraded and upgraded.before != upgraded.after):
            call.out(f"数据库已是最新，现有 {enterprises} 家企业；未作更改。")
    finally:
        ctx.close()
    return EXIT_OK


def cmd_progress(call: Invocation) -> int:
    args = call.args
    today = dt.date.today()
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            program_code = resolve_program(session, args.program).code if args.program else None
            own = installation(session)
            units = None if own.is_city else [own.unit_code]
            report = progress_by_unit(
                session, year=args.year, program_code=program_code, unit_codes=units, previous_year_end=today.year - 1
            )
            thresholds = load_thresholds(session)
    finally:
        ctx.close()
    if args.json:
        call.out(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    if not report.rows:
        call.out("没有符合条件的目标任务。")
        return EXIT_OK
    unit_standings, total_standings = standings(report, today, thresholds)
    for total in total_standings:
        row = total.row
        key = (row.program_code, row.start_year, row.end_year)
        call.out(f"\n{row.program}（{row.period_label}，截至 {today.isoformat()} 时间进度 {total.pace * 100:.0f}%）")
        call.out(f"  {_pad('单位', 18)}{'目标':>6}{'完成':>6}{'完成率':>9}  {_pad('状态', 8)}{'排名':>4}")
        for item in unit_standings:
            unit = item.row
            if (unit.program_code, unit.start_year, unit.end_year) == key:
                rank = "" if item.rank is None else str(item.rank)
                call.out(
                    f"  {_pad(unit.unit or '', 18)}{unit.target:>6}{unit.done:>6}{_percent(unit.rate):>9}"
                    f"  {_pad(item.status.label, 8)}{rank:>4}"
                )
        call.out(
            f"  {_pad('合计', 18)}{row.target:>6}{row.done:>6}{_percent(row.rate):>9}  {_pad(total.status.label, 8)}"
        )
    call.out(f"\n统计口径：{COUNTING_RULE}")
    return EXIT_OK


def _pad(text: str, width: int) -> str:
    """Left-align text whose Chinese characters take two columns in a terminal."""
    used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(0, width - used)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# A dry run writes nothing, so it may check a file while the GUI has the database open.
@_exclusive(unless=lambda args: bool(args.dry_run))
def cmd_import(call: Invocation) -> int:
    """DESIGN §4: exit 0 committed (or a clean dry run), 1 rows rejected and nothing written, 2 unusable file."""
    from zjtx_desktop.exchange.error_workbook import write_error_workbook
    from zjtx_desktop.exchange.importer import commit_plan, plan_import
    from zjtx_desktop.exchange.reading import UnusableFile

    args = call.args
    if args.errors_out is not None and not args.errors_out.parent.exists():
        raise UsageError(f"错误清单的文件夹不存在：{args.errors_out.parent}")
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            own = installation(session)
            try:
                plan = plan_import(session, args.file, scope_unit=None if own.is_city else own.unit_code)
            except UnusableFile as exc:
                raise UnusableInput(str(exc)) from exc
            committed = False
            if not args.dry_run:
                if plan.count("new", "update", "conflict") and (args.skip_invalid or not plan.count("error")):
                    backup_before(call.location.sqlite_path, "before-import")
                result = commit_plan(session, ctx.actor, plan, skip_invalid=args.skip_invalid)
                committed = result.committed
                if not committed:
                    session.rollback()
    finally:
        ctx.close()
    rejected = plan.count("error")
    if args.errors_out is not None and rejected:
        write_error_workbook(plan, args.errors_out)
    summary = {
        "created": plan.count("new"),
        "updated": plan.count("update"),
        "unchanged": plan.count("unchanged"),
        "rejected": rejected,
        "committed": committed,
        "errors": [error.as_dict() for error in plan.errors],
        "skipped": plan.count("skipped"),
        "conflicts": plan.count("conflict"),
        "warnings": plan.warnings,
    }
    if args.json:
        call.out(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_import(call, plan.file_name, summary, args.dry_run)
    if rejected and not args.skip_invalid:
        return EXIT_PROBLEM
    return EXIT_OK


def _print_import(call: Invocation, file_name: str, summary: dict[str, Any], dry_run: bool) -> None:
    call.out(
        f"{file_name}：新增 {summary['created']}，更新 {summary['updated']}，不变 {summary['unchanged']}，"
        f"错误 {summary['rejected']}，跳过 {summary['skipped']}，冲突 {summary['conflicts']}"
    )
    for warning in summary["warnings"]:
        call.out(f"提示：{warning}")
    for error in summary["errors"][:50]:
        call.out(f"  {error['sheet']} 第{error['row']}行 {error['column']}列：{error['message']}")
    if len(summary["errors"]) > 50:
        call.out(f"  ……共 {len(summary['errors'])} 处错误")
    if dry_run:
        call.out("（仅检查，未写入数据库）")
    elif summary["committed"]:
        call.out("已写入数据库。")
    else:
        call.out("有错误的行，未写入任何数据。请改正后重新导入，或使用 --skip-invalid 只导入正确的行。")


def cmd_export(call: Invocation) -> int:
    from zjtx_desktop.exchange.export import PROGRESS_KIND, PROGRESS_SHEET, export_units, write_template, write_workbook
    from zjtx_desktop.exchange.package import write_package
    from zjtx_desktop.exchange.sheets import SHEET_BY_KIND
    from zjtx_desktop.settings import CITY_CODE

    args = call.args
    out: Path = args.out
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"导出文件应为 .xlsx 格式：{out.name}")
    if not out.parent.exists():
        raise UsageError(f"输出文件夹不存在：{out.parent}")
    if args.kind in ("package", "templates") and (args.year or args.program):
        raise UsageError("报送包和模板不能按年份或培育层级筛选")
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            units = export_units(session, args.unit)
            if args.kind == "package":
                result = write_package(out, session, ctx.actor, unit_code=units[0] if units else CITY_CODE)
            elif args.kind == "templates":
                result = write_template(out, session, unit_codes=units)
            else:
                program = resolve_program(session, args.program).code if args.program else None
                result = write_workbook(
                    out, session, [args.kind], unit_codes=units, year=args.year, program_code=program
                )
            # An export changes nothing here, but the audit trail records who took which data out.
            digest = result.metadata.digest if result.metadata else None
            record(session, ctx.actor, "export", args.kind, out.name, after={"rows": result.rows, "digest": digest})
    finally:
        ctx.close()
    names = {**{kind: sheet.name for kind, sheet in SHEET_BY_KIND.items()}, PROGRESS_KIND: PROGRESS_SHEET}
    call.out(f"已导出：{out}（" + "、".join(f"{names[k]} {n} 行" for k, n in result.rows.items()) + "）")
    if result.metadata is not None:
        call.out(f"内容校验（SHA-256）：{result.metadata.digest}")
    return EXIT_OK


def cmd_report(call: Invocation) -> int:
    from zjtx_desktop.reports.catalog import generate_report
    from zjtx_desktop.reports.request import ReportRequest

    args = call.args
    out: Path = args.out
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"报表文件应为 .pdf 格式：{out.name}")
    if not out.parent.exists():
        raise UsageError(f"输出文件夹不存在：{out.parent}")
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            program = resolve_program(session, args.program).code if args.program else None
            request = ReportRequest(
                args.kind, program_code=program, year=args.year, unit=args.unit, enterprise=args.enterprise
            )
            built = generate_report(session, request, out)
            record(
                session,
                ctx.actor,
                "report",
                args.kind,
                out.name,
                after={"pages": built.pages, "digest": built.content_hash},
            )
    finally:
        ctx.close()
    call.out(f"已生成：{out}（{built.title}，共 {built.pages} 页，内容校验 {built.content_hash}）")
    for warning in built.warnings:
        call.out(f"注意：{warning}")
    return EXIT_OK


def _sqlite_file(call: Invocation) -> Path:
    path = call.location.sqlite_path
    if path is None:
        raise UserError(
            "服务器数据库（PostgreSQL）请用服务器自带的工具备份和恢复（pg_dump / pg_restore），见使用说明。"
        )
    if not path.is_file():
        raise UserError(f"数据库文件不存在：{path}")
    return path


def cmd_backup(call: Invocation) -> int:
    from zjtx_desktop.backup import backup_sqlite, take_backup

    database = _sqlite_file(call)
    out: Path | None = call.args.out
    if out is not None and not out.parent.exists():
        raise UsageError(f"输出文件夹不存在：{out.parent}")
    target = backup_sqlite(database, out) if out is not None else take_backup(database, "manual")
    call.out(f"已备份并校验：{target}（{target.stat().st_size / 1024 / 1024:.1f} MB）")
    return EXIT_OK


@_exclusive()
def cmd_restore(call: Invocation) -> int:
    from zjtx_desktop.backup import restore_backup

    database = _sqlite_file(call)
    source: Path = call.args.file
    if source.resolve() == database.resolve():
        raise UsageError("备份文件就是当前数据库本身")
    safety = restore_backup(database, source)
    # The restored database carries the backup's trail: the restore itself is its next entry.
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            record(session, ctx.actor, "restore", "database", source.name, after={"safety_copy": safety.name})
    finally:
        ctx.close()
    call.out(f"已从 {source} 恢复数据库。恢复前的数据库已另存为：{safety}")
    return EXIT_OK


def cmd_check(call: Invocation) -> int:
    report = run_checks(call.location)
    for line in report.lines():
        call.out(line)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _read_new_password() -> str:
    """Typed twice without echo at a terminal; one line from standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        first = getpass.getpass("新的临时密码：")
        if getpass.getpass("再次输入：") != first:
            raise UsageError("两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_reset_password(call: Invocation) -> int:
    """For an administrator who forgot their password (the only one, on a single PC): whoever may run
    commands on this PC can reset it; the account must choose a new password at the next sign-in."""
    from zjtx_desktop.accounts import account_id, reset_password

    ctx = _open(call.location, create=False)
    try:
        with ctx.sessions() as session:
            user_id = account_id(session, call.args.username)
        if user_id is None:
            raise UserError(f"没有名为“{call.args.username}”的账户")
        password = _read_new_password()
        with transaction(ctx.sessions) as session:
            reset_password(session, ctx.actor, user_id, password)
    finally:
        ctx.close()
    call.out(f"已重置账户“{call.args.username}”的密码并解除锁定；该账户下次登录时须设置新密码。")
    return EXIT_OK


def cmd_screenshot(call: Invocation) -> int:
    if call.gui is None:
        raise UserError("图形界面组件不可用，无法截图。")
    out: Path = call.args.out
    if out.parent and not out.parent.exists():
        raise UserError(f"输出文件夹不存在：{out.parent}")
    call.gui.render_screenshot(call.location, call.args.page, out)
    call.out(f"已保存截图：{out}")
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "init": cmd_init,
    "progress": cmd_progress,
    "report": cmd_report,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "import": cmd_import,
    "export": cmd_export,
    "check": cmd_check,
    "reset-password": cmd_reset_password,
    "screenshot": cmd_screenshot,
}
