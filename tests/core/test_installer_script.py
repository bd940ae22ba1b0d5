"""The Windows installer script and its build script, checked without Windows: version, rights, data, files."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path, PureWindowsPath
from types import ModuleType

import pytest

import zjtx_desktop
from zjtx_desktop import paths
from zjtx_desktop.instance_lock import lock_path_for

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
ISS = INSTALLER / "zjtx.iss"
GUID = re.compile(r"^\{\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def _load_make_installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_installer", INSTALLER / "make_installer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_installer = _load_make_installer()


class Script:
    """installer/zjtx.iss read as Inno Setup reads it: preprocessor lines, sections, entries, [Code]."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.defines: dict[str, str] = {}
        self.sections: dict[str, list[str]] = {}
        section = ""
        for raw in text.splitlines():
            line = raw.strip()
            if match := re.match(r'#define\s+(\w+)\s+"(.*)"$', line):
                self.defines[match[1]] = match[2]
            if match := re.match(r"^\[(\w+)\]$", line):
                section = match[1]
                self.sections.setdefault(section, [])
            elif section == "Code":
                self.sections[section].append(raw)
            elif section and line and not line.startswith((";", "#")):
                self.sections[section].append(line)

    def expand(self, value: str) -> str:
        """Substitute the script's own #define constants ({#Name}); defines from the command line stay."""
        return re.sub(r"\{#(\w+)\}", lambda m: self.defines.get(m[1], m[0]), value)

    def setup(self, key: str) -> str:
        values = [line.split("=", 1)[1] for line in self.sections["Setup"] if line.split("=", 1)[0] == key]
        assert len(values) == 1, f"[Setup] {key}: {values}"
        return values[0]

    def entries(self, section: str) -> list[dict[str, str]]:
        """`Name: "x"; Flags: y` lines as dictionaries (values unquoted)."""
        found = []
        for line in self.sections.get(section, []):
            entry = {}
            for part in line.split("; "):
                key, _, value = part.partition(":")
                entry[key.strip()] = value.strip().strip('"')
            found.append(entry)
        return found

    @property
    def code(self) -> str:
        return "\n".join(self.sections["Code"])

    def procedure(self, name: str) -> str:
        """The text of one [Code] routine, from its header to the next routine's."""
        match = re.search(rf"(?ms)^(procedure|function) {name}\b.*?(?=^(procedure|function) |\Z)", self.code)
        assert match is not None, f"[Code] has no {name}"
        return match.group(0)


@pytest.fixture(scope="module")
def script() -> Script:
    return Script(ISS.read_text(encoding="utf-8-sig"))


def _from_installer_folder(path: str) -> Path:
    """A path as ISCC resolves it: relative to the script's folder (SourceDir)."""
    return (INSTALLER / PureWindowsPath(path).as_posix()).resolve()


def _windows(path: str) -> str:
    return str(PureWindowsPath(path)).upper().rstrip("\\") + "\\"


def test_the_version_comes_from_the_code_not_the_script(script: Script) -> None:
    assert script.setup("AppVersion") == "{#AppVersion}"
    assert "{#AppVersion}" in script.setup("AppVerName")
    assert script.setup("VersionInfoVersion") == "{#FileVersion}"
    assert "AppVersion" not in script.defines, "the version must not be written in the script"
    assert re.search(r"#ifndef AppVersion\s*\n\s*#error", script.text), "compiling without a version must stop"
    assert zjtx_desktop.__version__ not in script.text
    # The build script passes the version it reads from zjtx_desktop/__init__.py.
    arguments = make_installer.iscc_arguments(zjtx_desktop.__version__, "x.isl")
    assert f"/DAppVersion={zjtx_desktop.__version__}" in arguments
    assert arguments[-1] == str(ISS)


def test_make_installer_reads_the_single_version_in_the_code() -> None:
    assert make_installer.read_version() == zjtx_desktop.__version__


