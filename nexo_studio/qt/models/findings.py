"""Validation findings as a table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt

from ...core.validate import Finding
from .common import ID_ROLE, _Index, _RowsTableModel


class FindingsModel(_RowsTableModel):
    COLUMNS = ("Level", "Code", "Migration", "Message", "Location")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[Finding, ...] = ()

    def set_findings(self, findings: Iterable[Finding]) -> None:
        rows = sorted(findings, key=lambda f: (f.level != "error", f.code, f.ids))
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def finding(self, row: int) -> Finding:
        return self._rows[row]

    def counts(self) -> tuple[int, int]:
        errors = sum(1 for f in self._rows if f.level == "error")
        return errors, len(self._rows) - errors

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        f = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f.level
            if col == 1:
                return f.code.replace("_", " ")
            if col == 2:
                return ", ".join(f.ids)
            if col == 3:
                return f.message
            if col == 4:
                if f.path is None:
                    return ""
                return f"{f.path.name}:{f.line}" if f.line else f.path.name
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            from ..theme import icon

            return icon("error" if f.level == "error" else "warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{f.message}\n{f.path}" if f.path else f.message
        if role == ID_ROLE:
            return f.ids[0] if f.ids else None
        return None
