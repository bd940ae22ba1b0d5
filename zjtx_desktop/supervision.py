"""Supervision of the fifteen policy tasks (政策任务督查): status, deadlines, dated progress notes, evidence files.

Where an evidence file is kept depends on the database: beside a SQLite file, in its folder's evidence/
(as a copy, under the file's own name); on a shared server (PostgreSQL) in the database itself, table
evidence_content, so that every PC can open it and the server's backups hold it. `add_note` writes either
way in the note's own transaction; `evidence_to_open` hands back a local file for either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local
from zjtx_desktop.errors import UserError
from zjtx_desktop.fields import FieldSpec, check_value, clean_text
from zjtx_desktop.location import DatabaseLocation
from zjtx_desktop.models import EvidenceContent, PolicyTask, TaskProgress
from zjtx_desktop.paths import cache_dir
from zjtx_desktop.paths import data_dir as default_data_dir
from zjtx_desktop.permissions import require_city
from zjtx_desktop.registry import NotFound, Problem, ValidationFailed, VersionConflict

NOT_STARTED, IN_PROGRESS, DONE, BEHIND = "未启动", "推进中", "已完成", "滞后"
TASK_STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, BEHIND)

# Evidence files live under the data folder: evidence/task-03/会议纪要.pdf (see evidence_folder).
EVIDENCE_FOLDER = "evidence"
# On a server the content is in evidence_content; the note's evidence_file then reads "db:task-03/会议纪要.pdf",
# so that lists and the audit trail still name the file. Opened from a copy in the per-user cache folder.
DATABASE_MARKER = "db:"
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
# The stored relative path must fit TaskProgress.evidence_file (260 characters) with room to spare.
MAX_EVIDENCE_NAME = 200

NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")

# The form fields of a progress note and of a task's own settings; the dialogs are built from these.
NOTE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("period", "期间", required=True, max_length=20, hint="如 2018、2018上半年、2018年第三季度"),
    FieldSpec("recorded_on", "记录日期", kind="date", required=True, hint="进展情况所反映的日期"),
    FieldSpec("status", "任务状态", kind="choice", choices=TASK_STATUSES, required=True, hint="保存后即为任务的状态"),
    FieldSpec("note", "进展情况", required=True, max_length=2000),
)
TASK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("status", "任务状态", kind="choice", choices=TASK_STATUSES, required=True),
    FieldSpec("deadline", "完成时限", kind="date", allow_future=True, hint="过了时限仍未“已完成”的任务显示为逾期"),
)
EVIDENCE_KEY = "evidence"  # the field name under which problems with the evidence file are reported


def numeral(number: int) -> str:
    """The task's number as the policy writes it: 一 … 十五."""
    return NUMERALS[number - 1] if 1 <= number <= len(NUMERALS) else str(number)


@dataclass(frozen=True)
class TaskRow:
    """One policy task as the supervision table shows it (plain values, safe across threads)."""

    id: int
    number: int
    title: str
    lead_unit: str
    co_units: tuple[str, ...]
    goal: str | None
    status: str
    deadline: dt.date | None
    overdue: bool  # past its deadline and not 已完成
    latest_on: dt.date | None  # the newest progress note: its date, period and text
    latest_period: str | None
    latest_note: str | None
    note_count: int
    version: int

    @property
    def numeral(self) -> str:
        return numeral(self.number)

    @property
    def units_text(self) -> str:
        """牵头：… ；配合：… in one line, for tables and print-outs."""
        text = f"牵头：{self.lead_unit}" if self.lead_unit else ""
        if self.co_units:
            text += f"；配合：{'、'.join(self.co_units)}"
        return text

    @property
    def latest_text(self) -> str:
        """The newest progress note in one line: 2018-06-30（2018上半年）已召开推进会…; '' when none."""
        if self.latest_on is None:
            return ""
        return f"{self.latest_on.isoformat()}（{self.latest_period}）{self.latest_note or ''}"


