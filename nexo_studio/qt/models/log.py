"""The log: entries, the model and the level filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from .common import ROW_ROLE, _Index, _RowsTableModel


LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class LogEntry:
    time: datetime
    level: str  # debug, info, warning, error
    source: str  # "nexo" (the application) or a migration id (SQL from its file)
    message: str

    def as_text(self) -> str:
        return f"{self.time:%H:%M:%S.%f}"[:12] + f"  {self.level.upper():7}  {self.source}  {self.message}"


class LogModel(_RowsTableModel):
    """Append-only; keeps the newest ``limit`` entries."""

    COLUMNS = ("Time", "Level", "Source", "Message")

    def __init__(self, parent=None, limit: int = 20000) -> None:
        super().__init__(parent)
        self._rows: list[LogEntry] = []
        self.limit = limit

    def append(self, entries: Sequence[LogEntry]) -> None:
        if not entries:
            return
        entries = list(entries)[-self.limit:]
        overflow = len(self._rows) + len(entries) - self.limit
        if overflow > 0:
            drop = min(max(overflow, self.limit // 10), len(self._rows))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self._rows[:drop]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        return self._rows[row]

    def entries(self) -> tuple[LogEntry, ...]:
        return tuple(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        e = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return e.time.strftime("%H:%M:%S")
            if col == 1:
                return e.level
            if col == 2:
                return e.source
            if col == 3:
                first, _, rest = e.message.partition("\n")
                return first + (" …" if rest else "")
            return None
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and "\n" in e.message:
            return e.message
        if role == Qt.ItemDataRole.ForegroundRole:
            if e.level == "error":
                return QColor("#d64545")
            if e.level == "warning":
                return QColor("#c07f00")
            if e.level == "debug" and col != 3:
                return QColor("#8a8f98")
            return None
        if role == Qt.ItemDataRole.FontRole and e.level == "debug" and col == 3:
            from ..theme import monospace_font

            return monospace_font()
        if role == ROW_ROLE:
            return e
        return None


class LogFilterProxy(QSortFilterProxyModel):
    """Shows entries at or above a minimum level."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._min = 1

    def set_min_level(self, level: str) -> None:
        self.beginFilterChange()
        self._min = LEVELS.index(level)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, LogModel) or source_row >= model.rowCount():
            return True
        return LEVELS.index(model.entry(source_row).level) >= self._min
