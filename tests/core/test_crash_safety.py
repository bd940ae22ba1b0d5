"""Crash safety (DESIGN §8): a process killed with SIGKILL in the middle of an import, an edit burst or a
restore leaves a database that passes its checks and holds all or none of the interrupted work.

Each test writes a small driver script that does the work through the core services in a child process
and says on stdout where it is; the test kills it on that word (never after a guessed sleep), then
checks the database as the next start of the program would find it. Where the kill must land inside the
transaction the driver waits there to be killed, so the outcome is certain; one variant per kind lets
the work run on and accepts either outcome, as long as it is all or none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import COUNTY_ROWS, county_list
from zjtx_desktop import uscc
from zjtx_desktop.backup import backup_sqlite, backups_folder, integrity_problems, list_backups
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.exchange.importer import commit_plan, plan_import
from zjtx_desktop.health import run_checks

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL does not exist on Windows")

ROOT = Path(__file__).resolve().parents[2]
ROWS = 4000  # about 4 MB of database: the import spills into the WAL, the restore takes several steps
WAIT = 120.0  # seconds a child may take to reach a point (generous: the machine may be busy)

# --- the child processes -------------------------------------------------------------------------

PRELUDE = f"""
import os
import sys

sys.path.insert(0, {str(ROOT)!r})


def say(*words):
    print(*words, flush=True)


def hold():
    \"\"\"Wait here to be killed: the test sends SIGKILL as soon as it reads the line just said.\"\"\"
    sys.stdin.readline()
    os._exit(3)  # the test went away without killing: stop rather than carry on


def pause_import_once_written(importer, when):
    \"\"\"Instrument commit_plan: a small page cache, as in an import far larger than the cache, so that its
    pages spill into the WAL before COMMIT; then, once the audit entries (its last bulk write) are
    written, say MID and call `when`.\"\"\"
    bulk_insert = importer.insert_rows

    def insert_rows(connection, table, *args, **kwargs):
        connection.exec_driver_sql("PRAGMA cache_size=-256")
        result = bulk_insert(connection, table, *args, **kwargs)
        if table.name == "audit_entry":
            say("MID")
            when()
        return result

    importer.insert_rows = insert_rows
"""

IMPORT_DRIVER = """
from pathlib import Path

from sqlalchemy import event

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.exchange import importer

database, workbook, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
ctx = open_database(resolve_location(str(database)), actor="导入员", daily=False)
pause_import_once_written(importer, hold if point == "written" else lambda: None)


@event.listens_for(ctx.engine, "commit")
def committing(connection):
    if point == "commit":
        say("COMMITTING")  # and carry on: the kill lands during COMMIT or just after it


with transaction(ctx.sessions) as session:
    plan = importer.plan_import(session, workbook)
    result = importer.commit_plan(session, "导入员", plan)
say("COMMITTED", result.created)
if point == "committed":
    hold()
ctx.close()
say("DONE")
"""

CLI_IMPORT_DRIVER = """
import runpy

from zjtx_desktop.exchange import importer

pause_import_once_written(importer, hold)
main = os.path.join(sys.path[0], "main.py")
sys.argv = [main, *sys.argv[1:]]
runpy.run_path(main, run_name="__main__")
"""

EDIT_DRIVER = """
from pathlib import Path

from sqlalchemy import event, select

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.models import Enterprise
from zjtx_desktop.registry import get_enterprise, update_enterprise

database, count, pause_at = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ctx = open_database(resolve_location(str(database)), actor="连续修改", daily=False)
with ctx.sessions() as session:
    ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id).limit(count)))
edit = 0


@event.listens_for(ctx.engine, "before_cursor_execute")
def before_statement(connection, cursor, statement, parameters, context, executemany):
    # Edit number `pause_at` waits to be killed between its enterprise UPDATE and its audit INSERT.
    if edit == pause_at and statement.startswith("INSERT INTO audit_entry"):
        say("MID", edit)
        hold()


# Far more edits than the test waits for: it kills the burst somewhere in the middle.
for edit in range(100_000):
    enterprise_id = ids[edit % len(ids)]
    with transaction(ctx.sessions) as session:
        version = get_enterprise(session, enterprise_id).version
        values = {"employees": 1000 + edit, "note": f"第 {edit} 次修改"}
        update_enterprise(session, "连续修改", enterprise_id, version, values)
    say("EDIT", edit)
say("DONE")
"""

RESTORE_DRIVER = """
from pathlib import Path

from zjtx_desktop.backup import restore_backup

database, backup, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
said = False


