"""What only the CLI could do: a new migration (`nexo new`) and a baseline (`nexo baseline`)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Project, Snapshot
from ..theme import icon
from .common import _note

NAME = re.compile(r"[a-z0-9_]+")


class NewMigrationDialog(QDialog):
    """Name (``[a-z0-9_]+``, checked as typed) and dependencies (the current heads preselected)."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New migration")
        self.setMinimumSize(560, 420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("name")
        self.name_edit.setPlaceholderText("add_invoices_table")
        self.name_edit.setValidator(QRegularExpressionValidator(r"[a-zA-Z0-9_ ]*", self.name_edit))
        form.addRow("Name:", self.name_edit)
        self.python_box = QCheckBox("Python migration (up/down/verify functions)")
        form.addRow("Kind:", self.python_box)
        layout.addLayout(form)
        layout.addWidget(_note("Depends on (the current heads are ticked):"))
        self.deps = QListWidget()
        self.deps.setObjectName("depends")
        heads = set(project.graph.heads()) if project.migrations else set()
        for mid in sorted(project.migrations, key=lambda i: project.migrations[i].version, reverse=True):
            item = QListWidgetItem(mid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if mid in heads else Qt.CheckState.Unchecked)
            self.deps.addItem(item)
        layout.addWidget(self.deps, 1)
        self.reason = _note()
        self.reason.setObjectName("reason")
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create")
        self.ok_button.setIcon(icon("open"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        name = self.name_edit.text()
        if not name:
            why = "Type a name: lower-case letters, digits and underscores."
        elif not NAME.fullmatch(name):
            why = f"“{name}” is not a valid name: use only a-z, 0-9 and _ (no capitals or spaces)."
        else:
            why = None
        self.reason.setText(why or "")
        self.ok_button.setEnabled(why is None)
        self.ok_button.setToolTip(why or "")

    def depends(self) -> list[str]:
        return [self.deps.item(i).text() for i in range(self.deps.count())
                if self.deps.item(i).checkState() == Qt.CheckState.Checked]


class BaselineDialog(QDialog):
    """Confirm like the CLI: mark everything up to a migration as applied without running it."""

    def __init__(self, project: Project, snapshot: Snapshot, selected: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Baseline")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(_note("Baseline marks a migration and everything before it in apply order as "
                               "<b>applied without running it</b>: for a database whose schema already "
                               "has them. It is recorded in the history."))
        form = QFormLayout()
        self.to_box = QComboBox()
        self.to_box.setObjectName("baseline_to")
        order = project.order()
        for mid in reversed(order):
            self.to_box.addItem(mid, mid)
        if selected:
            self.to_box.setCurrentIndex(max(self.to_box.findData(selected), 0))
        form.addRow("Up to:", self.to_box)
        layout.addLayout(form)
        self.summary = _note()
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Baseline")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._order, self._snapshot = order, snapshot
        self.to_box.currentIndexChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        to = self.to_box.currentData()
        ids = self._order[: self._order.index(to) + 1] if to in self._order else []
        pending = [i for i in ids if (st := self._snapshot.by_id.get(i)) is None or not st.is_applied]
        self.summary.setText(f"Mark everything up to <b>{to}</b> as applied without running it? "
                             f"{len(pending)} migration(s) not applied yet will be marked.")
        self.ok_button.setEnabled(bool(to))

    def target(self) -> str:
        return self.to_box.currentData()
