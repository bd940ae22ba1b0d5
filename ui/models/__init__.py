"""Qt table models over the core's query results, one per table view."""

from __future__ import annotations

from typing import TypeAlias

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

# What Qt passes as an index to model overrides.
AnyIndex: TypeAlias = QModelIndex | QPersistentModelIndex

# The invalid index, the default `parent` of rowCount/columnCount (one shared instance).
ROOT = QModelIndex()
