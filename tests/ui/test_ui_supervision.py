"""目标任务 › 政策任务督查: the fifteen tasks, overdue marks, recording a note with evidence through the dialog,
opening and deleting notes, and a status change that meets someone else's change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ui.dialogs import prompts
from ui.jobs import JobRunner
from ui.pages import targets_supervision
from ui.pages.targets_supervision import COL_DEADLINE, COL_LEAD, COL_STATUS, SupervisionPanel, load_supervision
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import PolicyTask
from zjtx_desktop.supervision import add_note, data_folder, task_notes, task_overview, update_task


class Answers:
    """Stand-ins for the message boxes and the system's file opener."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.confirm_answer = True
        self.asked: list[str] = []
        self.warnings: list[str] = []
        self.opened: list[Path] = []
        monkeypatch.setattr(prompts, "confirm", self.confirm)
        monkeypatch.setattr(prompts, "warn", lambda _parent, _title, text: self.warnings.append(text))
        monkeypatch.setattr(prompts, "inform", lambda _parent, _title, _text: None)
        monkeypatch.setattr(targets_supervision, "open_local_file", self.open_file)

    def confirm(self, _parent: Any, _title: str, text: str, **_buttons: str) -> bool:
        self.asked.append(text)
        return self.confirm_answer

    def open_file(self, path: Path) -> bool:
        self.opened.append(path)
        return True


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return Answers(monkeypatch)


@pytest.fixture
def panel(qtbot: QtBot, jobs: JobRunner, ctx: AppContext) -> SupervisionPanel:
    widget = SupervisionPanel(jobs)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.set_context(ctx)
    widget.show()
    return widget


def reload(qtbot: QtBot, panel: SupervisionPanel) -> None:
    with qtbot.waitSignal(panel.loaded):
        panel.reload()


def set_deadline(ctx: AppContext, number: int, deadline: dt.date) -> None:
    with transaction(ctx.sessions) as session:
        session.scalars(select(PolicyTask).where(PolicyTask.number == number)).one().deadline = deadline


def row_of(panel: SupervisionPanel, number: int) -> int:
    return next(row for row in range(15) if (task := panel.task_model.task(row)) and task.number == number)


def test_the_panel_lists_the_fifteen_tasks(qtbot: QtBot, panel: SupervisionPanel) -> None:
    reload(qtbot, panel)
    model = panel.task_model
    assert model.rowCount() == 15
    assert model.column_texts(0)[:3] == ["一", "二", "三"]
    assert model.text(row_of(panel, 7), COL_LEAD) == "市质监局"
    assert "共 15 项任务" in panel.summary_label.text() and "无逾期任务" in panel.summary_label.text()
    # The first task is selected and its goal shown; it has no notes yet.
    assert panel.task_title.text() == "一、建立“专精特新”企业培育库"
    assert "目标：落实省市县分级培育" in panel.task_facts.text()
    assert panel.notes_stack.currentWidget() is panel.no_notes
    assert panel.record_button.isEnabled() and not panel.delete_button.isEnabled()


def test_an_overdue_task_is_marked_in_words_and_colour(qtbot: QtBot, panel: SupervisionPanel, ctx: AppContext) -> None:
    today = dt.date.today()
    set_deadline(ctx, 7, today - dt.timedelta(days=3))
    set_deadline(ctx, 12, today)  # due today: not yet overdue
    reload(qtbot, panel)
    model = panel.task_model
    late, due, other = row_of(panel, 7), row_of(panel, 12), row_of(panel, 8)
    assert model.text(late, COL_DEADLINE).endswith("（逾期）")
    assert model.data(model.index(late, 1), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.text(due, COL_DEADLINE) == today.isoformat()
    assert model.data(model.index(due, 1), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(other, 1), Qt.ItemDataRole.BackgroundRole) is None
    assert "逾期 1 项" in panel.summary_label.text()
    assert panel.select_task(7)
    assert "已逾期 3 天" in panel.task_facts.text()


@pytest.mark.sqlite_file  # the evidence folder; on a server: test_ui_supervision_server.py
def test_recording_a_note_with_evidence_through_the_dialog(
    qtbot: QtBot, panel: SupervisionPanel, ctx: AppContext, tmp_path: Path, answers: Answers
) -> None:
    evidence = tmp_path / "clerk" / "园区推进会纪要.pdf"
    evidence.parent.mkdir()
    evidence.write_bytes(b"%PDF-1.4 minutes")
    reload(qtbot, panel)
    assert panel.select_task(3)
    dialog = panel.record_progress()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    assert not dialog.save_button.isEnabled()  # 进展情况 is still empty

    dialog.form.editor("period").widget.setText("2018上半年")  # type: ignore[attr-defined]
    dialog.form.editor("recorded_on").focus_widget.setText("2018-06-30")  # type: ignore[attr-defined]
    status = dialog.form.editor("status").widget
    status.setCurrentIndex(status.findData("推进中"))  # type: ignore[attr-defined]
    dialog.form.editor("note").widget.setPlainText("新建小微企业园2个，另有3个在建")  # type: ignore[attr-defined]
    dialog.set_evidence(evidence)
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())

    with qtbot.waitSignal(panel.changed):
        dialog.save()
    qtbot.waitUntil(lambda: len(panel.notes()) == 1)
    assert not dialog.isVisible()

    shown = panel.notes()[0]
    assert (shown.period, shown.note, shown.evidence_name) == (
        "2018上半年",
        "新建小微企业园2个，另有3个在建",
        evidence.name,
    )
    assert panel.task_model.text(row_of(panel, 3), COL_STATUS) == "推进中"
    with ctx.sessions() as session:
        task_id = task_overview(session)[2].id
        stored = task_notes(session, task_id)
    assert [(note.recorded_on, note.status) for note in stored] == [(dt.date(2018, 6, 30), "推进中")]
    copy = data_folder(ctx.location) / "evidence" / "task-03" / evidence.name
    assert copy.read_bytes() == evidence.read_bytes()

    # Double-clicking the note opens the copy in the data folder, not the clerk's original.
    index = panel.note_model.index(0, 0)
    panel.note_table.doubleClicked.emit(index)
    assert answers.opened == [copy.resolve()]