@dataclass(frozen=True)
class NoteRow:
    """One dated progress note of a task, with its evidence file (where it is stored: see evidence_to_open)."""

    id: int
    task_id: int
    version: int
    period: str
    recorded_on: dt.date
    status: str
    note: str
    evidence_file: str | None  # "evidence/task-03/纪要.pdf" in the data folder, "db:task-03/纪要.pdf" on a server
    evidence_name: str | None  # the file's name as stored: the original name, "(2)" added on a clash in a folder
    recorded_by: str | None
    created_at: dt.datetime

    @property
    def evidence_in_database(self) -> bool:
        return stored_in_database(self.evidence_file)


@dataclass(frozen=True)
class SupervisionLine:
    """One row of the printable supervision table (督查表)."""

    number: int
    numeral: str
    title: str
    units: str
    status: str
    deadline: dt.date | None
    latest: str
    overdue: bool

    def cells(self) -> list[str]:
        deadline = self.deadline.isoformat() if self.deadline else ""
        status = f"{self.status}（逾期）" if self.overdue else self.status
        return [self.numeral, self.title, self.units, status, deadline, self.latest]


SUPERVISION_HEADERS = ("序号", "任务", "责任单位", "状态", "完成时限", "最新进展")


# --- where evidence lives -----------------------------------------------------------------------


def data_folder(location: DatabaseLocation) -> Path:
    """The folder evidence files are kept in: the SQLite file's folder (beside backups/), else the per-user one."""
    if location.sqlite_path is not None:
        return location.sqlite_path.parent
    return default_data_dir()


def keeps_evidence_in_database(session: Session) -> bool:
    """Whether new evidence goes into the database: on a server, whose clients share no folder; a SQLite
    installation keeps its files in the folder beside the database file."""
    return session.get_bind().dialect.name != "sqlite"


def stored_in_database(stored: str | None) -> bool:
    """Whether a note's evidence_file names content kept in the database rather than a file in a folder."""
    return stored is not None and stored.startswith(DATABASE_MARKER)


def evidence_cache() -> Path:
    """This user's copies of evidence kept in a server database: what the system's programs open."""
    return cache_dir() / EVIDENCE_FOLDER


def evidence_folder(data_dir: Path, task_number: int) -> Path:
    return data_dir / EVIDENCE_FOLDER / f"task-{task_number:02d}"


def evidence_path(data_dir: Path, stored: str) -> Path:
    """The file a stored relative path names; refuses paths that would lead out of the data folder."""
    relative = Path(stored.replace("\\", "/"))
    root = data_dir.resolve()
    if not stored.strip() or relative.is_absolute() or relative.drive or relative.anchor:
        raise NotFound(f"证明材料的存放路径无效：{stored}")
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise NotFound(f"证明材料的存放路径不在数据文件夹内，已拒绝打开：{stored}")
    return target


