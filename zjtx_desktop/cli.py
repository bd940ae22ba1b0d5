"""The command line (DESIGN.md §4): a stable contract that scripts and the bureau's batch jobs rely on."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

from sqlalchemy import func, select

from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.audit import record
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import DatabaseLocation, resolve_location, transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.health import run_checks
from zjtx_desktop.models import Enterprise
from zjtx_desktop.paths import data_dir
from zjtx_desktop.progress import COUNTING_RULE, progress_by_unit, resolve_program
from zjtx_desktop.settings import configure_installation, find_region, installation

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2

PAGE_NAMES = (
    "dashboard",
    "enterprises",
    "cultivation",
    "monitoring",
    "targets",
    "visits",
    "reports",
    "exchange",
    "admin",
)


class GuiEntry(Protocol):
    """What main.py hands over so the core can start the GUI without importing Qt itself."""

    def run_gui(self, location: DatabaseLocation) -> int: ...

    def render_screenshot(self, location: DatabaseLocation, page: str, out: Path) -> None: ...


class UsageError(UserError):
    """Bad command-line arguments (exit code 2)."""


class UnusableInput(UserError):
    """The input file itself cannot be used (exit code 2)."""


# argparse speaks English; the office staff read Chinese. Translate the messages it produces.
_ARGPARSE_MESSAGES: list[tuple[str, str]] = [
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"argument 子命令: invalid choice: '?([^'\s]*)'?.*", "未知的子命令“{0}”"),
    (r"argument (\S+): invalid choice: '?([^'\s]*)'?.*", "参数 {0} 的取值“{1}”无效"),
    (r"argument (\S+): invalid int value: '(.*)'", "参数 {0} 应为整数，而不是“{1}”"),
    (r"argument (\S+): expected one argument", "参数 {0} 后面缺少取值"),
    (r"invalid choice: '?([^'\s]*)'?.*", "未知的子命令“{0}”"),
    (r"argument (\S+): (.*)", "参数 {0}：{1}"),
]


def _translate_argparse(message: str) -> str:
    for pattern, template in _ARGPARSE_MESSAGES:
        match = re.match(pattern, message)
        if match:
            return template.format(*match.groups())
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{_translate_argparse(message)}（用法：python main.py --help）")


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text.strip()) or not 1990 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"年份应为四位数字（如 2018），而不是“{text}”")
    return int(text)


def _positive(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise argparse.ArgumentTypeError(f"应为非负整数，而不是“{text}”")
    return int(text)


def build_parser() -> ChineseArgumentParser:
    # --db is accepted before or after the sub-command; SUPPRESS keeps a later one from erasing an earlier one.
    db_option = ChineseArgumentParser(add_help=False)
    db_option.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="数据库文件路径或 SQLAlchemy URL（默认：环境变量 ZJTX_DB，再默认：用户数据目录）",
    )

    parser = ChineseArgumentParser(
        prog="main.py",
        description=f"{APP_NAME}：不带子命令启动图形界面。",
        parents=[db_option],
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="子命令", parser_class=ChineseArgumentParser)

    init = commands.add_parser("init", parents=[db_option], help="创建并初始化数据库（对已有数据库无害）")
    init.add_argument("--unit", help="本安装所属单位代码或名称（不填则为市级，查看全部单位）")
    init.add_argument("--org", help="报表上的单位名称（默认按所属单位生成）")
    init.add_argument("--demo", type=_positive, metavar="N", help="为空数据库生成 N 家演示企业")
    init.add_argument("--seed", type=_positive, default=1, metavar="S", help="演示数据的随机种子（默认 1）")

    progress = commands.add_parser("progress", parents=[db_option], help="各单位目标完成情况")
    progress.add_argument("--year", type=_year, help="只看包含该年份的目标期间")
    progress.add_argument("--program", help="培育层级代码或名称")
    progress.add_argument("--json", action="store_true", help="输出 JSON")

    importing = commands.add_parser("import", parents=[db_option], help="导入 Excel 工作簿或 CSV 文件")
    importing.add_argument("file", type=Path, metavar="FILE", help=".xlsx / .xls / .ods / .csv 文件")
    importing.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    importing.add_argument("--skip-invalid", action="store_true", help="写入正确的行，跳过有错误的行")
    importing.add_argument("--errors-out", type=Path, metavar="FILE.xlsx", help="把有错误的行连同错误说明写入此文件")
    importing.add_argument("--json", action="store_true", help="输出 JSON")

    commands.add_parser("check", parents=[db_option], help="检查数据库完整性、外键和版本")

    screenshot = commands.add_parser("screenshot", parents=[db_option], help="离屏渲染界面页面为 PNG")
    screenshot.add_argument("page", choices=PAGE_NAMES, metavar="PAGE", help="页面：" + "、".join(PAGE_NAMES))
    screenshot.add_argument("--out", required=True, type=Path, help="输出 PNG 文件")
    return parser


@dataclass
class Invocation:
    args: argparse.Namespace
    location: DatabaseLocation
    gui: GuiEntry | None
    out: Callable[[str], None]


def _open(location: DatabaseLocation, *, create: bool) -> AppContext:
    return open_database(location, create=create)


def cmd_init(call: Invocation) -> int:
    args = call.args
    existed = call.location.sqlite_path is not None and call.location.sqlite_path.exists()
    ctx = _open(call.location, create=True)
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
        elif existed and not seeded.total:
            call.out(f"数据库已是最新，现有 {enterprises} 家企业；未作更改。")
    finally:
        ctx.close()
    return EXIT_OK


def cmd_progress(call: Invocation) -> int:
    args = call.args
    ctx = _open(call.location, create=False)
    try:
        with transaction(ctx.sessions) as session:
            program_code = resolve_program(session, args.program).code if args.program else None
            own = installation(session)
            units = None if own.is_city else [own.unit_code]
            report = progress_by_unit(session, year=args.year, program_code=program_code, unit_codes=units)
    finally:
        ctx.close()
    if args.json:
        call.out(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    if not report.rows:
        call.out("没有符合条件的目标任务。")
        return EXIT_OK
    for total in report.totals:
        call.out(f"\n{total.program}（{total.period_label}）")
        call.out(f"  {'单位':<10}{'目标':>6}{'完成':>6}{'完成率':>9}")
        for row in report.rows:
            if (row.program_code, row.start_year, row.end_year) == (
                total.program_code,
                total.start_year,
                total.end_year,
            ):
                call.out(f"  {_pad(row.unit or '', 12)}{row.target:>6}{row.done:>6}{_percent(row.rate):>9}")
        call.out(f"  {_pad('合计', 12)}{total.target:>6}{total.done:>6}{_percent(total.rate):>9}")
    call.out(f"\n统计口径：{COUNTING_RULE}")
    return EXIT_OK


def _pad(text: str, width: int) -> str:
    """Left-align text whose Chinese characters take two columns in a terminal."""
    used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(0, width - used)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


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


def cmd_check(call: Invocation) -> int:
    report = run_checks(call.location)
    for line in report.lines():
        call.out(line)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def cmd_screenshot(call: Invocation) -> int:
    if call.gui is None:
        raise UserError("图形界面组件不可用，无法截图。")
    out: Path = call.args.out
    if out.parent and not out.parent.exists():
        raise UserError(f"输出文件夹不存在：{out.parent}")
    call.gui.render_screenshot(call.location, call.args.page, out)
    call.out(f"已保存截图：{out}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[Invocation], int]] = {
    "init": cmd_init,
    "progress": cmd_progress,
    "import": cmd_import,
    "check": cmd_check,
    "screenshot": cmd_screenshot,
}


def _log_crash() -> Path | None:
    """Keep the traceback for the engineers; the user sees one line."""
    try:
        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "error.log"
        with path.open("a", encoding="utf-8") as log:
            log.write(f"\n== {dt.datetime.now().isoformat(timespec='seconds')} {' '.join(sys.argv)}\n")
            log.write(traceback.format_exc())
        return path
    except OSError:
        return None


def main(argv: Sequence[str] | None = None, gui: GuiEntry | None = None) -> int:
    """Run one command; every failure becomes one Chinese line on stderr and a non-zero exit code."""

    def out(text: str) -> None:
        print(text, flush=True)

    try:
        args = build_parser().parse_args(argv)
        location = resolve_location(getattr(args, "db", None))
        if args.command is None:
            if gui is None:
                raise UserError("图形界面组件不可用，请使用命令行子命令（python main.py --help）。")
            return gui.run_gui(location)
        return COMMANDS[args.command](Invocation(args, location, gui, out))
    except (UsageError, UnusableInput) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except BrokenPipeError:
        # The reader went away (`progress | head`): nothing left to say to it, and no error to log.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback reaches a user
        log = _log_crash()
        where = f"，详情已记录在 {log}" if log else ""
        print(f"错误：程序内部错误（{type(exc).__name__}）{where}。", file=sys.stderr)
        return EXIT_PROBLEM
