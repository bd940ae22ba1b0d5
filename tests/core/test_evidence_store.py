"""Where a progress note's evidence is kept: beside a SQLite file in the data folder, in the database itself on
a shared server, so that a file saved on one PC opens on every other; rollback, deletion and damage."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from zjtx_desktop import supervision
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AuditEntry, EvidenceContent, PolicyTask, TaskProgress
from zjtx_desktop.registry import NotFound
from zjtx_desktop.supervision import (
    NoteRow,
    add_note,
    data_folder,
    delete_note,
    evidence_cache,
    evidence_to_open,
    prune_evidence_cache,
    task_notes,
)

TODAY = dt.date(2019, 3, 1)
MINUTES = "%PDF-1.4 园区建设推进会纪要".encode() + bytes(range(256)) * 64  # every byte value, not only text
FILE_DATE = dt.datetime(2018, 6, 29, 8, 30, tzinfo=dt.UTC).timestamp()


def write_file(path: Path, content: bytes = MINUTES) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (FILE_DATE, FILE_DATE))
    return path


def task_id(ctx: AppContext, number: int = 3) -> int:
    with ctx.sessions() as session:
        return int(session.scalars(select(PolicyTask.id).where(PolicyTask.number == number)).one())


def save(ctx: AppContext, evidence: Path | None, number: int = 3, **overrides: Any) -> int:
    values: dict[str, Any] = {"period": "2018上半年", "recorded_on": dt.date(2018, 6, 30), "status": "推进中"}
    with transaction(ctx.sessions) as session:
        return add_note(
            session,
            "张科员",
            task_id(ctx, number),
            note="新建小微企业园2个",
            evidence=evidence,
            data_dir=data_folder(ctx.location),
            today=TODAY,
            **{**values, **overrides},
        )


def the_note(ctx: AppContext, note_id: int, number: int = 3) -> NoteRow:
    with ctx.sessions() as session:
        return next(note for note in task_notes(session, task_id(ctx, number)) if note.id == note_id)


def open_evidence(ctx: AppContext, note: NoteRow) -> Path:
    with ctx.sessions() as session:
        return evidence_to_open(session, note, data_folder(ctx.location))


def stored(ctx: AppContext) -> tuple[int, int]:
    """(progress notes, evidence contents) in the database."""
    with ctx.sessions() as session:
        notes = session.scalar(select(func.count()).select_from(TaskProgress))
        contents = session.scalar(select(func.count()).select_from(EvidenceContent))
        return int(notes or 0), int(contents or 0)


def folder_files(folder: Path) -> list[Path]:
    """Every evidence file in a data folder (copies beside a SQLite file, the cache of a server's)."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix != ".sqlite3")


def on_server(ctx: AppContext) -> bool:
    return not ctx.location.is_sqlite


# --- on either backend (the ctx fixture: SQLite, or PostgreSQL with ZJTX_TEST_BACKEND=postgresql) -----------


def test_saved_evidence_opens_as_it_was_and_the_audit_entry_names_it(ctx: AppContext, tmp_path: Path) -> None:
    original = write_file(tmp_path / "送来的材料" / "园区建设推进会纪要.pdf")
    note_id = save(ctx, original)

    note = the_note(ctx, note_id)
    assert note.evidence_name == "园区建设推进会纪要.pdf"
    path = open_evidence(ctx, note)
    assert path.name == "园区建设推进会纪要.pdf"  # the system picks the program by the name
    assert path.read_bytes() == MINUTES
    assert path.stat().st_mtime == FILE_DATE  # the file's own date is part of the evidence
    if on_server(ctx):
        assert note.evidence_file == "db:task-03/园区建设推进会纪要.pdf" and note.evidence_in_database
        assert path.is_relative_to(evidence_cache())
        assert stored(ctx) == (1, 1)
    else:
        assert note.evidence_file == "evidence/task-03/园区建设推进会纪要.pdf" and not note.evidence_in_database
        assert path.is_relative_to(data_folder(ctx.location).resolve())
        assert stored(ctx) == (1, 0)  # the table exists on SQLite too, and stays empty
    with ctx.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "task_progress", AuditEntry.entity_id == str(note_id))
        ).one()
    assert entry.after is not None and entry.after["evidence_file"] == note.evidence_file
    assert entry.after["evidence_source"] == str(original)
    # On a server the audit entry keeps the content's SHA-256 apart from the content's own row.
    expected = hashlib.sha256(MINUTES).hexdigest() if on_server(ctx) else None
    assert entry.after["evidence_sha256"] == expected