def progress(done, total, message):
    global said
    if total:
        say("PROGRESS", done, total)
    # Three quarters copied: most of the backup's pages are in the database's WAL, none committed.
    if not said and total and 4 * done >= 3 * total and done < total:
        said = True
        say("MID", done, total)
        if point == "copying":
            hold()


safety = restore_backup(database, backup, progress=progress)
say("RESTORED", safety)
if point == "restored":
    hold()
say("DONE")
"""


class Child:
    """A driver script in its own process; the test reads what it says and kills it."""

    def __init__(self, script: Path, args: list[str], log: Path) -> None:
        self.log = log
        self._stderr = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(script), *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,  # never written: a holding child waits on it until killed
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _next(self, deadline: float, word: str) -> str | None:
        try:
            line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {word} from the child within {WAIT:.0f} s; it said {self.lines[-5:]}") from None
        if line is not None:
            self.lines.append(line)
        return line

    def expect(self, word: str, until: Callable[[list[str]], bool] = lambda _: True) -> list[str]:
        """Read until the child says `word` (with arguments that satisfy `until`); its arguments."""
        deadline = time.monotonic() + WAIT
        while True:
            line = self._next(deadline, word)
            if line is None:
                code = self.process.wait(timeout=WAIT)
                raise AssertionError(f"the child ended (exit {code}) before saying {word}:\n{self.errors()}")
            said, *args = line.split()
            if said == word and until(args):
                return args

    def kill(self) -> int:
        """SIGKILL, then everything it had said before dying; its exit status."""
        self.process.send_signal(signal.SIGKILL)
        code = self.process.wait(timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while self._next(deadline, "end of output") is not None:
            pass
        return code

    def said(self, word: str) -> list[list[str]]:
        return [line.split()[1:] for line in self.lines if line.split()[:1] == [word]]

    def errors(self) -> str:
        self._stderr.flush()
        return self.log.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


Spawn = Callable[..., Child]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start a driver (PRELUDE + body) with arguments; whatever still runs at the end is killed."""
    children: list[Child] = []

    def start(body: str, *args: object) -> Child:
        number = len(children)
        script = tmp_path / f"driver{number}.py"
        script.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
        child = Child(script, [str(arg) for arg in args], tmp_path / f"driver{number}.stderr")
        children.append(child)
        return child

    yield start
    for child in children:
        child.close()


# --- data --------------------------------------------------------------------------------------

UNITS = {"莲都区": "331102", "龙泉市": "331181", "青田县": "331121", "云和县": "331125", "庆元县": "331126",
         "缙云县": "331122", "遂昌县": "331123", "松阳县": "331124", "景宁畲族自治县": "331127"}  # fmt: skip
HEADERS = [
    "序号", "企业名称", "统一社会信用代码", "所属单位", "成立日期", "注册资本(万元)", "法定代表人", "注册地址",
    "所属行业", "企业类型", "企业规模", "从业人员(人)", "研发人员(人)", "联系电话", "主导产品", "细分市场",
    "自主商标", "联系干部",
]  # fmt: skip


def enterprise_workbook(path: Path, rows: int) -> tuple[Path, list[str]]:
    """A city-wide list of `rows` new enterprises with a title above the header, as a county sends it; and
    their codes."""
    from openpyxl import Workbook

    rng = random.Random(8)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业信息")
    sheet.append(["“专精特新”培育企业基本信息表"])
    sheet.append(HEADERS)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes: set[str] = set()
    for n in range(rows):
        unit = rng.choice(list(UNITS))
        code = uscc.make("9", "1", UNITS[unit], "MA" + "".join(rng.choice(alphabet) for _ in range(6)))
        if code in codes:
            continue
        codes.add(code)
        employees = rng.randint(10, 400)
        sheet.append([
            n + 1, f"丽水{n}号精密机械有限公司", code, unit, dt.date(2000 + n % 20, 1 + n % 12, 1 + n % 28),
            round(rng.uniform(50, 5000), 1), "张伟", f"浙江省丽水市{unit}工业路{n % 300}号", "C34 通用设备制造业",
            rng.choice(["规上", "规下"]), rng.choice(["小型", "微型", "中型"]), employees, employees // 10,
            f"1385781{n % 10000:04d}", "阀门、管件", "工业阀门", rng.choice(["是", "否"]), "王芳",
        ])  # fmt: skip
    workbook.save(path)
    return path, sorted(codes)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return enterprise_workbook(tmp_path_factory.mktemp("crash") / "企业名单.xlsx", ROWS)


