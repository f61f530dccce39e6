"""The restore dialog: choose a backup to restore over the database."""

from __future__ import annotations


from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..models import fmt_time
from ..palette import status_colour
from ..theme import icon
from .common import _note


class RestoreDialog(QDialog):
    """Pick a backup from the list recorded in history (read by the worker)."""

    def __init__(self, backups: list[dict], display_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup")
        self.setMinimumSize(760, 380)
        self.backups = backups
        layout = QVBoxLayout(self)
        layout.addWidget(_note(f"Backups of <b>{display_url}</b> recorded in the history, newest first. "
                               "Restoring replaces the whole database with the backup; everything changed "
                               "after it is lost (the audit history is kept)."))
        self.table = QTableWidget(len(backups), 4)
        self.table.setObjectName("backups")
        self.table.setHorizontalHeaderLabels(["Created (UTC)", "Size", "File", "Path"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for r, b in enumerate(backups):
            size = b.get("size")
            cells = [fmt_time(b.get("created_at")), f"{size / 1024:,.1f} KiB" if size else "",
                     "present" if b.get("exists") else "missing", str(b.get("path") or "")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and not b.get("exists"):
                    item.setForeground(status_colour("failed"))
                self.table.setItem(r, c, item)
        hh = self.table.horizontalHeader()
        for c in range(3):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.understand = QCheckBox("Replace the database with this backup; everything changed after it is lost")
        self.understand.setObjectName("understand")
        self.understand.toggled.connect(self._selection)
        layout.addWidget(self.understand)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Restore")
        self.ok_button.setIcon(icon("restore"))
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.itemSelectionChanged.connect(self._selection)
        for r, b in enumerate(backups):
            if b.get("exists"):
                self.table.selectRow(r)
                break

    def _selection(self, *_args) -> None:
        b = self.selected()
        self.ok_button.setEnabled(bool(b and b.get("exists")) and self.understand.isChecked())

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None