def test_a_rolled_back_note_leaves_no_evidence_behind(ctx: AppContext, tmp_path: Path) -> None:
    evidence = write_file(tmp_path / "材料.docx")
    before = stored(ctx)
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
            data_dir=data_folder(ctx.location),
            today=TODAY,
        )
        session.rollback()
    assert stored(ctx) == before
    assert folder_files(data_folder(ctx.location) / supervision.EVIDENCE_FOLDER) == []


def test_evidence_that_is_gone_is_reported_in_chinese(ctx: AppContext, tmp_path: Path) -> None:
    note = the_note(ctx, save(ctx, write_file(tmp_path / "照片.jpg", b"jpeg")))
    if on_server(ctx):
        with ctx.sessions.begin() as session:
            session.execute(text("DELETE FROM evidence_content"))
        words = "证明材料“照片.jpg”已不在数据库中"
    else:
        (data_folder(ctx.location) / "evidence" / "task-03" / "照片.jpg").unlink()
        words = "证明材料文件已不在数据文件夹中"
    with pytest.raises(NotFound, match=words):
        open_evidence(ctx, note)


# --- always on a server: two PCs sharing one PostgreSQL database -----------------------------------------


@pytest.fixture
def clients(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AppContext]]:
    """Two clients of one server database, each with its own per-user data folder (ZJTX_DATA_DIR is read when
    a folder is needed, so a test switches PCs with `as_pc`)."""
    contexts = [open_database(resolve_location(pg_url), actor=f"客户端{n}") for n in (1, 2)]
    yield contexts
    for context in contexts:
        context.close()


