"""政策任务督查 on a shared server: the dialog says where the evidence goes, the panel opens it from the database
(read on the worker, checked, copied to the user's cache) and says that deleting the note deletes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from ui.dialogs import prompts
from ui.dialogs.task_note_dialog import EVIDENCE_HINT_SERVER
from ui.jobs import JobRunner
from ui.pages import targets_supervision
from ui.pages.targets_supervision import SupervisionPanel
from zjtx_desktop.context import AppContext
from zjtx_desktop.supervision import evidence_cache

pytestmark = pytest.mark.postgres


def test_evidence_is_saved_to_and_opened_from_the_shared_database(
    qtbot: QtBot, jobs: JobRunner, ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    asked: list[str] = []
    warnings: list[str] = []
    monkeypatch.setattr(targets_supervision, "open_local_file", lambda path: opened.append(path) or True)
    monkeypatch.setattr(prompts, "warn", lambda _parent, _title, message: warnings.append(message))

    def confirm(_parent: Any, _title: str, message: str, **_buttons: str) -> bool:
        asked.append(message)
        return False

    monkeypatch.setattr(prompts, "confirm", confirm)
    evidence = tmp_path / "clerk" / "园区推进会纪要.pdf"
    evidence.parent.mkdir()
    evidence.write_bytes(b"%PDF-1.4 minutes")

    panel = SupervisionPanel(jobs)
    qtbot.addWidget(panel)
    panel.set_context(ctx)
    with qtbot.waitSignal(panel.loaded):
        panel.reload()
    assert panel.select_task(3)
    dialog = panel.record_progress()
    assert dialog is not None
    assert dialog.evidence_note.text() == EVIDENCE_HINT_SERVER and "共享数据库" in EVIDENCE_HINT_SERVER
    dialog.form.editor("note").widget.setPlainText("新建小微企业园2个")  # type: ignore[attr-defined]
    dialog.set_evidence(evidence)
    qtbot.waitUntil(lambda: not dialog.validation_pending() and dialog.save_button.isEnabled())
    assert dialog.evidence_note.text() == EVIDENCE_HINT_SERVER
    with qtbot.waitSignal(panel.changed):
        dialog.save()
    qtbot.waitUntil(lambda: len(panel.notes()) == 1)
    note = panel.notes()[0]
    assert note.evidence_in_database and note.evidence_name == "园区推进会纪要.pdf"
    assert panel.open_button.isEnabled()

    panel.open_evidence()
    qtbot.waitUntil(lambda: bool(opened))
    assert opened[0].is_relative_to(evidence_cache()) and opened[0].name == "园区推进会纪要.pdf"
    assert opened[0].read_bytes() == b"%PDF-1.4 minutes"

    panel.delete_selected_note()
    assert len(asked) == 1 and "保存在共享数据库中，将随记录一并删除" in asked[0]
    assert warnings == []
