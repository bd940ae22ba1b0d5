"""Pages whose work is still to be built: each says plainly what it will offer, and nothing more."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.jobs import JobRunner
from ui.page_names import PAGE_TITLES
from ui.widgets import Page, note_label

PLANNED: dict[str, str] = {
    "cultivation": "培育管理：企业入库、认定、升级和退出等培育记录的登记与查询将在此提供。",
}


class PlannedPage(Page):
    """A page title and one honest sentence about what the page will hold."""

    has_data = False

    def __init__(self, jobs: JobRunner, name: str, parent: QWidget | None = None) -> None:
        super().__init__(PAGE_TITLES[name], jobs, parent)
        self.name = name
        self.note = note_label(PLANNED[name])
        self.body.addWidget(self.note)
        self.body.addStretch(1)