def as_pc(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    monkeypatch.setenv("ZJTX_DATA_DIR", str(folder))
    return folder


@pytest.mark.postgres
def test_a_file_saved_on_one_pc_opens_on_another(
    clients: list[AppContext], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = clients
    first_folder = as_pc(monkeypatch, tmp_path / "第一台电脑")
    note_id = save(first, write_file(tmp_path / "科员桌面" / "会议纪要.pdf"))
    assert folder_files(first_folder) == []  # nothing was left on the PC that saved it

    second_folder = as_pc(monkeypatch, tmp_path / "第二台电脑")
    note = the_note(second, note_id)
    path = open_evidence(second, note)
    assert path.is_relative_to(second_folder / "cache" / "evidence")
    assert path.name == "会议纪要.pdf" and path.read_bytes() == MINUTES
    assert folder_files(second_folder) == [path]
    assert open_evidence(second, note) == path  # opened again: the good copy is reused

    path.write_bytes(b"edited in the viewer")  # the cache is a copy, never the evidence itself
    assert open_evidence(second, note).read_bytes() == MINUTES


@pytest.mark.postgres
def test_failed_or_rolled_back_writes_leave_no_content(
    clients: list[AppContext], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = clients[0]
    evidence = write_file(tmp_path / "材料.docx")
    before = stored(ctx)

    def broken_record(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("connection lost")

    with monkeypatch.context() as patched:
        patched.setattr(supervision, "record", broken_record)
        with pytest.raises(RuntimeError):
            save(ctx, evidence)
    assert stored(ctx) == before

    # A file that grew past the limit after it was checked is refused when it is read.
    monkeypatch.setattr(supervision, "MAX_EVIDENCE_BYTES", len(MINUTES) - 1)
    monkeypatch.setattr(supervision, "validate_note", lambda *_args, **_kwargs: [])
    with pytest.raises(UserError, match="过大"):
        save(ctx, evidence)
    assert stored(ctx) == before


@pytest.mark.postgres
def test_deleting_a_note_deletes_its_content(clients: list[AppContext], tmp_path: Path) -> None:
    ctx = clients[0]
    note = the_note(ctx, save(ctx, write_file(tmp_path / "照片.jpg", b"jpeg")))
    kept = save(ctx, write_file(tmp_path / "另一份.pdf", b"other"), recorded_on=dt.date(2018, 7, 1))
    with transaction(ctx.sessions) as session:
        delete_note(session, "张科员", note.id)
    assert stored(ctx) == (1, 1)
    with ctx.sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and (entry.action, entry.entity) == ("delete", "task_progress")
    assert entry.before is not None and entry.before["evidence_file"] == "db:task-03/照片.jpg"
    with pytest.raises(NotFound, match="已不在数据库中"):
        open_evidence(ctx, note)
    assert open_evidence(ctx, the_note(ctx, kept)).read_bytes() == b"other"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE evidence_content SET content = 'forged'::bytea",
        "UPDATE evidence_content SET sha256 = repeat('0', 64)",
        "UPDATE evidence_content SET size = size + 1",
    ],
)
def test_altered_content_is_refused(clients: list[AppContext], tmp_path: Path, statement: str) -> None:
    ctx = clients[0]
    note = the_note(ctx, save(ctx, write_file(tmp_path / "统计表.xlsx")))
    with ctx.sessions.begin() as session:
        session.execute(text(statement))
    with pytest.raises(UserError, match=r"证明材料“统计表\.xlsx”的内容与保存时的校验值不一致"):
        open_evidence(ctx, note)
    assert folder_files(evidence_cache()) == []


@pytest.mark.postgres
def test_a_stored_name_never_leads_out_of_the_cache(clients: list[AppContext], tmp_path: Path) -> None:
    ctx = clients[0]
    note = the_note(ctx, save(ctx, write_file(tmp_path / '会议:纪要?"终稿".pdf')))
    assert open_evidence(ctx, note).name == "会议_纪要__终稿_.pdf"  # Windows refuses : ? " in names
    for name, expected in (("../../../outside.pdf", ".._.._.._outside.pdf"), ("..", "证明材料")):
        with ctx.sessions.begin() as session:
            session.execute(text("UPDATE evidence_content SET name = :name"), {"name": name})
        path = open_evidence(ctx, note)
        assert path.name == expected and path.parent.parent == evidence_cache()
        assert path.read_bytes() == MINUTES


def test_copies_not_opened_for_a_month_are_removed_from_the_cache(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    cache = tmp_path / "cache" / "evidence"
    old, recent, kept = cache / "0123456789abcdef", cache / "fedcba9876543210", cache / "00000000aaaaaaaa"
    for folder, days in ((old, 31), (recent, 29), (kept, 90)):
        (folder / "纪要.pdf").parent.mkdir(parents=True)
        (folder / "纪要.pdf").write_bytes(b"%PDF")
        os.utime(folder, (now - days * 86400, now - days * 86400))
    assert prune_evidence_cache(cache, keep=kept, now=now) == 1
    assert not old.exists() and recent.exists() and kept.exists()
    assert prune_evidence_cache(tmp_path / "没有这个文件夹", now=now) == 0


@pytest.mark.postgres
def test_opening_marks_the_copy_used_and_clears_stale_ones(
    clients: list[AppContext], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = clients[0]
    as_pc(monkeypatch, tmp_path / "电脑")
    note = the_note(ctx, save(ctx, write_file(tmp_path / "科员桌面" / "会议纪要.pdf")))
    stale = evidence_cache() / "0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "去年的材料.pdf").write_bytes(b"%PDF")
    long_ago = time.time() - 60 * 86400
    os.utime(stale, (long_ago, long_ago))
    path = open_evidence(ctx, note)
    assert not stale.exists()
    assert path.parent.stat().st_mtime > long_ago + 59 * 86400  # this copy's folder says it was just used
