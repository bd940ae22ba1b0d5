"""The bundled CJK font, offered to reportlab and matplotlib from one place (Qt registers it in ui/)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from zjtx_desktop.paths import resource_path

FONT_FILE = "wqy-microhei.ttc"
FONT_FAMILY = "WenQuanYi Micro Hei"  # the family name inside the file, as Qt and matplotlib see it
REPORTLAB_FONT = "ZJTXSans"  # the name reports use with reportlab


def font_path() -> Path:
    return resource_path("fonts", FONT_FILE)


@cache
def register_reportlab_font() -> str:
    """Register the font with reportlab (TrueType outlines, subset-embedded) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REPORTLAB_FONT, str(font_path()), subfontIndex=0))
    return REPORTLAB_FONT


@cache
def configure_matplotlib() -> str:
    """Make matplotlib draw Chinese with the bundled font; imported lazily (matplotlib is slow to load)."""
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    matplotlib.rcParams["font.family"] = [FONT_FAMILY, "sans-serif"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FONT_FAMILY


@cache
def covered_codepoints() -> frozenset[int]:
    """Characters the bundled font can draw, to warn instead of letting rare characters vanish."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(font_path()), lazy=True)
    cmap = collection.fonts[0].getBestCmap() or {}
    return frozenset(cmap)


def missing_characters(text: str) -> list[str]:
    covered = covered_codepoints()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})