def test_windows_file_versions_have_four_numbers() -> None:
    assert make_installer.file_version("0.1.0") == "0.1.0.0"
    assert make_installer.file_version("2.3") == "2.3.0.0"
    assert make_installer.file_version("1.2.0rc1") == "1.2.0.0"
    assert make_installer.file_version(zjtx_desktop.__version__).count(".") == 3


def test_installs_per_user_without_administrator_rights(script: Script) -> None:
    assert script.setup("PrivilegesRequired") == "lowest"
    assert not any(line.startswith("PrivilegesRequiredOverridesAllowed") for line in script.sections["Setup"])
    default_dir = script.expand(script.setup("DefaultDirName"))
    assert default_dir.startswith(("{userpf}\\", "{localappdata}\\Programs\\"))
    assert script.setup("MinVersion") == "10.0.17763"  # Windows 10 1809, the oldest Qt 6 runs on


def test_upgrades_replace_the_program_in_place(script: Script) -> None:
    assert GUID.match(script.setup("AppId")), "AppId must be a fixed GUID ({{…} escapes the brace)"
    # The wizard, the program and the installer name agree with the code.
    assert script.defines["AppName"] == zjtx_desktop.APP_NAME
    assert script.defines["AppExeName"] == make_installer.PROGRAM.name
    version = zjtx_desktop.__version__
    output = script.setup("OutputBaseFilename").replace("{#AppVersion}", version) + ".exe"
    assert output == make_installer.installer_path(version).name
    assert _from_installer_folder(script.setup("OutputDir")) == make_installer.OUTPUT_FOLDER
    assert script.setup("CloseApplications") == "yes"  # no mutex in the program: the Restart Manager finds it


def test_the_data_folder_is_the_programs_and_never_under_the_program_folder(script: Script) -> None:
    assert script.defines["DataFolderName"] == paths.APP_DIR_NAME
    assert script.defines["DatabaseFileName"] == paths.default_db_path().name
    assert lock_path_for(Path(script.defines["DatabaseFileName"])).name in script.expand(script.code)
    data_folder = "{localappdata}\\" + script.defines["DataFolderName"]
    assert f"ExpandConstant('{data_folder}')" in script.expand(script.code)
    program_folder = script.expand(script.setup("DefaultDirName")).replace("{userpf}", "{localappdata}\\Programs")
    assert not _windows(program_folder).startswith(_windows(data_folder))
    assert not _windows(data_folder).startswith(_windows(program_folder))
    # Nothing the installer writes or deletes lies outside the program folder and the shortcuts.
    for section, key in (
        ("Files", "DestDir"),
        ("Dirs", "Name"),
        ("InstallDelete", "Name"),
        ("UninstallDelete", "Name"),
    ):
        for entry in script.entries(section):
            assert entry[key].startswith("{app}"), f"[{section}] {entry}"
    for entry in script.entries("Icons"):
        assert entry["Filename"].startswith("{app}\\")
    assert "{localappdata}" not in "\n".join(script.sections["Setup"])


def test_the_installer_refuses_a_program_folder_at_the_data_folder(script: Script) -> None:
    """Browsing to %LOCALAPPDATA% would append ZJTXDesktop and land on the data folder itself."""
    assert "InstallFolderProblem(WizardDirValue())" in script.procedure("NextButtonClick")
    assert "InstallFolderProblem(ExpandConstant('{app}'))" in script.procedure("PrepareToInstall")


def test_uninstalling_asks_before_deleting_the_data_and_defaults_to_keeping_it(script: Script) -> None:
    step = script.procedure("CurUninstallStepChanged")
    assert "usPostUninstall" in step
    before_delete, _, _ = step.partition("DelTree(")
    assert "DelTree(Folder, True, True, True)" in step
    questions = re.findall(r"SuppressibleMsgBox\((.*?)\) <> IDYES then\s+Exit;", before_delete, re.S)
    assert len(questions) == 2, "two questions, each answered Yes, before anything is deleted"
    for question in questions:
        assert question.rstrip().endswith("MB_YESNO or MB_DEFBUTTON2, IDNO"), "No is the default, also when silent"
    assert "'数据文件夹：' + Folder" in questions[0], "the question says where the data is"
    assert "保留" in questions[0]
    assert script.code.count("DelTree(") == 1


