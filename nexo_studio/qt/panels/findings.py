"""The findings pane: validation findings; activating one opens it."""

from __future__ import annotations


from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ..models import FindingsModel
from .common import _table


class FindingsPane(QWidget):
    finding_activated = Signal(object)  # Finding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.summary = QLabel("Not validated yet")
        self.summary.setContentsMargins(6, 2, 6, 0)
        layout.addWidget(self.summary)
        self.view = _table(QTableView(), 22)
        self.view.setObjectName("findings_table")
        self.view.setModel(self.model)
        hh = self.view.horizontalHeader()
        for col, w in enumerate((90, 130, 260)):
            hh.resizeSection(col, w)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        hh.resizeSection(4, 200)
        self.view.doubleClicked.connect(lambda i: self.finding_activated.emit(self.model.finding(i.row())))
        layout.addWidget(self.view, 1)

    def set_findings(self, findings, state_read: bool = True) -> None:
        """``state_read``: False when the database could not be read (nothing is said about it)."""
        self.model.set_findings(findings)
        errors, warnings = self.model.counts()
        clean = ("No findings: files, dependencies and state are consistent." if state_read else
                 "No findings in the files and dependencies; the database's state could not be read.")
        self.summary.setText(f"{errors} error(s), {warnings} warning(s) — double-click one to open the file at its line"
                             if errors or warnings else clean)
