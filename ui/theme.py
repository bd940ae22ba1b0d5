"""Shared look: spacing, colours that painted widgets share with the stylesheet, icons, font and .qss."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QFont, QFontDatabase, QIcon

from zjtx_desktop.fonts import FONT_FAMILY, font_path
from zjtx_desktop.paths import resource_path

log = logging.getLogger(__name__)

# Spacing, in pixels, used by every page so the screens line up.
PAGE_MARGIN = 20
SPACING = 10
ROW_HEIGHT = 30
NAV_WIDTH = 176
NAV_ROW_HEIGHT = 40
BASE_POINT_SIZE = 10

# Colours painted in code; keep in step with resources/styles/app.qss.
ACCENT = "#1f5fa8"
ACCENT_DARK = "#174a85"
TRACK = "#e3e7ec"
DONE_COMPLETE = "#2f7d4f"
TEXT = "#1d2733"
TEXT_MUTED = "#5b6573"
TOTAL_ROW_BACKGROUND = "#eef1f5"
# Status tones (good / warn / bad / neutral): text colours dark enough to read on white, and always
# paired with words, never colour alone.
TONE_COLOURS = {"good": "#2f7d4f", "warn": "#9a6400", "bad": "#b3261e", "neutral": TEXT_MUTED}
TONE_BACKGROUNDS = {"good": "#e8f3ec", "warn": "#fdf3e1", "bad": "#fbe9e7", "neutral": "#f1f3f5"}


def icon(name: str) -> QIcon:
    """An icon from resources/icons/<name>.svg (an empty icon if the file is missing)."""
    path = resource_path("icons", f"{name}.svg")
    if not path.exists():
        log.warning("icon %s not found", path)
        return QIcon()
    return QIcon(str(path))


def app_icon() -> QIcon:
    return icon("app")


def load_stylesheet() -> str:
    path = resource_path("styles", "app.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        # A missing stylesheet leaves the plain Qt look; not a reason to refuse to start.
        log.warning("stylesheet %s could not be read", path)
        return ""
    # url() in a stylesheet is relative to the working directory, not to the .qss file.
    return text.replace("@ICONS@", resource_path("icons").as_posix())


@cache
def register_bundled_font() -> str | None:
    """Register the bundled CJK font with Qt (needs a QGuiApplication) and return its family name.

    Without it, a machine with no Chinese font draws every label as boxes.
    """
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    if font_id < 0:
        log.warning("could not register the bundled font %s", font_path())
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    return FONT_FAMILY if FONT_FAMILY in families else (families[0] if families else None)


def application_font() -> QFont:
    family = register_bundled_font()
    font = QFont(family) if family else QFont()
    font.setPointSize(BASE_POINT_SIZE)
    return font


def bold(font: QFont) -> QFont:
    copy = QFont(font)
    copy.setBold(True)
    return copy
