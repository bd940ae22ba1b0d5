"""政策任务督查: the fifteen tasks with their units, progress notes with evidence copied into the data folder,
overdue detection, version checks, and refusals that change nothing.

The tests marked sqlite_file look at the evidence folder beside the SQLite file; on a server the evidence is
kept in the database instead (tests/core/test_evidence_store.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from zjtx_desktop import supervision
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AuditEntry, PolicyTask, TaskProgress
from zjtx_desktop.registry import VersionConflict
from zjtx_desktop.supervision import (
    add_note,
    data_folder,
    delete_note,
    evidence_path,
    overdue_tasks,
    supervision_table,
    task_notes,
    task_overview,
    update_task,
)

TODAY = dt.date(2019, 3, 1)


@pytest.fixture
def data_dir(ctx: AppContext) -> Path:
    return data_folder(ctx.location)


def task_id(ctx: AppContext, number: int) -> int:
    with ctx.sessions() as session:
        found = session.scalars(select(PolicyTask.id).where(PolicyTask.number == number)).one()
        return int(found)


def write_file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def note(ctx: AppContext, data_dir: Path, number: int = 3, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "period": "2018上半年",
        "recorded_on": dt.date(2018, 6, 30),
        "status": "推进中",
        "note": "新建小微企业园2个，另有3个在建",
        "evidence": None,
        **overrides,
    }
    with transaction(ctx.sessions) as session:
        return add_note(session, "张科员", task_id(ctx, number), data_dir=data_dir, today=TODAY, **values)


def counts(ctx: AppContext) -> tuple[int, int]:
    with ctx.sessions() as session:
        notes = session.scalar(select(func.count()).select_from(TaskProgress))
        audits = session.scalar(select(func.count()).select_from(AuditEntry))
        return int(notes or 0), int(audits or 0)


def evidence_files(data_dir: Path) -> list[Path]:
    folder = data_dir / supervision.EVIDENCE_FOLDER
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.mark.sqlite_file
def test_the_evidence_folder_is_the_database_folder(ctx: AppContext, db_path: Path) -> None:
    assert data_folder(ctx.location) == db_path.parent


def test_overview_lists_the_fifteen_tasks_with_their_units(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        rows = task_overview(session, TODAY)
    assert [row.number for row in rows] == list(range(1, 16))
    assert all(row.lead_unit for row in rows)
    assert all(row.status == "未启动" and row.note_count == 0 and not row.overdue for row in rows)
    credit = rows[14]
    assert credit.numeral == "十五"
    assert credit.title == "完善企业信用体系"
    assert credit.lead_unit == "市发改委"
    assert credit.co_units == ("市经信委", "市市场监管局", "人行丽水中心支行", "丽水银监分局")
    assert credit.units_text.startswith("牵头：市发改委；配合：市经信委、")
    assert rows[6].lead_unit == "市质监局" and rows[6].co_units == ()
    assert rows[2].goal == "新建小微企业园15个"
    assert supervision.TASK_STATUSES == ("未启动", "推进中", "已完成", "滞后")


@pytest.mark.sqlite_file
def test_a_note_with_evidence_is_copied_sets_the_status_and_is_audited(
    ctx: AppContext, data_dir: Path, tmp_path: Path
) -> None:
    original = write_file(tmp_path / "送来的材料" / "园区建设推进会纪要.pdf", b"%PDF-1.4 minutes")
    before_notes, before_audits = counts(ctx)

    note_id = note(ctx, data_dir, evidence=original)

    with ctx.sessions() as session:
        notes = task_notes(session, task_id(ctx, 3))
        task = session.get(PolicyTask, task_id(ctx, 3))
        assert task is not None and task.status == "推进中"
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.entity).where(AuditEntry.id > before_audits)
        ).all()
    assert [row.id for row in notes] == [note_id]
    stored = notes[0]
    assert stored.evidence_file == "evidence/task-03/园区建设推进会纪要.pdf"
    assert stored.evidence_name == "园区建设推进会纪要.pdf"
    assert stored.recorded_by == "张科员"
    copy = evidence_path(data_dir, stored.evidence_file)
    assert copy.read_bytes() == b"%PDF-1.4 minutes"
    assert original.read_bytes() == b"%PDF-1.4 minutes"  # the clerk's own file is left where it was
    assert counts(ctx) == (before_notes + 1, before_audits + 2)
    assert set(actions) == {("create", "task_progress"), ("update", "policy_task")}
    assert audit is not None and audit.actor == "张科员"

    # A second file of the same name is kept beside the first, never over it.
    other = write_file(tmp_path / "另一份" / "园区建设推进会纪要.pdf", b"second")
    note(ctx, data_dir, evidence=other, recorded_on=dt.date(2018, 12, 31), period="2018", status="已完成")
    with ctx.sessions() as session:
        newest, oldest = task_notes(session, task_id(ctx, 3))
    assert newest.evidence_file == "evidence/task-03/园区建设推进会纪要 (2).pdf"
    assert evidence_path(data_dir, newest.evidence_file).read_bytes() == b"second"
    assert copy.read_bytes() == b"%PDF-1.4 minutes"
    assert oldest.id == note_id


def test_the_overview_shows_the_newest_note(ctx: AppContext, data_dir: Path) -> None:
    note(ctx, data_dir, recorded_on=dt.date(2018, 6, 30), period="2018上半年", note="上半年")
    note(ctx, data_dir, recorded_on=dt.date(2018, 12, 31), period="2018", note="全年", status="已完成")
    note(ctx, data_dir, recorded_on=dt.date(2018, 3, 31), period="2018一季度", note="补记一季度", status="推进中")
    with ctx.sessions() as session:
        row = task_overview(session, TODAY)[2]
    assert row.note_count == 3
    assert (row.latest_on, row.latest_period, row.latest_note) == (dt.date(2018, 12, 31), "2018", "全年")
    assert row.latest_text == "2018-12-31（2018）全年"
    assert row.status == "推进中"  # the note saved last sets the status, whatever its date


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"note": "   "}, "进展情况不能为空"),
        ({"period": ""}, "期间不能为空"),
        ({"period": "二〇一八年上半年及下半年的各项工作推进情况"}, "期间过长"),
        ({"status": "进行中"}, "任务状态应为未启动、推进中、已完成、滞后之一"),
        ({"recorded_on": TODAY + dt.timedelta(days=1)}, "记录日期不能晚于今天"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    ctx: AppContext, data_dir: Path, tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    evidence = write_file(tmp_path / "材料.pdf", b"evidence")
    before = counts(ctx)
    with pytest.raises(UserError, match=message):
        note(ctx, data_dir, evidence=evidence, **overrides)
    assert counts(ctx) == before
    assert evidence_files(data_dir) == []
    with ctx.sessions() as session:
        assert session.scalars(select(PolicyTask.status).where(PolicyTask.number == 3)).one() == "未启动"


@pytest.mark.sqlite_file
def test_missing_folder_and_too_large_evidence_are_refused(
    ctx: AppContext, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(ctx)
    with pytest.raises(UserError, match="证明材料文件不存在"):
        note(ctx, data_dir, evidence=tmp_path / "没有这个文件.pdf")
    with pytest.raises(UserError, match="应为一个文件"):
        note(ctx, data_dir, evidence=tmp_path)
    with pytest.raises(UserError, match="空文件"):
        note(ctx, data_dir, evidence=write_file(tmp_path / "空.pdf", b""))
    monkeypatch.setattr(supervision, "MAX_EVIDENCE_BYTES", 10)
    big = write_file(tmp_path / "扫描件.pdf", b"x" * 11)
    with pytest.raises(UserError, match="过大"):
        note(ctx, data_dir, evidence=big)
    assert counts(ctx) == before
    assert evidence_files(data_dir) == []
    # Exactly at the limit is accepted.
    note(ctx, data_dir, evidence=write_file(tmp_path / "刚好.pdf", b"x" * 10))
    assert [path.name for path in evidence_files(data_dir)] == ["刚好.pdf"]


@pytest.mark.sqlite_file
def test_a_failed_or_rolled_back_write_leaves_no_copied_file(
    ctx: AppContext, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = write_file(tmp_path / "材料.docx", b"evidence")
    before = counts(ctx)

    # Rolled back by the caller after the service returned (a later step of the same transaction failed).
    with ctx.sessions() as session:
        add_note(
            session,
            "张科员",
            task_id(ctx, 5),
            period="2018",
            recorded_on=dt.date(2018, 5, 1),
            status="推进中",
            note="成果转化对接会",
            evidence=evidence,
            data_dir=data_dir,
            today=TODAY,
        )
        assert len(evidence_files(data_dir)) == 1
        session.rollback()
    assert evidence_files(data_dir) == []

    # Failing inside the service after the copy (the audit entry cannot be written).
    def broken_record(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(supervision, "record", broken_record)
    with pytest.raises(RuntimeError):
        note(ctx, data_dir, evidence=evidence)
    assert evidence_files(data_dir) == []
    assert counts(ctx) == before
    assert evidence.read_bytes() == b"evidence"


def test_overdue_at_the_deadline_edge(ctx: AppContext) -> None:
    deadlines = {3: TODAY, 7: TODAY - dt.timedelta(days=1), 8: TODAY - dt.timedelta(days=30), 12: None}
    with transaction(ctx.sessions) as session:
        for number, deadline in deadlines.items():
            task = session.scalars(select(PolicyTask).where(PolicyTask.number == number)).one()
            task.deadline = deadline
        done = session.scalars(select(PolicyTask).where(PolicyTask.number == 8)).one()
        done.status = "已完成"
        late = session.scalars(select(PolicyTask).where(PolicyTask.number == 9)).one()
        late.status = "滞后"  # marked 滞后 by hand, but with no deadline it is not overdue
    with ctx.sessions() as session:
        rows = {row.number: row for row in task_overview(session, TODAY)}
        overdue = overdue_tasks(session, TODAY)
        table = supervision_table(session, TODAY)
    assert not rows[3].overdue  # due today: still in time
    assert rows[7].overdue  # due yesterday, not finished
    assert not rows[8].overdue  # past the deadline, but finished
    assert not rows[9].overdue and not rows[12].overdue
    assert [row.number for row in overdue] == [7]
    line = table[6]
    assert (line.number, line.overdue) == (7, True)
    assert line.cells()[:5] == ["七", "提高产品质量标准", "牵头：市质监局", "未启动（逾期）", "2019-02-28"]
    assert len(table) == 15 and len(line.cells()) == len(supervision.SUPERVISION_HEADERS)


def test_update_task_checks_the_version_and_is_audited(ctx: AppContext, data_dir: Path) -> None:
    with ctx.sessions() as session:
        opened = task_overview(session, TODAY)[11]
    with transaction(ctx.sessions) as session:
        changes = update_task(
            session,
            "李科长",
            opened.id,
            status="推进中",
            deadline=dt.date(2020, 12, 31),
            expected_version=opened.version,
            today=TODAY,
        )
    assert changes == {"status": ("未启动", "推进中"), "deadline": (None, dt.date(2020, 12, 31))}
    with ctx.sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.actor, entry.action, entry.entity) == ("李科长", "update", "policy_task")
        assert entry.after == {"status": "推进中", "deadline": "2020-12-31"}
        assert task_overview(session, TODAY)[11].deadline == dt.date(2020, 12, 31)

    # A second window still holding the old version must not overwrite the change.
    before = counts(ctx)
    with pytest.raises(VersionConflict, match="已在别处被修改"), transaction(ctx.sessions) as session:
        update_task(
            session, "王科员", opened.id, status="已完成", deadline=None, expected_version=opened.version, today=TODAY
        )
    assert counts(ctx) == before
    with ctx.sessions() as session:
        assert task_overview(session, TODAY)[11].status == "推进中"

    with pytest.raises(UserError, match="任务状态应为"), transaction(ctx.sessions) as session:
        current = task_overview(session, TODAY)[11]
        update_task(
            session, "王科员", current.id, status="完成", deadline=None, expected_version=current.version, today=TODAY
        )


def test_a_note_changes_the_task_version(ctx: AppContext, data_dir: Path) -> None:
    with ctx.sessions() as session:
        opened = task_overview(session, TODAY)[2]
    note(ctx, data_dir, status="滞后")
    with pytest.raises(VersionConflict), transaction(ctx.sessions) as session:
        update_task(session, "王科员", opened.id, status="推进中", deadline=None, expected_version=opened.version)


@pytest.mark.sqlite_file
def test_deleting_a_note_keeps_its_evidence_and_is_audited(ctx: AppContext, data_dir: Path, tmp_path: Path) -> None:
    note_id = note(ctx, data_dir, evidence=write_file(tmp_path / "照片.jpg", b"jpeg"))
    with transaction(ctx.sessions) as session:
        delete_note(session, "张科员", note_id)
    with ctx.sessions() as session:
        assert task_notes(session, task_id(ctx, 3)) == []
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.action, entry.entity) == ("delete", "task_progress")
        assert entry.before is not None and entry.before["evidence_file"] == "evidence/task-03/照片.jpg"
        assert task_overview(session, TODAY)[2].status == "推进中"  # deleting a note does not change the status
    assert evidence_path(data_dir, "evidence/task-03/照片.jpg").read_bytes() == b"jpeg"
    with pytest.raises(UserError, match="已不存在"), transaction(ctx.sessions) as session:
        delete_note(session, "张科员", note_id)


def test_evidence_path_refuses_to_leave_the_data_folder(tmp_path: Path) -> None:
    root = tmp_path / "数据"
    root.mkdir()
    assert evidence_path(root, "evidence/task-01/a.pdf") == (root / "evidence" / "task-01" / "a.pdf").resolve()
    for stored in ("../x", "evidence/../../x", "/etc/passwd", "", "."):
        with pytest.raises(UserError):
            evidence_path(root, stored)


def test_a_county_installation_reads_but_does_not_write(ctx: AppContext, tmp_path: Path) -> None:
    from zjtx_desktop.registry import PermissionDenied
    from zjtx_desktop.settings import configure_installation

    with transaction(ctx.sessions) as session:
        configure_installation(session, "331121", None, "2024-01-02T03:04:05")
    with transaction(ctx.sessions) as session:
        [task] = [t for t in task_overview(session, TODAY) if t.number == 3]
    with pytest.raises(PermissionDenied, match="县级安装只能查看"), transaction(ctx.sessions) as session:
        add_note(
            session, "青田科员", task.id, period="2024", recorded_on=TODAY, status="推进中", note="已开工",
            evidence=None, data_dir=tmp_path,
        )  # fmt: skip
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        update_task(session, "青田科员", task.id, status="滞后", deadline=None, expected_version=task.version)
    with transaction(ctx.sessions) as session:
        assert [t.note_count for t in task_overview(session, TODAY) if t.number == 3] == [0]