def evidence_to_open(session: Session, note: NoteRow, data_dir: Path, *, cache: Path | None = None) -> Path:
    """The local file to open for a note's evidence: the file in the data folder, or, for content kept in the
    database, a copy written to this user's cache folder (default evidence_cache()) after checking it
    against its SHA-256. Raises NotFound (or UserError) with a Chinese message when it cannot be had."""
    if note.evidence_file is None:
        raise NotFound("这条进展记录没有附证明材料")
    if not stored_in_database(note.evidence_file):
        path = evidence_path(data_dir, note.evidence_file)
        if not path.is_file():
            raise NotFound(f"证明材料文件已不在数据文件夹中：{path}")
        return path
    found = session.execute(
        select(
            EvidenceContent.name,
            EvidenceContent.size,
            EvidenceContent.sha256,
            EvidenceContent.modified_at,
            EvidenceContent.content,
        ).where(EvidenceContent.task_progress_id == note.id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"证明材料“{note.evidence_name}”已不在数据库中（这条记录可能已被删除），无法打开。")
    content: bytes = found.content
    if len(content) != found.size or hashlib.sha256(content).hexdigest() != found.sha256:
        raise UserError(
            f"证明材料“{found.name}”的内容与保存时的校验值不一致，可能已损坏或被改动，已拒绝打开。请联系系统管理员核查。"
        )
    folder = cache or evidence_cache()
    target: Path = folder / found.sha256[:16] / _file_name(found.name)
    if not _holds(target, found.sha256):
        _write_replacing(target, content, found.name, found.modified_at)
    _mark_used(target.parent)
    prune_evidence_cache(folder, keep=target.parent)
    return target


CACHE_DAYS = 30  # a copy not opened for this long is deleted; the database still has the original


def _mark_used(folder: Path) -> None:
    # The copy keeps the evidence's own date, so its folder's date says when it was last opened here.
    with contextlib.suppress(OSError):
        os.utime(folder)


def prune_evidence_cache(folder: Path, *, keep: Path | None = None, now: float | None = None) -> int:
    """Delete copies of server evidence not opened for CACHE_DAYS; returns how many were removed. Copies still
    open in a viewer (Windows refuses to delete them) are simply kept for next time."""
    cutoff = (time.time() if now is None else now) - CACHE_DAYS * 24 * 3600
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry == keep or not entry.is_dir() or entry.stat().st_mtime >= cutoff:
                continue
            shutil.rmtree(entry)
            removed += 1
        except OSError:
            continue
    return removed


# Characters no file name may hold on Windows (or that would make a path of it anywhere).
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def _file_name(name: str) -> str:
    """A stored name as one file name, safe on any system: no folders, nothing Windows refuses."""
    cleaned = _UNSAFE_IN_NAMES.sub("_", name).strip().rstrip(". ")
    return cleaned or "证明材料"


def _holds(path: Path, sha256: str) -> bool:
    """Whether path is already a good copy (kept as it is: it may be open in a viewer)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as reader:
            for block in iter(lambda: reader.read(1024 * 1024), b""):
                digest.update(block)
    except OSError:  # not there yet, or unreadable: written afresh
        return False
    return digest.hexdigest() == sha256


def _write_replacing(target: Path, content: bytes, name: str, modified: dt.datetime | None) -> None:
    """Write content to target through a temporary file beside it, so no half-written file is ever opened;
    with the file's own date (naive UTC), as a copy in a folder keeps it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as writer:
                writer.write(content)
            if modified is not None:
                stamp = modified.replace(tzinfo=dt.UTC).timestamp()
                os.utime(temporary, (stamp, stamp))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(
            f"无法把证明材料“{name}”写到本机的缓存文件夹 {target.parent}：{exc.strerror or exc}。"
            "如果它已在别的程序中打开，请先关闭后再试。"
        ) from exc


# --- reading ------------------------------------------------------------------------------------


def _task_row(task: PolicyTask, latest: TaskProgress | None, count: int, today: dt.date) -> TaskRow:
    units = [str(unit) for unit in task.lead_units or []]
    return TaskRow(
        id=task.id,
        number=task.number,
        title=task.title,
        lead_unit=units[0] if units else "",
        co_units=tuple(units[1:]),
        goal=task.goal,
        status=task.status,
        deadline=task.deadline,
        overdue=is_overdue(task.status, task.deadline, today),
        latest_on=latest.recorded_on if latest else None,
        latest_period=latest.period if latest else None,
        latest_note=latest.note if latest else None,
        note_count=count,
        version=task.version,
    )


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Past the deadline (the deadline day itself still counts as in time) and not finished."""
    return deadline is not None and deadline < today and status != DONE


def _newest_first() -> tuple[Any, ...]:
    return (TaskProgress.recorded_on.desc(), TaskProgress.id.desc())


def task_overview(session: Session, today: dt.date | None = None) -> list[TaskRow]:
    """Every task with its status, deadline, overdue flag and newest note, ordered by number."""
    today = today or dt.date.today()
    counted = session.execute(select(TaskProgress.task_id, func.count()).group_by(TaskProgress.task_id))
    counts = {task: count for task, count in counted}
    latest: dict[int, TaskProgress] = {}
    for note in session.scalars(select(TaskProgress).order_by(*_newest_first())):
        latest.setdefault(note.task_id, note)
    tasks = session.scalars(select(PolicyTask).order_by(PolicyTask.number))
    return [_task_row(task, latest.get(task.id), counts.get(task.id, 0), today) for task in tasks]


def overdue_tasks(session: Session, today: dt.date | None = None) -> list[TaskRow]:
    """The tasks past their deadline and not finished (the dashboard's alerts), by number."""
    return [row for row in task_overview(session, today) if row.overdue]


def supervision_table(session: Session, today: dt.date | None = None) -> list[SupervisionLine]:
    """The printable supervision table: one line per task, headed by SUPERVISION_HEADERS."""
    return [
        SupervisionLine(
            row.number, row.numeral, row.title, row.units_text, row.status, row.deadline, row.latest_text, row.overdue
        )
        for row in task_overview(session, today)
    ]


def _note_row(note: TaskProgress) -> NoteRow:
    stored = note.evidence_file
    return NoteRow(
        id=note.id,
        task_id=note.task_id,
        version=note.version,
        period=note.period,
        recorded_on=note.recorded_on,
        status=note.status,
        note=note.note,
        evidence_file=stored,
        evidence_name=Path(stored.replace("\\", "/")).name if stored else None,
        recorded_by=note.recorded_by,
        created_at=note.created_at,
    )


def task_notes(session: Session, task_id: int) -> list[NoteRow]:
    """A task's progress notes, newest first."""
    statement = select(TaskProgress).where(TaskProgress.task_id == task_id).order_by(*_newest_first())
    return [_note_row(note) for note in session.scalars(statement)]


def notes_by_task(session: Session) -> dict[int, list[NoteRow]]:
    """Every task's notes, newest first (there are few): what the supervision page loads at once."""
    notes: dict[int, list[NoteRow]] = {}
    for note in session.scalars(select(TaskProgress).order_by(*_newest_first())):
        notes.setdefault(note.task_id, []).append(_note_row(note))
    return notes


# --- validation ---------------------------------------------------------------------------------


def check_evidence(path: Path) -> str | None:
    """Why a file cannot be attached as evidence, or None."""
    try:
        if not path.exists():
            return f"证明材料文件不存在：{path}"
        if not path.is_file():
            return f"证明材料应为一个文件，而不是文件夹或设备：{path}"
        size = path.stat().st_size
    except OSError as exc:
        return f"无法读取证明材料 {path}：{exc.strerror or exc}"
    if size == 0:
        return f"证明材料“{path.name}”是空文件"
    if size > MAX_EVIDENCE_BYTES:
        limit = MAX_EVIDENCE_BYTES / 1024 / 1024
        return f"证明材料“{path.name}”过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit:g} MB"
    return None


def validate_note(values: Mapping[str, Any], evidence: Path | None, *, today: dt.date | None = None) -> list[Problem]:
    """Every problem with a progress note's values (keys of NOTE_FIELDS) and its evidence file."""
    today = today or dt.date.today()
    problems = [
        Problem(spec.key, message)
        for spec in NOTE_FIELDS
        if (message := check_value(spec, values.get(spec.key), today=today))
    ]
    if evidence is not None and (message := check_evidence(evidence)):
        problems.append(Problem(EVIDENCE_KEY, message))
    return problems


def validate_task(values: Mapping[str, Any], *, today: dt.date | None = None) -> list[Problem]:
    """Every problem with a task's status and deadline (keys of TASK_FIELDS)."""
    today = today or dt.date.today()
    return [
        Problem(spec.key, message)
        for spec in TASK_FIELDS
        if (message := check_value(spec, values.get(spec.key), today=today))
    ]


def _raise_on_errors(problems: list[Problem]) -> None:
    if any(problem.severity == "error" for problem in problems):
        raise ValidationFailed(problems)


# --- writing ------------------------------------------------------------------------------------


CITY_ONLY = "十五项政策任务由市级部门牵头，督查进展由市局记录；县级安装只能查看。"


def _load_task(session: Session, task_id: int) -> PolicyTask:
    task = session.get(PolicyTask, task_id)
    if task is None:
        raise NotFound(f"找不到编号为 {task_id} 的政策任务")
    return task


def _safe_name(name: str) -> str:
    """The original file name, shortened (keeping its extension) only when it would not fit the database."""
    if len(name) <= MAX_EVIDENCE_NAME:
        return name
    stem, suffix = os.path.splitext(name)
    suffix = suffix[:20]
    return stem[: MAX_EVIDENCE_NAME - len(suffix)] + suffix


def _copy_evidence(source: Path, folder: Path) -> Path:
    """Copy source into folder under its own name, or "name (2).ext" … if taken; never overwrites."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _safe_name(source.name)
    stem, suffix = os.path.splitext(name)
    number = 1
    while True:
        target = folder / (name if number == 1 else f"{stem} ({number}){suffix}")
        try:
            # O_EXCL claims the name atomically: two clerks saving "纪要.pdf" at once get two files.
            handle = open(target, "xb")  # noqa: SIM115 - closed below, removed again on failure
        except FileExistsError:
            number += 1
            continue
        try:
            with handle, source.open("rb") as reader:
                shutil.copyfileobj(reader, handle, 1024 * 1024)
            shutil.copystat(source, target)  # keeps the file's own date, which is part of the evidence
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target


def _store_in_database(session: Session, progress: TaskProgress, source: Path, task_number: int) -> tuple[str, str]:
    """Add the file's content for the (flushed) note to the session: saved or rolled back with the note itself,
    so there is nothing to clean up. Returns the marker the note keeps as its evidence_file, and the SHA-256."""
    try:
        with source.open("rb") as reader:
            content = reader.read(MAX_EVIDENCE_BYTES + 1)
            modified = os.fstat(reader.fileno()).st_mtime
    except OSError as exc:
        raise ValidationFailed([Problem(EVIDENCE_KEY, f"无法读取证明材料 {source}：{exc.strerror or exc}")]) from exc
    if not content or len(content) > MAX_EVIDENCE_BYTES:  # it changed after it was checked
        message = check_evidence(source) or f"证明材料“{source.name}”在保存时发生了变化，请重新选择"
        raise ValidationFailed([Problem(EVIDENCE_KEY, message)])
    name = _safe_name(source.name)
    digest = hashlib.sha256(content).hexdigest()
    session.add(
        EvidenceContent(
            task_progress_id=progress.id,
            name=name,
            size=len(content),
            sha256=digest,
            modified_at=dt.datetime.fromtimestamp(modified, dt.UTC).replace(tzinfo=None),
            content=content,
        )
    )
    return f"{DATABASE_MARKER}task-{task_number:02d}/{name}", digest


def _remove_unless_committed(session: Session, path: Path) -> None:
    """Delete a copied evidence file again if the transaction that refers to it is rolled back."""
    armed = True

    def committed(_session: Session) -> None:
        nonlocal armed
        armed = False

    def rolled_back(_session: Session) -> None:
        nonlocal armed
        if armed:
            armed = False
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def add_note(
    session: Session,
    actor: str,
    task_id: int,
    *,
    period: str,
    recorded_on: dt.date,
    status: str,
    note: str,
    evidence: Path | None,
    data_dir: Path,
    today: dt.date | None = None,
) -> int:
    """Record a dated progress note (the task takes the note's status) with an optional evidence file.

    On a server database the file's content is stored in the database with the note, in the same
    transaction (data_dir is not used). Beside a SQLite file it is copied into the data folder
    (evidence/task-NN/) last, after everything else has been checked and flushed; if the transaction then
    fails or is rolled back, the copy is removed again. Returns the new note's id.
    """
    require_city(session, CITY_ONLY)
    task = _load_task(session, task_id)
    period, note = clean_text(period or ""), (note or "").strip()
    values = {"period": period or None, "recorded_on": recorded_on, "status": status, "note": note or None}
    _raise_on_errors(validate_note(values, evidence, today=today))

    progress = TaskProgress(
        task_id=task.id, period=period, recorded_on=recorded_on, status=status, note=note, recorded_by=actor
    )
    session.add(progress)
    old_status = task.status
    task.status = status
    _flush_versioned(session, task)

    copied: Path | None = None
    sha256: str | None = None
    try:
        if evidence is not None:
            if keeps_evidence_in_database(session):
                progress.evidence_file, sha256 = _store_in_database(session, progress, evidence, task.number)
            else:
                copied = _copy_evidence(evidence, evidence_folder(data_dir, task.number))
                progress.evidence_file = copied.relative_to(data_dir).as_posix()
            session.flush()
        after = {
            "task": task.number,
            "period": progress.period,
            "recorded_on": recorded_on.isoformat(),
            "status": status,
            "note": progress.note,
            "evidence_file": progress.evidence_file,
            "evidence_source": str(evidence) if evidence is not None else None,
            # Kept apart from the content's own row: a later rewrite of both there still shows against this.
            "evidence_sha256": sha256,
        }
        record(session, actor, "create", "task_progress", str(progress.id), after=after)
        if old_status != status:
            record(
                session,
                actor,
                "update",
                "policy_task",
                str(task.id),
                before={"status": old_status},
                after={"status": status},
            )
        session.flush()
    except BaseException:
        if copied is not None:
            copied.unlink(missing_ok=True)
        raise
    if copied is not None:
        _remove_unless_committed(session, copied)
    return progress.id


def _flush_versioned(session: Session, task: PolicyTask) -> None:
    title = task.title  # a failed flush rolls back and expires the task: read what the message needs first
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionConflict(f"任务“{title}”刚刚被别处修改，本次未保存，请刷新后再操作。") from exc


def update_task(
    session: Session,
    actor: str,
    task_id: int,
    *,
    status: str,
    deadline: dt.date | None,
    expected_version: int,
    today: dt.date | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Set a task's status and deadline, opened at expected_version; returns {field: (old, new)}.

    Raises VersionConflict when the task was changed elsewhere (another window, a progress note)
    after it was read, so that nobody silently overwrites someone else's change.
    """
    require_city(session, CITY_ONLY)
    task = _load_task(session, task_id)
    if task.version != expected_version:
        raise VersionConflict(
            f"任务“{task.title}”已在别处被修改（{format_local(task.updated_at)}），"
            "为避免覆盖他人的修改，本次未保存。请刷新后核对再修改。"
        )
    _raise_on_errors(validate_task({"status": status, "deadline": deadline}, today=today))
    current = {"status": task.status, "deadline": task.deadline}
    wanted = {"status": status, "deadline": deadline}
    changes = {key: (current[key], wanted[key]) for key in current if current[key] != wanted[key]}
    if not changes:
        return {}
    task.status = status
    task.deadline = deadline
    _flush_versioned(session, task)
    record(
        session,
        actor,
        "update",
        "policy_task",
        str(task.id),
        before={key: _jsonable(old) for key, (old, _new) in changes.items()},
        after={key: _jsonable(new) for key, (_old, new) in changes.items()},
    )
    return changes


def delete_note(session: Session, actor: str, note_id: int, *, expected_version: int | None = None) -> None:
    """Delete a progress note; the task's status is not changed. An evidence file in the data folder stays
    where it is, so that the audit entry (which keeps the note's text and the file's path) still leads to it;
    evidence content kept in the database goes with the note (ON DELETE CASCADE)."""
    require_city(session, CITY_ONLY)
    progress = session.get(TaskProgress, note_id)
    if progress is None:
        raise NotFound("这条进展记录已不存在，可能已被删除")
    if expected_version is not None and progress.version != expected_version:
        raise VersionConflict("这条进展记录已在别处被修改，本次未删除。请刷新后再操作。")
    before = {
        "task": progress.task.number,
        "period": progress.period,
        "recorded_on": progress.recorded_on.isoformat(),
        "status": progress.status,
        "note": progress.note,
        "evidence_file": progress.evidence_file,
        "recorded_by": progress.recorded_by,
    }
    session.delete(progress)
    session.flush()
    record(session, actor, "delete", "task_progress", str(note_id), before=before)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
