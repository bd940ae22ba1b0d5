"""What the frozen build holds: data folders, hidden imports and the Qt parts it leaves out.

`installer/zjtx.spec` builds from these lists and `tests/core/test_installer_bundle.py` checks them against
the tree, so a new migration, seed file or icon cannot be forgotten in the release build. No PyInstaller here:
the module is imported by the tests too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent

# The names agreed with the installer script: dist/ZJTXDesktop/ZJTXDesktop(.exe).
APP_NAME = "ZJTXDesktop"
# Windows only: the same program as a console executable beside it, for cmd, scripts and batch jobs
# (see the spec for why the main executable is a windowed one).
CONSOLE_NAME = "zjtx"

# Folders shipped as plain files under the bundle root (sys._MEIPASS), where zjtx_desktop.paths looks for
# them. Alembic imports the migration scripts from their folder by file name, so they must be files.
DATA_TREES = ("resources", "db/migrations", "db/seeds")
_NOT_SHIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
_NOT_SHIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})

# Everything db/migrations/env.py and the revision scripts import: PyInstaller cannot see these imports
# because Alembic loads the scripts from files at run time. tests/core/test_installer_bundle.py keeps it whole.
MIGRATION_IMPORTS = (
    "alembic",
    "alembic.context",
    "alembic.op",
    "collections.abc",
    "datetime",
    "hashlib",
    "json",
    "sqlalchemy",
    "zjtx_desktop.models",
)

HIDDEN_IMPORTS = (
    *MIGRATION_IMPORTS,
    # What Alembic needs to run the scripts on SQLite (and PostgreSQL, for a shared city database).
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "alembic.runtime.migration",
    "alembic.script",
    # SQLAlchemy finds dialects by name at run time (its PyInstaller hook adds the other dialects).
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql",
)
# PostgreSQL drivers go in when the build environment has them (requirements.txt does not install one).
OPTIONAL_HIDDEN_IMPORTS = ("psycopg", "psycopg2")

# The Qt for Python modules the program imports (ui/ and matplotlib's QtAgg canvas); QtSvg is not imported
# but its library draws the SVG icons (iconengines/qsvgicon, imageformats/qsvg). Every other PySide6 module
# is excluded by name.
QT_MODULES_KEPT = frozenset({"QtCore", "QtGui", "QtWidgets", "QtPrintSupport", "QtSvg", "QtPdf", "QtPdfWidgets"})

# Python packages the program never uses that PyInstaller would otherwise follow from optional imports.
EXCLUDES = (
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "lib2to3",
    "pydoc_data",
    "test",
    "sqlalchemy.testing",
    # SQLAlchemy's hook adds every dialect; the program opens SQLite, or PostgreSQL for a shared city database.
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle",
    "matplotlib.tests",
    "matplotlib.testing",
    "numpy.tests",
    "numpy.f2py",
    "numpy.distutils",
    "PIL.ImageTk",
    "PIL.ImageQt",
    # Pillow writes matplotlib's PNGs and reads them for reportlab; AVIF, WebP and colour management are
    # optional plugins whose libraries weigh about 7 MB (Pillow skips a plugin that is missing).
    "PIL.AvifImagePlugin",
    "PIL._avif",
    "PIL.WebPImagePlugin",
    "PIL._webp",
    "PIL.ImageCms",
    "PIL._imagingcms",
    "IPython",
    "jedi",
    "pytest",
    "setuptools",
    "pkg_resources",
    "pip",
    "PyQt5",
    "PyQt6",
    "PySide2",
)

# matplotlib draws on Agg (reports) and on a Qt canvas (the GUI's charts); its hook leaves the others out.
MATPLOTLIB_BACKENDS = ("Agg", "QtAgg")

# Qt libraries the kept modules and the plugins below link to (XcbQpa, DBus, Wayland* and OpenGL are
# Linux's windowing; Network is linked by QtPdf). Any other Qt library that PyInstaller finds is dropped,
# unless a kept binary still links to it (the spec checks each binary's imports before dropping).
QT_LIBRARIES_KEPT = frozenset(
    {
        "Core",
        "Gui",
        "Widgets",
        "PrintSupport",
        "Svg",
        "Pdf",
        "PdfWidgets",
        "Network",
        "DBus",
        "OpenGL",
        "XcbQpa",
        "WaylandClient",
        "WaylandEglClientHwIntegration",
        "WlShellIntegration",
    }
)
# Plugin folders not wanted at all, and single plugins not wanted from kept folders (by a name fragment).
QT_PLUGIN_FOLDERS_DROPPED = frozenset({"egldeviceintegrations", "generic", "qmltooling", "sqldrivers", "tls"})
QT_PLUGINS_DROPPED = (
    "virtualkeyboard",  # platforminputcontexts: would pull in Qt Quick and QML
    "qeglfs",
    "qlinuxfb",
    "qminimalegl",
    "qvkkhrdisplay",
    "qvnc",
    "qgtk3",  # Linux GTK theme: would load the desktop's GTK beside the older GLib copied into the bundle
    # imageformats the program never reads (its icons are SVG, its pictures PNG or JPEG)
    "qtiff",
    "qwebp",
    "qicns",
    "qtga",
    "qwbmp",
)
# Windows: Qt's software OpenGL (20 MB), a fallback for OpenGL drawing, which the program does not do.
QT_FILES_DROPPED = frozenset({"opengl32sw.dll"})
# Qt's own texts in Chinese (ui/app.py loads "qtbase" for zh_CN); all other translations are dropped.
QT_TRANSLATIONS_KEPT = frozenset({"qtbase_zh_CN.qm"})

# matplotlib's data the charts never use: sample data, the PostScript/PDF backends' Type 1 metrics, and the
# serif, monospace and STIX fonts (charts draw in the bundled CJK font, falling back on DejaVu Sans, the
# Computer Modern math fonts and LastResort, which stay).
MATPLOTLIB_DATA_DROPPED = (
    "matplotlib/mpl-data/sample_data/",
    "matplotlib/mpl-data/fonts/afm/",
    "matplotlib/mpl-data/fonts/pdfcorefonts/",
    "matplotlib/mpl-data/fonts/ttf/STIX",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSerif",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSansMono",
)

_QT_LIBRARY = re.compile(r"^(?:lib)?Qt6([A-Za-z0-9]+)[.-]")


def version(root: Path = ROOT) -> str:
    """The program's single version number, `zjtx_desktop.__version__`, read without importing the package."""
    source = (root / "zjtx_desktop" / "__init__.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise ValueError("zjtx_desktop/__init__.py has no __version__")


def file_version(version: str) -> tuple[int, int, int, int]:
    """The four numbers of a Windows file version: "0.1.0" → (0, 1, 0, 0), "1.2rc1" → (1, 2, 0, 0)."""
    match = re.match(r"\d+(?:\.\d+){0,3}", version)
    if match is None:
        raise ValueError(f"version {version!r} does not start with a number")
    numbers = [int(part) for part in match.group(0).split(".")] + [0, 0, 0]
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def _shipped(relative: PurePosixPath) -> bool:
    return not (_NOT_SHIPPED_PARTS.intersection(relative.parts) or relative.suffix in _NOT_SHIPPED_SUFFIXES)


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder inside the bundle) for every file under DATA_TREES."""
    entries: list[tuple[str, str]] = []
    for tree in DATA_TREES:
        for path in sorted((root / tree).rglob("*")):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if path.is_file() and _shipped(relative):
                entries.append((str(path), str(relative.parent)))
    return entries


def excluded_qt_modules(available: Iterable[str]) -> list[str]:
    """`PySide6.QtX` names to exclude, from the module names the installed PySide6 offers."""
    return sorted(f"PySide6.{name}" for name in set(available) if name.startswith("Qt") and name not in QT_MODULES_KEPT)


def qt_library_name(file_name: str) -> str | None:
    """The Qt module of a Qt shared library file name (libQt6Gui.so.6, Qt6Gui.dll → "Gui"), else None."""
    match = _QT_LIBRARY.match(file_name)
    return match.group(1) if match else None


def dropped_from_bundle(destination: str) -> bool:
    """Whether a file PyInstaller collected (its destination inside the bundle) is left out of it."""
    posix = destination.replace("\\", "/")
    if posix.startswith(MATPLOTLIB_DATA_DROPPED):
        return True
    parts = PurePosixPath(posix).parts
    name = parts[-1]
    library = qt_library_name(name)
    if library is not None:  # also the links to Qt libraries PyInstaller puts at the top of the bundle
        return library not in QT_LIBRARIES_KEPT
    if "PySide6" not in parts:
        return False
    if name.lower() in QT_FILES_DROPPED:
        return True
    if "translations" in parts:
        return name.endswith(".qm") and name not in QT_TRANSLATIONS_KEPT
    if "plugins" in parts:
        below = parts[parts.index("plugins") + 1 :]
        folder = below[0] if len(below) > 1 else ""
        return folder in QT_PLUGIN_FOLDERS_DROPPED or any(fragment in name for fragment in QT_PLUGINS_DROPPED)
    return False
