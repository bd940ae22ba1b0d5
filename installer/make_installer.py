"""Build the Windows installer dist/ZJTXDesktop-<version>-setup.exe from dist/ZJTXDesktop/ with Inno Setup.

Run on Windows after `make dist`: `python installer/make_installer.py` (or `make installer`). The version
comes from zjtx_desktop/__init__.py, the one place it is written; installer/zjtx.iss receives it as
/DAppVersion. Exit codes: 0 built; 1 something needed is missing or ISCC failed; 2 not on Windows.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_INIT = ROOT / "zjtx_desktop" / "__init__.py"
SCRIPT = ROOT / "installer" / "zjtx.iss"
BUILD_FOLDER = ROOT / "dist" / "ZJTXDesktop"  # PyInstaller's one-folder output (installer/zjtx.spec)
PROGRAM = BUILD_FOLDER / "ZJTXDesktop.exe"
OUTPUT_FOLDER = ROOT / "dist"
WORK_FOLDER = ROOT / "build" / "installer"
# zjtx.iss shows this file before installing (InfoBeforeFile=..\build\installer\third-party-notices.txt).
NOTICES_FILE = WORK_FOLDER / "third-party-notices.txt"
NOTICE_SOURCES = ("resources/fonts/LICENSE-*.txt",)

# Simplified Chinese was one of Inno Setup's unofficial translations, which Inno Setup 6 installs leave out;
# its source now lists it among the official ones. Its text is not kept in this repository: the build uses
# the compiler's own copy when there is one, else a local copy (--chinese-messages), else downloads it once
# from Inno Setup's source repository at a fixed commit into build/installer/ (ignored by git).
CHINESE_MESSAGES_NAME = "ChineseSimplified.isl"
CHINESE_MESSAGES_URL = (
    "https://raw.githubusercontent.com/jrsoftware/issrc/"
    "2fac1b77a685e9bf566ffd2b007f4a0a0aae1c92/Files/Languages/ChineseSimplified.isl"
)
CHINESE_MESSAGES_PAGE = "https://jrsoftware.org/files/istrans/"
DOWNLOAD_TIMEOUT_S = 30

ISCC_NAME = "ISCC.exe"
ISCC_FOLDERS = ("Inno Setup 7", "Inno Setup 6")


class BuildError(Exception):
    """Something the build needs is missing or wrong; the message says what to do."""


def read_version(init_file: Path = PACKAGE_INIT) -> str:
    """`__version__` as written in zjtx_desktop/__init__.py, read without importing the package."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"), filename=str(init_file))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise BuildError(f'{init_file} 中没有 __version__ = "…"')


def file_version(version: str) -> str:
    """The four numbers Windows shows as the file version: "0.1.0" → "0.1.0.0", "1.2rc1" → "1.2.0.0"."""
    match = re.match(r"\d+(?:\.\d+){0,3}", version)
    if match is None:
        raise BuildError(f"版本号 {version!r} 不以数字开头，无法作为 Windows 文件版本")
    numbers = match.group(0).split(".")
    return ".".join(numbers + ["0"] * (4 - len(numbers)))


def find_iscc(environ: Mapping[str, str] = os.environ) -> Path | None:
    """ISCC.exe: %ISCC%, then PATH, then the usual Inno Setup 7 / 6 folders (all users or per user)."""
    named = environ.get("ISCC")
    if named:
        return Path(named) if Path(named).is_file() else None
    on_path = shutil.which("ISCC", path=environ.get("PATH")) or shutil.which("iscc", path=environ.get("PATH"))
    if on_path:
        return Path(on_path)
    bases = [Path(folder) for folder in (environ.get("ProgramFiles(x86)"), environ.get("ProgramFiles")) if folder]
    per_user = environ.get("LOCALAPPDATA")  # Inno Setup installed "for me only", without administrator rights
    if per_user:
        bases.append(Path(per_user) / "Programs")
    candidates = [base / folder / ISCC_NAME for base in bases for folder in ISCC_FOLDERS]
    return next((path for path in candidates if path.is_file()), None)


def _looks_like_chinese_messages(data: bytes) -> bool:
    text = data.decode("utf-8-sig", errors="replace")
    return "[Messages]" in text and re.search(r"(?m)^LanguageID=\$0804\s*$", text) is not None