def test_a_missing_evidence_file_blocks_saving(qtbot: QtBot, panel: SupervisionPanel, tmp_path: Path) -> None:
    reload(qtbot, panel)
    dialog = panel.record_progress()
    assert dialog is not None
    dialog.form.editor("note").widget.setPlainText("已部署")  # type: ignore[attr-defined]
    dialog.set_evidence(tmp_path / "不存在.pdf")
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    assert "证明材料文件不存在" in dialog.evidence_note.text()
    assert not dialog.save_button.isEnabled()
    dialog.set_evidence(None)
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    assert dialog.save_button.isEnabled()


@pytest.mark.sqlite_file  # the evidence folder; on a server: test_ui_supervision_server.py
def test_opening_and_deleting_a_note(
    qtbot: QtBot, panel: SupervisionPanel, ctx: AppContext, tmp_path: Path, answers: Answers
) -> None:
    evidence = tmp_path / "照片.jpg"
    evidence.write_bytes(b"jpeg")
    folder = data_folder(ctx.location)
    with transaction(ctx.sessions) as session:
        task_id = task_overview(session)[0].id
        add_note(
            session,
            "张科员",
            task_id,
            period="2018",
            recorded_on=dt.date(2018, 12, 20),
            status="已完成",
            note="名单已公布",
            evidence=evidence,
            data_dir=folder,
        )
    reload(qtbot, panel)
    assert panel.selected_note() is not None
    assert panel.open_button.isEnabled()
    panel.open_evidence()
    assert answers.opened == [(folder / "evidence" / "task-01" / "照片.jpg").resolve()]

    answers.confirm_answer = False
    panel.delete_selected_note()
    assert len(answers.asked) == 1 and "照片.jpg" in answers.asked[0]
    assert len(panel.notes()) == 1

    answers.confirm_answer = True
    with qtbot.waitSignal(panel.changed):
        panel.delete_selected_note()
    qtbot.waitUntil(lambda: panel.notes_stack.currentWidget() is panel.no_notes)
    with ctx.sessions() as session:
        assert task_notes(session, task_id) == []
    assert (folder / "evidence" / "task-01" / "照片.jpg").exists()  # kept for the audit trail
    assert answers.warnings == []


def test_a_status_change_does_not_overwrite_someone_elses(
    qtbot: QtBot, panel: SupervisionPanel, ctx: AppContext, answers: Answers
) -> None:
    reload(qtbot, panel)
    assert panel.select_task(5)
    dialog = panel.edit_task()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.validation_pending())
    opened = panel.selected_task()
    assert opened is not None
    with transaction(ctx.sessions) as session:  # another clerk saves first
        update_task(
            session, "王科员", opened.id, status="滞后", deadline=dt.date(2020, 6, 30), expected_version=opened.version
        )
    dialog.form.editor("deadline").focus_widget.setText("2020-12-31")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    dialog.save()
    qtbot.waitUntil(lambda: bool(answers.warnings))
    assert "已在别处被修改" in answers.warnings[0]
    with ctx.sessions() as session:
        task = task_overview(session)[4]
    assert (task.status, task.deadline) == ("滞后", dt.date(2020, 6, 30))


def test_a_county_installation_only_reads(qtbot: QtBot, jobs: JobRunner, county_ctx: AppContext) -> None:
    panel = SupervisionPanel(jobs)
    qtbot.addWidget(panel)
    panel.set_context(county_ctx)
    panel.show_data(load_supervision(county_ctx))
    assert panel.task_model.rowCount() == 15
    assert not panel.record_button.isEnabled() and not panel.settings_button.isEnabled()
    assert not panel.read_only_note.isHidden()
