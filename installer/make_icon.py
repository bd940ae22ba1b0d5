"""Draw resources/icons/app.svg into a multi-size Windows .ico for the executable (run by zjtx.spec).

Qt renders the SVG at each size (sharper than scaling one bitmap down), Pillow writes the .ico.
Usage: python installer/make_icon.py OUT.ico
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
SOURCE = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app.svg"


def render_png(size: int) -> bytes:
    """The icon as a size × size PNG with a transparent background."""
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise ValueError(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, b"PNG")
    return bytes(buffer.data().data())


def make_icon(out: Path) -> None:
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication([])
    images = [Image.open(io.BytesIO(render_png(size))) for size in SIZES]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Pillow writes every size listed, each from the largest image unless given its own via append_images.
    images[-1].save(out, format="ICO", sizes=[(size, size) for size in SIZES], append_images=images[:-1])
    del app


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python installer/make_icon.py OUT.ico")
    make_icon(Path(sys.argv[1]))