def chinese_messages(iscc: Path, local_copy: Path | None = None) -> str:
    """The MessagesFile for zjtx.iss: the compiler's own, a given file, a cached download, or a new download."""
    if (iscc.parent / "Languages" / CHINESE_MESSAGES_NAME).is_file():
        return f"compiler:Languages\\{CHINESE_MESSAGES_NAME}"
    if local_copy is not None:
        if not local_copy.is_file() or not _looks_like_chinese_messages(local_copy.read_bytes()):
            raise BuildError(f"{local_copy} 不是 Inno Setup 的简体中文语言文件")
        return str(local_copy)
    cached = WORK_FOLDER / CHINESE_MESSAGES_NAME
    if cached.is_file() and _looks_like_chinese_messages(cached.read_bytes()):
        return str(cached)
    print(f"下载 Inno Setup 简体中文语言文件：{CHINESE_MESSAGES_URL}")
    try:
        with urllib.request.urlopen(CHINESE_MESSAGES_URL, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data: bytes = response.read()
    except OSError as exc:
        raise BuildError(
            f"无法下载简体中文语言文件（{exc}）。请从 {CHINESE_MESSAGES_PAGE} 取得 {CHINESE_MESSAGES_NAME}"
            "（与所用 Inno Setup 版本对应），用 --chinese-messages 文件路径 指定，"
            f"或放到 {iscc.parent / 'Languages'} 中"
        ) from exc
    if not _looks_like_chinese_messages(data):
        raise BuildError(f"下载的文件不是简体中文语言文件：{CHINESE_MESSAGES_URL}")
    WORK_FOLDER.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    print(f"已保存 {cached}（SHA-256 {hashlib.sha256(data).hexdigest()}）")
    return str(cached)


def write_notices(target: Path = NOTICES_FILE) -> Path:
    """The installer's information page: the licences of what the program bundles (UTF-8 with BOM)."""
    sources = sorted(path for pattern in NOTICE_SOURCES for path in ROOT.glob(pattern))
    if not sources:
        raise BuildError(f"找不到第三方许可文件（{', '.join(NOTICE_SOURCES)}）")
    parts = [
        "第三方许可声明",
        "",
        "本程序内置文泉驿微米黑字体（WenQuanYi Micro Hei），用于界面、报表和图表中的中文显示。"
        "该字体可按 Apache 许可证 2.0 版或附字体例外条款的 GNU GPL 第 3 版（或更高版本）使用，"
        "本程序按 Apache 许可证 2.0 版使用。以下是其版权说明和许可证全文。",
    ]
    for source in sources:
        parts += ["", "=" * 72, source.relative_to(ROOT).as_posix(), "=" * 72, ""]
        parts.append(source.read_text(encoding="utf-8").rstrip())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\r\n".join("\n".join(parts).splitlines()) + "\r\n", encoding="utf-8-sig")
    return target


def iscc_arguments(version: str, messages: str) -> list[str]:
    """The ISCC command line after the executable: the version and messages file, then the script."""
    return [
        f"/DAppVersion={version}",
        f"/DFileVersion={file_version(version)}",
        f"/DChineseMessages={messages}",
        str(SCRIPT),
    ]


def installer_path(version: str) -> Path:
    return OUTPUT_FOLDER / f"ZJTXDesktop-{version}-setup.exe"


def build(iscc_option: Path | None, messages_option: Path | None) -> Path:
    version = read_version()
    if not PROGRAM.is_file():
        raise BuildError(f"找不到 {PROGRAM}：请先运行 make dist 生成程序文件夹 {BUILD_FOLDER}")
    iscc = iscc_option or find_iscc()
    if iscc is None or not iscc.is_file():
        raise BuildError(
            "找不到 Inno Setup 编译器 ISCC.exe。请安装 Inno Setup 6.3 或更高版本（https://jrsoftware.org/isdl.php），"
            "或用环境变量 ISCC / 参数 --iscc 指定 ISCC.exe 的路径"
        )
    messages = chinese_messages(iscc, messages_option)
    write_notices()
    target = installer_path(version)
    print(f"制作安装包 {target.name}（版本 {version}）…")
    result = subprocess.run([str(iscc), *iscc_arguments(version, messages)], cwd=ROOT, check=False)
    if result.returncode != 0:
        raise BuildError(f"ISCC 失败（退出码 {result.returncode}），见上方输出")
    if not target.is_file():
        raise BuildError(f"ISCC 已结束，但没有生成 {target}")
    return target


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="用 Inno Setup 把 dist/ZJTXDesktop 制作成 Windows 安装包")
    parser.add_argument("--iscc", type=Path, help="ISCC.exe 的路径（默认：环境变量 ISCC、PATH、Inno Setup 的安装位置）")
    parser.add_argument(
        "--chinese-messages",
        type=Path,
        metavar="ISL",
        help=f"本地的 {CHINESE_MESSAGES_NAME}（编译器自带时不需要；否则默认从 Inno Setup 的源代码仓库下载一次）",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if sys.platform != "win32":
        print(
            "Windows 安装包只能在 Windows 上制作：Inno Setup 只有 Windows 版，安装包里的程序文件夹也必须是"
            "在 Windows 上用 make dist 生成的。请在 Windows 电脑上依次运行 make dist 和 make installer。",
            file=sys.stderr,
        )
        return 2
    try:
        target = build(args.iscc, args.chinese_messages)
    except BuildError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    size_mb = target.stat().st_size / 1024 / 1024
    print(f"已生成 {target}（{size_mb:.1f} MB）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
