"""The command line (DESIGN.md §4): a stable contract that scripts and the bureau's batch jobs rely on."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Protocol

from zjtx_desktop import APP_NAME, __version__
from zjtx_desktop.errors import UserError
from zjtx_desktop.location import DatabaseLocation, resolve_location
from zjtx_desktop.paths import data_dir

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2

REPORT_KINDS = ("roster", "progress", "profile", "annual", "monitoring", "evaluation", "supervision")
EXPORT_KINDS = ("enterprises", "monitoring", "cultivation", "visits", "targets", "progress", "package", "templates")
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


def command_name() -> str:
    """How the user starts the program: `python main.py` from source, the executable's name in the release build."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).name
    return "python main.py"


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
        raise UsageError(f"{_translate_argparse(message)}（用法：{command_name()} --help）")


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
        prog=command_name().removeprefix("python "),
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

    export = commands.add_parser(
        "export", parents=[db_option], help="导出 Excel：名单、监测、培育、目标、完成情况、报送包、模板"
    )
    export.add_argument("kind", choices=EXPORT_KINDS, metavar="KIND", help="、".join(EXPORT_KINDS))
    export.add_argument("--out", required=True, type=Path, help="输出 .xlsx 文件")
    export.add_argument("--unit", help="单位代码或名称（县级安装只能导出本单位）")
    export.add_argument("--year", type=_year, help="年份：监测、培育、帮扶取该年，目标取包含该年的期间")
    export.add_argument("--program", help="培育层级代码或名称")

    report = commands.add_parser(
        "report", parents=[db_option], help="生成 PDF 报表：名单、完成情况、企业档案、年度报告等"
    )
    report.add_argument("kind", choices=REPORT_KINDS, metavar="KIND", help="、".join(REPORT_KINDS))
    report.add_argument("--out", required=True, type=Path, help="输出 .pdf 文件")
    report.add_argument("--unit", help="单位代码或名称（县级安装只能生成本单位）")
    report.add_argument(
        "--year", type=_year, help="年份：名单取该年入库，完成情况取包含该年的期间，监测与年度报告取该年"
    )
    report.add_argument("--program", help="培育层级代码或名称")
    report.add_argument("--enterprise", metavar="USCC", help="企业档案：企业的统一社会信用代码")

    backup = commands.add_parser("backup", parents=[db_option], help="备份数据库（校验后保存）")
    backup.add_argument("--out", type=Path, help="备份到此文件（默认放在数据库旁的 backups 文件夹）")
    restore = commands.add_parser("restore", parents=[db_option], help="用备份文件恢复数据库（先另存当前数据库）")
    restore.add_argument("file", type=Path, metavar="FILE", help="备份文件（.sqlite3）")

    commands.add_parser("check", parents=[db_option], help="检查数据库完整性、外键、审计记录和版本")
    resetting = commands.add_parser(
        "reset-password", parents=[db_option], help="重置账户密码并解锁（忘记管理员密码时；下次登录须改密码）"
    )
    resetting.add_argument("username", metavar="USER", help="用户名")

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
                raise UserError(f"图形界面组件不可用，请使用命令行子命令（{command_name()} --help）。")
            return gui.run_gui(location)
        from zjtx_desktop.commands import COMMANDS  # the heavy imports, only when a command runs

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
        from zjtx_desktop.server_errors import explain_server_error

        if explained := explain_server_error(exc):
            print(f"错误：{explained}", file=sys.stderr)
            return EXIT_PROBLEM
        log = _log_crash()
        where = f"，详情已记录在 {log}" if log else ""
        print(f"错误：程序内部错误（{type(exc).__name__}）{where}。", file=sys.stderr)
        return EXIT_PROBLEM
