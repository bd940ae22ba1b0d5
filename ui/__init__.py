"""The Qt (PySide6) layer of ZJTX Desktop: windows, pages, dialogs and table models over the core."""