@pytest.fixture(scope="module")
def full_database(
    template_db: Path, workbook: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The template with the workbook imported (about 4 MB); copied, never changed, by the tests."""
    path = tmp_path_factory.mktemp("full") / "full.sqlite3"
    shutil.copyfile(template_db, path)
    ctx = open_database(resolve_location(str(path)), actor="测试员", daily=False)
    try:
        with transaction(ctx.sessions) as session:
            commit_plan(session, "测试员", plan_import(session, workbook[0]))
    finally:
        ctx.close()
    return path


def assert_sound(database: Path) -> None:
    """What `main.py check` reports: integrity, foreign keys, the audit hash chain, migration state."""
    report = run_checks(resolve_location(str(database)))
    assert report.ok, report.lines()
    for check in ("integrity_check", "foreign_key_check", "审计记录校验链完整", "最新版本"):
        assert any(check in text for text in report.passed), report.lines()


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{database.as_posix()}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def content_digest(database: Path) -> str:
    """A digest of every row of every table: two databases with the same digest hold the same data."""
    digest = hashlib.sha256()
    tables = [row[0] for row in query(database, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        digest.update(table.encode())
        for row in query(database, f'SELECT * FROM "{table}" ORDER BY rowid'):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def wal_size(database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


# --- import ------------------------------------------------------------------------------------


def import_outcome(database: Path, codes: list[str], file_name: str) -> str:
    """Whether the database holds "none" or "all" of the file's enterprises, with the batch and audit
    entries that go with them; anything in between fails."""
    stored = {row[0] for row in query(database, "SELECT uscc FROM enterprise")} & set(codes)
    batches = query(database, "SELECT id, created, file_name FROM import_batch")
    audited = [
        json.loads(after)
        for (after,) in query(
            database, "SELECT after FROM audit_entry WHERE action = 'import' AND entity = 'enterprise'"
        )
    ]
    if not stored:
        assert batches == [] and audited == [], (batches, len(audited))
        return "none"
    assert len(stored) == len(codes), f"{len(stored)} of {len(codes)} enterprises: half an import"
    assert len(batches) == 1 and batches[0][1:] == (len(codes), file_name), batches
    assert len(audited) == len(codes) and {entry["导入批次"] for entry in audited} == {batches[0][0]}
    return "all"


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("written", {"none"}),  # every row and audit entry written, COMMIT not yet issued
        ("commit", {"none", "all"}),  # killed as COMMIT starts: either, never half
        ("committed", {"all"}),  # COMMIT returned, the process still running
    ],
)
def test_import_killed_mid_way_keeps_all_or_none(
    point: str,
    expected: set[str],
    db_path: Path,
    workbook: tuple[Path, list[str]],
    spawn: Spawn,
) -> None:
    path, codes = workbook
    child = spawn(IMPORT_DRIVER, db_path, path, point)
    child.expect({"written": "MID", "commit": "COMMITTING", "committed": "COMMITTED"}[point])
    spilled = wal_size(db_path)
    code = child.kill()
    assert child.said("DONE") == [] or point == "commit", child.lines
    assert code == -signal.SIGKILL or point == "commit"

    assert_sound(db_path)
    assert import_outcome(db_path, codes, path.name) in expected
    if point == "written":
        # The uncommitted rows were on disk, in the WAL, when the process died: "none" is no accident.
        assert spilled > 1_000_000, spilled


def test_cli_import_killed_mid_way_writes_nothing_and_can_be_run_again(
    db_path: Path, workbook: tuple[Path, list[str]], spawn: Spawn
) -> None:
    path, codes = workbook
    child = spawn(CLI_IMPORT_DRIVER, "--db", db_path, "import", path, "--json")
    child.expect("MID")
    assert child.kill() == -signal.SIGKILL
    assert not any(line.startswith("{") for line in child.lines), child.lines  # no summary: it died mid-way

    assert_sound(db_path)
    assert import_outcome(db_path, codes, path.name) == "none"
    # The backup the CLI takes before an import is whole, and from before the import.
    (before,) = [b.path for b in list_backups(db_path) if b.reason == "before-import"]
    assert integrity_problems(before) == [] and query(before, "SELECT count(*) FROM enterprise") == [(0,)]

    again = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--db", str(db_path), "import", str(path), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=WAIT,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["created"] == len(codes)
    assert_sound(db_path)
    assert import_outcome(db_path, codes, path.name) == "all"


# --- edit burst ----------------------------------------------------------------------------------

BURST_ENTERPRISES = 40
KILL_AFTER = 150  # edits reported committed before the kill


@pytest.mark.parametrize("point", ["running", "inside"])
def test_edit_burst_killed_keeps_every_committed_edit_whole(
    point: str, full_database: Path, tmp_path: Path, spawn: Spawn
) -> None:
    """Killed wherever the burst happens to be ("running"), or inside an edit's transaction with its
    enterprise row updated and its audit entry not yet written ("inside")."""
    database = tmp_path / "burst.sqlite3"
    shutil.copyfile(full_database, database)
    child = spawn(EDIT_DRIVER, database, BURST_ENTERPRISES, KILL_AFTER if point == "inside" else -1)
    if point == "inside":
        child.expect("MID")
    else:
        child.expect("EDIT", until=lambda args: int(args[0]) >= KILL_AFTER)
    assert child.kill() == -signal.SIGKILL
    assert child.said("DONE") == []
    reported = max(int(args[0]) for args in child.said("EDIT")) + 1  # edits the child saw committed

    assert_sound(database)
    entries = query(database, "SELECT entity_id, before, after FROM audit_entry WHERE actor = '连续修改' ORDER BY id")
    # Every edit reported committed is there, plus at most the one committed as the kill came.
    assert reported <= len(entries) <= reported + (point == "running"), (reported, len(entries))
    latest: dict[int, dict[str, Any]] = {}
    for edit, (entity_id, before, after) in enumerate(entries):
        values = json.loads(after)
        # The edits are there in order, each with both of its fields, none half applied or lost between.
        assert values == {"employees": 1000 + edit, "note": f"第 {edit} 次修改"}
        enterprise_id = int(entity_id)
        if enterprise_id in latest:
            assert json.loads(before) == latest[enterprise_id]
        latest[enterprise_id] = values
    assert len(latest) == min(len(entries), BURST_ENTERPRISES)
    edits_per_enterprise = {i: sum(1 for e in entries if int(e[0]) == i) for i in latest}
    stored = query(
        database,
        f"SELECT id, version, employees, note FROM enterprise WHERE id IN ({','.join('?' * len(latest))})",
        *latest,
    )
    for enterprise_id, version, employees, note in stored:
        # The enterprise and its audit trail agree: one version per audited edit, the last edit's values.
        assert version == 1 + edits_per_enterprise[enterprise_id]
        assert {"employees": employees, "note": note} == latest[enterprise_id]
    assert len(stored) == len(latest)


# --- restore ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_backup(full_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verified backup of the full database, as 数据备份 keeps them (read, never changed, by the tests)."""
    return backup_sqlite(full_database, tmp_path_factory.mktemp("saved") / "zjtx-20240520-090000-manual.sqlite3")


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("copying", {"old"}),  # three quarters of the pages copied, the restore's transaction open
        ("racing", {"old", "restored"}),  # the copy carries on after three quarters: either, never a mix
        ("restored", {"restored"}),  # restore_backup returned
    ],
)
def test_restore_killed_mid_way_leaves_the_old_or_the_restored_database(
    point: str, expected: set[str], db_path: Path, saved_backup: Path, tmp_path: Path, spawn: Spawn
) -> None:
    # The current database: a county's six enterprises (the backup holds thousands).
    ctx = open_database(resolve_location(str(db_path)), actor="测试员", daily=False)
    try:
        with transaction(ctx.sessions) as session:
            commit_plan(session, "测试员", plan_import(session, county_list(tmp_path / "名单.xlsx")))
    finally:
        ctx.close()
    old, restored = content_digest(db_path), content_digest(saved_backup)
    counts = {"old": len(COUNTY_ROWS), "restored": query(saved_backup, "SELECT count(*) FROM enterprise")[0][0]}
    assert saved_backup.stat().st_size > 3_000_000 and counts["restored"] > 3000

    child = spawn(RESTORE_DRIVER, db_path, saved_backup, point)
    child.expect("RESTORED" if point == "restored" else "MID")
    spilled = wal_size(db_path)
    code = child.kill()
    assert child.said("DONE") == [] or point == "racing", child.lines
    if point == "copying":
        assert code == -signal.SIGKILL and child.said("RESTORED") == []
    if point == "restored":  # the copy reported its progress step by step, to the last page
        steps = [(int(done), int(total)) for done, total in child.said("PROGRESS")]
        assert len(steps) > 2 and steps == sorted(steps) and steps[-1][0] == steps[-1][1]

    assert_sound(db_path)
    state = {old: "old", restored: "restored"}.get(content_digest(db_path), "a mix")
    assert state in expected
    assert query(db_path, "SELECT count(*) FROM enterprise") == [(counts[state],)]
    # The safety copy of the state before the restore is there, whole, whichever way it ended.
    (safety,) = [b.path for b in list_backups(db_path) if b.reason == "before-restore"]
    assert safety.parent == backups_folder(db_path)
    assert integrity_problems(safety) == [] and content_digest(safety) == old
    if point == "copying":
        # Copied pages were in the WAL, uncommitted, when the process died: "old" is no accident.
        assert spilled > 0
