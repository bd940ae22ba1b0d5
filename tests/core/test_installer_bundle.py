"""The release build's lists (installer/bundle.py) against the tree: nothing the frozen program needs is left out.

PyInstaller is not run here (make dist builds and smoke-tests the program); these checks catch, in seconds,
the usual ways a frozen build breaks: a new migration or seed file not shipped, a migration importing a
module PyInstaller cannot see, a module imported by name, a Qt module used but excluded.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

import zjtx_desktop
from installer import bundle
from zjtx_desktop import paths

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "db" / "migrations"
SPEC = ROOT / "installer" / "zjtx.spec"
SOURCE_TREES = ("zjtx_desktop", "ui")


def _tree_files(relative: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / relative).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _python_sources() -> list[Path]:
    return [ROOT / "main.py"] + [path for tree in SOURCE_TREES for path in sorted((ROOT / tree).rglob("*.py"))]


def _imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports (`from a import b` counts a.b too when b is a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, f"{path.name}: relative import"
            if node.module == "__future__":
                continue
            names.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if importlib.util.find_spec(node.module) is not None and _is_module(candidate):
                    names.add(candidate)
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("tree", ["db/migrations/versions", "db/seeds", "resources"])
def test_every_file_of_the_data_folders_is_shipped_where_the_program_looks(tree: str) -> None:
    shipped = set(bundle.data_files(ROOT))
    files = _tree_files(tree)
    assert files
    for path in files:
        relative = path.relative_to(ROOT)
        assert (str(path), relative.parent.as_posix()) in shipped, f"{relative} is not in the frozen build"
    # Inside the bundle they sit where zjtx_desktop.paths finds them (relative to sys._MEIPASS).
    assert paths.migrations_path().relative_to(paths.bundle_root()).as_posix() == "db/migrations"
    assert paths.seeds_path().relative_to(paths.bundle_root()).as_posix() == "db/seeds"
    assert paths.resource_path().relative_to(paths.bundle_root()).as_posix() == "resources"


def test_the_environment_script_and_template_of_alembic_are_shipped_but_no_caches() -> None:
    destinations = {Path(source).name: folder for source, folder in bundle.data_files(ROOT)}
    assert destinations["env.py"] == "db/migrations"
    assert destinations["script.py.mako"] == "db/migrations"
    assert not [source for source, _ in bundle.data_files(ROOT) if "__pycache__" in source or source.endswith(".pyc")]


def test_the_spec_builds_from_the_lists() -> None:
    spec = SPEC.read_text(encoding="utf-8")
    for wiring in (
        "datas=bundle.data_files(ROOT)",
        "list(bundle.HIDDEN_IMPORTS)",
        "bundle.OPTIONAL_HIDDEN_IMPORTS",
        "*bundle.EXCLUDES",
        "bundle.excluded_qt_modules(",
        "bundle.MATPLOTLIB_BACKENDS",
        "bundle.dropped_from_bundle(",
        "upx=False",
    ):
        assert wiring in spec


def test_migrations_import_only_hidden_imports() -> None:
    """Alembic loads env.py and the revisions from files at run time: PyInstaller never sees their imports."""
    scripts = [MIGRATIONS / "env.py", *sorted((MIGRATIONS / "versions").glob("*.py"))]
    assert len(scripts) >= 7
    for script in scripts:
        missing = _imported_modules(script) - set(bundle.MIGRATION_IMPORTS)
        assert not missing, f"{script.name} imports {sorted(missing)}: add them to bundle.MIGRATION_IMPORTS"
    assert set(bundle.MIGRATION_IMPORTS) <= set(bundle.HIDDEN_IMPORTS)


def test_alembic_logging_set_up_is_not_run() -> None:
    """Alembic's template calls logging.config.fileConfig(alembic.ini): the frozen build has no such file."""
    for script in (MIGRATIONS / "env.py", ROOT / "zjtx_desktop" / "migrations.py"):
        assert "fileConfig" not in script.read_text(encoding="utf-8"), script.name


