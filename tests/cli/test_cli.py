"""The command-line contract of DESIGN.md §4, exercised through main.py in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=300,
    )


def assert_one_chinese_line(result: subprocess.CompletedProcess[str]) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("错误：")


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert "专精特新企业培育管理系统" in result.stdout
    assert result.stdout.strip().split()[-1].count(".") == 2


def test_init_then_progress_json_carries_the_annex_for_every_unit(cli_db: TestDatabase) -> None:
    db = cli_db
    created = run("--db", str(db), "init")
    assert created.returncode == 0, created.stderr
    assert "已创建数据库" in created.stdout and "丽水市" in created.stdout
    # The CLI acts, and is audited, as the system account.
    [(actor, action)] = db.rows("SELECT actor, action FROM audit_entry")
    assert str(actor).startswith("system:") and action == "configure"

    result = run("--db", str(db), "progress", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    pool = [r for r in data["rows"] if r["program_code"] == "ZJTX_POOL" and r["start_year"] == 2017]
    assert len(pool) == 10
    assert {r["unit"]: r["target"] for r in pool}["青田县"] == 150
    assert all(r["done"] == 0 and r["rate"] == 0 for r in pool)
    totals = {(t["program_code"], t["start_year"], t["end_year"]): t["target"] for t in data["totals"]}
    assert totals == {
        ("ZJTX_POOL", 2017, 2020): 900,
        ("ZJTX_POOL", 2018, 2018): 210,
        ("YXGJ_PROV_POOL", 2017, 2020): 21,
        ("YXGJ_PROV_POOL", 2018, 2018): 7,
    }


def test_init_is_harmless_on_an_existing_database(cli_db: TestDatabase) -> None:
    db = cli_db
    assert run("--db", str(db), "init", "--unit", "331121").returncode == 0
    db.execute("UPDATE target SET count = 151 WHERE region_code = '331121' AND start_year = 2017")
    again = run("--db", str(db), "init")
    assert again.returncode == 0
    assert "未作更改" in again.stdout
    other = run("--db", str(db), "init", "--unit", "莲都")
    assert other.returncode == 1
    assert_one_chinese_line(other)
    assert "青田县" in other.stderr
    assert db.rows("SELECT value FROM setting WHERE key = 'installation.unit'") == [("331121",)]
    assert db.rows(
        "SELECT count FROM target WHERE region_code = '331121' AND start_year = 2017 AND program_code='ZJTX_POOL'"
    ) == [(151,)]


def test_county_installation_sees_its_own_unit(cli_db: TestDatabase) -> None:
    db = cli_db
    assert run("--db", str(db), "init", "--unit", "缙云县").returncode == 0
    data = json.loads(run("--db", str(db), "progress", "--json", "--program", "ZJTX_POOL", "--year", "2018").stdout)
    assert {r["unit"] for r in data["rows"]} == {"缙云县"}
    assert sorted(r["target"] for r in data["rows"]) == [40, 150]


def test_progress_text_output_names_periods_and_rule(cli_db: TestDatabase) -> None:
    db = cli_db
    run("--db", str(db), "init")
    result = run("--db", str(db), "progress", "--program", "省隐形冠军培育")
    assert result.returncode == 0
    assert "2017—2020年" in result.stdout and "合计" in result.stdout and "21" in result.stdout
    assert "统计口径" in result.stdout
    # Each unit with its status and rank; the 2017–2020 round is over and nothing was entered.
    qingtian = next(line for line in result.stdout.splitlines() if line.strip().startswith("青田县") and " 3 " in line)
    assert qingtian.split() == ["青田县", "3", "0", "0.0%", "未完成", "1"]


def test_environment_variable_selects_the_database(cli_db: TestDatabase) -> None:
    assert run("init", env={"ZJTX_DB": str(cli_db)}).returncode == 0
    assert cli_db.rows("SELECT value FROM setting WHERE key = 'installation.unit'") == [("331100",)]


def test_check_passes_on_a_sound_database_and_fails_on_broken_references(cli_db: TestDatabase) -> None:
    db = cli_db
    run("--db", str(db), "init")
    ok = run("--db", str(db), "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "未发现问题" in ok.stdout and "审计记录校验链完整" in ok.stdout
    db.execute(
        "INSERT INTO cultivation (enterprise_id, program_code, year, status, created_at, updated_at, version) "
        "VALUES (4242, 'ZJTX_POOL', 2018, '培育中', '2020-01-01', '2020-01-01', 1)",
        unchecked=True,
    )
    broken = run("--db", str(db), "check")
    assert broken.returncode == 1
    assert "外键检查" in broken.stdout and "cultivation" in broken.stdout


def test_check_reports_a_newer_database(cli_db: TestDatabase) -> None:
    db = cli_db
    run("--db", str(db), "init")
    db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    result = run("--db", str(db), "check")
    assert result.returncode == 1
    assert "比本程序" in result.stdout
    opened = run("--db", str(db), "progress")
    assert opened.returncode == 1
    assert_one_chinese_line(opened)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["bogus"], "未知的子命令"),
        (["progress", "--year", "18"], "年份"),
        (["progress", "--frobnicate"], "无法识别的参数"),
        (["init", "--demo", "many"], "--demo"),
        (["screenshot", "dashboard"], "缺少必需的参数"),
        (["screenshot", "nowhere", "--out", "x.png"], "PAGE"),
    ],
)
def test_bad_arguments_exit_2_with_one_chinese_line(args: list[str], expected: str, cli_db: TestDatabase) -> None:
    result = run("--db", str(cli_db), *args)
    assert result.returncode == 2
    assert_one_chinese_line(result)
    assert expected in result.stderr


@pytest.mark.sqlite_file
def test_missing_database_folder_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "没有这个文件夹" / "z.sqlite3"
    for command in (["progress"], ["check"]):
        result = run("--db", str(missing), *command)
        assert result.returncode == 1
        assert_one_chinese_line(result)
        assert "不存在" in result.stderr
    assert not missing.parent.exists()


def test_unknown_unit_and_program_are_explained(cli_db: TestDatabase) -> None:
    db = cli_db
    unit = run("--db", str(db), "init", "--unit", "杭州市")
    assert unit.returncode == 1 and "未知的单位" in unit.stderr
    run("--db", str(db), "init")
    program = run("--db", str(db), "progress", "--program", "国家队")
    assert program.returncode == 1
    assert_one_chinese_line(program)
    assert "ZJTX_POOL" in program.stderr


@pytest.mark.sqlite_file
def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "名单.xlsx"
    bogus.write_bytes(b"PK\x03\x04 not really a database" * 100)
    result = run("--db", str(bogus), "progress")
    assert result.returncode == 1
    assert_one_chinese_line(result)


def test_gui_without_a_display_says_so(cli_db: TestDatabase) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--db", str(cli_db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
    )
    assert result.returncode != 0
    assert_one_chinese_line(result)
    assert "图形显示" in result.stderr


def test_screenshot_writes_a_png_of_the_page(cli_db: TestDatabase, tmp_path: Path) -> None:
    db = cli_db
    run("--db", str(db), "init")
    out = tmp_path / "首页.png"
    result = run("--db", str(db), "screenshot", "dashboard", "--out", str(out), env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == (1366, 768)


def test_screenshot_into_a_missing_folder_is_refused(cli_db: TestDatabase, tmp_path: Path) -> None:
    db = cli_db
    run("--db", str(db), "init")
    result = run("--db", str(db), "screenshot", "admin", "--out", str(tmp_path / "无" / "x.png"))
    assert result.returncode == 1
    assert_one_chinese_line(result)


def test_output_cut_short_by_the_reader_is_not_an_error(cli_db: TestDatabase) -> None:
    """`main.py progress | head -1`: the closed pipe must not be reported as an internal error."""
    db = cli_db
    run("--db", str(db), "init")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--db", str(db), "progress"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` exiting before the program has written anything
    stderr = process.stderr.read().decode("utf-8")
    process.wait(timeout=120)
    assert "内部错误" not in stderr and "Traceback" not in stderr


def test_import_contract(cli_db: TestDatabase, tmp_path: Path) -> None:
    from tests.corpus import county_list

    db = cli_db
    run("--db", str(db), "init")
    source = county_list(tmp_path / "名单.xlsx")

    dry = run("--db", str(db), "import", str(source), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["created"] == 6 and json.loads(dry.stdout)["committed"] is False

    done = run("--db", str(db), "import", str(source), "--json")
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["committed"] is True and data["created"] == 6 and data["errors"] == []

    again = json.loads(run("--db", str(db), "import", str(source), "--json").stdout)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 6)
    assert db.scalar("SELECT count(*) FROM import_batch") == 1


def test_import_with_errors_writes_nothing_and_exports_the_error_list(cli_db: TestDatabase, tmp_path: Path) -> None:
    from openpyxl import Workbook, load_workbook

    db = cli_db
    run("--db", str(db), "init")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位"])
    sheet.append(["丽水市宏达精密机械有限公司", "91331102MA2A0B1C4R", "莲都区"])
    sheet.append(['=HYPERLINK("http://x","坏")', "91331102MA2A0B1C4X", "莲都区"])
    sheet["A3"].data_type = "s"  # a name that merely looks like a formula, kept as text
    workbook.save(tmp_path / "有错.xlsx")

    result = run(
        "--db",
        str(db),
        "import",
        str(tmp_path / "有错.xlsx"),
        "--json",
        "--errors-out",
        str(tmp_path / "错误清单.xlsx"),
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["committed"] is False and data["rejected"] == 1
    assert data["errors"] == [
        {
            "sheet": "Sheet",
            "row": 3,
            "column": "B",
            "value": "91331102MA2A0B1C4X",
            "message": "统一社会信用代码：校验位（第18位）应为 R，现为 X",
        }
    ]
    assert db.scalar("SELECT count(*) FROM enterprise") == 0
    errors = load_workbook(tmp_path / "错误清单.xlsx")
    sheet = errors["Sheet"]
    assert [c.value for c in sheet[1]] == ["企业名称", "统一社会信用代码", "所属单位", "错误说明"]
    assert sheet["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["A2"].data_type == "s"  # formula text stays text
    assert "校验位" in sheet["D2"].value

    partial = run("--db", str(db), "import", str(tmp_path / "有错.xlsx"), "--skip-invalid", "--json")
    assert partial.returncode == 0
    assert json.loads(partial.stdout)["committed"] is True and json.loads(partial.stdout)["rejected"] == 1
    assert db.scalar("SELECT count(*) FROM enterprise") == 1


def test_unusable_import_file_exits_2_with_one_line(cli_db: TestDatabase, tmp_path: Path) -> None:
    db = cli_db
    run("--db", str(db), "init")
    fake = tmp_path / "名单.xlsx"
    fake.write_text("不是工作簿", encoding="utf-8")
    result = run("--db", str(db), "import", str(fake))
    assert result.returncode == 2
    assert_one_chinese_line(result)
    assert "不是 Excel 工作簿" in result.stderr


def test_hostile_files_are_refused_in_bounded_memory(cli_db: TestDatabase, tmp_path: Path) -> None:
    """A zip bomb (600 MB of zeros packed into < 1 MB) is refused without being expanded."""
    from tests.corpus import zip_bomb

    db = cli_db
    run("--db", str(db), "init")
    bomb = zip_bomb(tmp_path / "名单.xlsx")
    script = (
        "import resource, sys\n"
        "from zjtx_desktop.cli import main\n"
        f"code = main(['--db', {str(db)!r}, 'import', {str(bomb)!r}])\n"
        "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300
    )
    code, peak_kib = result.stdout.split()
    assert code == "2"
    assert "过大" in result.stderr or "压缩" in result.stderr
    assert int(peak_kib) < 600 * 1024
