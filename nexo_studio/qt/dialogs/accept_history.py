"""The accept-history dialog: review a tampered or broken history before accepting it."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..models import HistoryProblemModel
from ..palette import status_colour
from ..panels import DetailsPane
from ..theme import icon
from .common import _note


class AcceptHistoryDialog(QDialog):
    """Confirmation for ``repair --accept-history``: shows exactly which history rows (by seq, each
    as it is now) and which lost rows or tables are accepted, that the acceptance is itself
    recorded in the history, and what it leaves to repair. OK stays disabled until the user
    ticks that they checked them. The problems were read by the worker before the dialog opened
    and are handed back to the operation, which refuses if the database now shows others."""

    def __init__(self, problems, display_url: str, operator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problems = problems
        self.setWindowTitle("Accept the tampered history")
        self.setMinimumSize(1020, 600)
        layout = QVBoxLayout(self)
        bad = status_colour("failed").name()
        intro = _note(f"<b style='color:{bad}'>The history of {html.escape(display_url)} was changed outside Nexo.</b> "
                      "Restoring a backup is the safer fix. Accepting records that you checked the problems "
                      "below and take the history as it is now: nothing is rewritten, the rows stay exactly "
                      "as found and keep showing what was done to them.")
        intro.setObjectName("intro")
        layout.addWidget(intro)
        self.model = HistoryProblemModel(self)
        self.model.set_problems(problems.breaks, problems.rows)
        if problems.breaks:
            seqs = ", ".join(str(s) for s in problems.seqs)
            layout.addWidget(_note(f"<b>{len(problems.breaks)}</b> history row(s) break the hash chain "
                                   f"(seq {seqs}); select one to see it as it is now:"))
            self.table = QTableView()
            self.table.setObjectName("problem_rows")
            self.table.setModel(self.model)
            self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            self.table.verticalHeader().setVisible(False)
            self.table.horizontalHeader().setStretchLastSection(True)
            self.table.resizeColumnsToContents()
            # the reason is also in the tooltip; capped so the row's operator and host stay in view
            self.table.setColumnWidth(1, min(self.table.columnWidth(1), 330))
            self.table.setColumnWidth(4, min(self.table.columnWidth(4), 240))
            self.details = DetailsPane()
            self.details.setObjectName("problem_details")
            split = QSplitter(Qt.Orientation.Vertical)
            split.addWidget(self.table)
            split.addWidget(self.details)
            split.setSizes([150, 200])
            layout.addWidget(split, 1)
            self.table.selectionModel().currentRowChanged.connect(self._show_row)
            self.table.selectRow(0)
        if problems.tables:
            lost = _note("<b>Lost history rows or state tables:</b><br>"
                         + "<br>".join(f"• {html.escape(t)}" for t in problems.tables))
            lost.setObjectName("tables")
            layout.addWidget(lost)
        what = (f"The acceptance is itself recorded in the history: a <b>repair</b> row (accept-history) "
                f"by <b>{html.escape(operator)}</b>, naming "
                + (f"seq {', '.join(str(s) for s in problems.seqs)} and each row's hash as found "
                   "(a row edited again later breaks the chain again)" if problems.breaks else "what was lost")
                + ". <code>nexo audit verify</code> and the audit reports will show what was accepted.")
        self.recorded_note = _note(what)
        self.recorded_note.setObjectName("recorded")
        layout.addWidget(self.recorded_note)
        if problems.remaining:
            warn = status_colour("pending").name()
            left = _note(f"<span style='color:{warn}'><b>Not resolved by this</b> (check each migration's "
                         "objects, then use Repair…):</span><br>"
                         + "<br>".join(f"• {html.escape(r)}" for r in problems.remaining))
            left.setObjectName("remaining")
            layout.addWidget(left)
        self.understand = QCheckBox("I have checked these rows and accept the history as it is now, on record")
        self.understand.setObjectName("understand")
        layout.addWidget(self.understand)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Accept and record")
        self.ok_button.setIcon(icon("warning"))
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.understand.toggled.connect(self.ok_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _show_row(self, current, _previous=None) -> None:
        h = self.model.event_at(current.row()) if current.isValid() else None
        if h is not None:
            self.details.show_event(h)