def test_every_file_the_script_names_exists_or_is_built(script: Script) -> None:
    dist_folder = make_installer.BUILD_FOLDER
    for entry in script.entries("Files"):
        source = _from_installer_folder(entry["Source"].replace("*", "__any__"))
        if source.is_relative_to(dist_folder):  # produced by `make dist` (PyInstaller one-folder)
            assert entry["Source"] == "..\\dist\\ZJTXDesktop\\*"
            assert "recursesubdirs" in entry["Flags"]
        else:
            assert source.exists(), entry
    for key in ("InfoBeforeFile", "LicenseFile", "InfoAfterFile", "SetupIconFile", "WizardImageFile"):
        lines = [line for line in script.sections["Setup"] if line.startswith(f"{key}=")]
        for line in lines:
            path = _from_installer_folder(line.split("=", 1)[1])
            assert path.exists() or path == make_installer.NOTICES_FILE, line
    assert _from_installer_folder(script.setup("InfoBeforeFile")) == make_installer.NOTICES_FILE


def test_the_notices_page_carries_the_font_licences(tmp_path: Path) -> None:
    target = make_installer.write_notices(tmp_path / "notices.txt")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so every Inno Setup 6 reads it as Unicode"
    text = data.decode("utf-8-sig")
    for licence in sorted((ROOT / "resources" / "fonts").glob("LICENSE-*.txt")):
        first_line = licence.read_text(encoding="utf-8").strip().splitlines()[0]
        assert first_line in text
    assert "Apache License" in text
    assert "文泉驿微米黑" in text


def test_the_chinese_wizard_text_is_not_copied_into_the_repository(script: Script) -> None:
    (language,) = script.entries("Languages")
    assert language["MessagesFile"] == "{#ChineseMessages}"
    assert script.defines["ChineseMessages"] == "compiler:Languages\\ChineseSimplified.isl"
    assert script.setup("ShowLanguageDialog") == "no"
    assert not list(ROOT.glob("installer/**/*.isl"))


def test_the_compilers_own_chinese_messages_are_preferred(tmp_path: Path) -> None:
    iscc = tmp_path / "Inno Setup 7" / "ISCC.exe"
    (iscc.parent / "Languages").mkdir(parents=True)
    iscc.write_bytes(b"")
    (iscc.parent / "Languages" / "ChineseSimplified.isl").write_text("[Messages]\n", encoding="utf-8")
    assert make_installer.chinese_messages(iscc) == "compiler:Languages\\ChineseSimplified.isl"


def test_a_given_chinese_messages_file_must_be_one(tmp_path: Path) -> None:
    iscc = tmp_path / "Inno Setup 6" / "ISCC.exe"
    iscc.parent.mkdir()
    good = tmp_path / "ChineseSimplified.isl"
    good.write_text("[LangOptions]\nLanguageID=$0804\n[Messages]\nButtonOK=确定\n", encoding="utf-8")
    assert make_installer.chinese_messages(iscc, good) == str(good)
    wrong = tmp_path / "German.isl"
    wrong.write_text("[LangOptions]\nLanguageID=$0407\n[Messages]\n", encoding="utf-8")
    with pytest.raises(make_installer.BuildError):
        make_installer.chinese_messages(iscc, wrong)


def test_iscc_is_found_in_a_per_user_inno_setup(tmp_path: Path) -> None:
    iscc = tmp_path / "Programs" / "Inno Setup 6" / "ISCC.exe"
    iscc.parent.mkdir(parents=True)
    iscc.write_bytes(b"")
    assert make_installer.find_iscc({"LOCALAPPDATA": str(tmp_path), "PATH": ""}) == iscc
    assert make_installer.find_iscc({"PATH": ""}) is None


@pytest.mark.skipif(sys.platform == "win32", reason="the refusal is for the other systems")
def test_elsewhere_than_windows_the_build_explains_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert make_installer.main([]) == 2
    assert "只能在 Windows 上制作" in capsys.readouterr().err