def test_hidden_imports_exist() -> None:
    for name in bundle.HIDDEN_IMPORTS:
        assert _is_module(name), f"hidden import {name} does not exist"


def test_nothing_is_imported_by_name_behind_pyinstallers_back() -> None:
    """PyInstaller follows import statements (also inside functions), not names given to importlib."""
    dynamic = re.compile(r"\b(import_module|__import__)\s*\(")
    offenders = [
        str(path.relative_to(ROOT)) for path in _python_sources() if dynamic.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"imports by name (list the modules in bundle.HIDDEN_IMPORTS and here): {offenders}"


def test_every_qt_module_the_program_imports_is_kept() -> None:
    used: set[str] = set()
    for path in _python_sources():
        used.update(re.findall(r"\bPySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert used >= {"QtCore", "QtGui", "QtWidgets"}
    assert used <= bundle.QT_MODULES_KEPT

    spec = importlib.util.find_spec("PySide6")  # finds the package without loading Qt
    assert spec is not None and spec.submodule_search_locations
    installed = {path.name.split(".")[0] for path in Path(spec.submodule_search_locations[0]).iterdir()}
    excluded = bundle.excluded_qt_modules(installed)
    assert "PySide6.QtWebEngineCore" in excluded and "PySide6.QtQml" in excluded
    assert not {name.removeprefix("PySide6.") for name in excluded} & bundle.QT_MODULES_KEPT


def test_matplotlib_backends_kept_are_those_the_program_draws_on() -> None:
    names = {"agg": "Agg", "qtagg": "QtAgg"}
    used = set()
    for path in _python_sources():
        used.update(
            names[found] for found in re.findall(r"matplotlib\.backends\.backend_(\w+)", path.read_text("utf-8"))
        )
    assert used == set(bundle.MATPLOTLIB_BACKENDS)


@pytest.mark.parametrize(
    "destination",
    [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "libQt6Gui.so.6",
        "PySide6/Qt6Widgets.dll",
        "PySide6/Qt6PrintSupport.dll",
        "PySide6/Qt6Svg.dll",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/Qt6PdfWidgets.dll",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/iconengines/qsvgicon.dll",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/plugins/printsupport/windowsprintersupport.dll",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "PySide6/translations/qtbase_zh_CN.qm",
        "PySide6/QtWidgets.pyd",
        "resources/fonts/wqy-microhei.ttc",
        "db/migrations/versions/0001_initial_schema.py",
        "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
        "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",
        "matplotlib/mpl-data/fonts/ttf/LastResortHE-Regular.ttf",
        "matplotlib/mpl-data/matplotlibrc",
    ],
)
def test_what_the_program_needs_stays(destination: str) -> None:
    assert not bundle.dropped_from_bundle(destination)


@pytest.mark.parametrize(
    "destination",
    [
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "libQt6Qml.so.6",
        "PySide6/Qt6WebEngineCore.dll",
        "PySide6/Qt6Multimedia.dll",
        "PySide6/Qt/lib/libQt63DCore.so.6",
        "PySide6/Qt/lib/libQt6FFmpegStub-va.so.2",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "PySide6/plugins/imageformats/qtiff.dll",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/translations/qt_zh_CN.qm",
        "PySide6/opengl32sw.dll",
        "matplotlib/mpl-data/sample_data/goog.npz",
        "matplotlib/mpl-data/fonts/ttf/STIXGeneral.ttf",
    ],
)
def test_what_the_program_never_uses_goes(destination: str) -> None:
    assert bundle.dropped_from_bundle(destination)


def test_the_version_is_the_packages() -> None:
    assert bundle.version(ROOT) == zjtx_desktop.__version__
    assert bundle.file_version("0.1.0") == (0, 1, 0, 0)
    assert bundle.file_version("1.2rc1") == (1, 2, 0, 0)
    assert bundle.file_version("2026.3.1.7") == (2026, 3, 1, 7)
