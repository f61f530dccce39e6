"""The repair dialog: how to resolve a dirty, failed, drifted or missing migration."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Snapshot
from ..palette import STATUS_LABELS, status_icon
from ..theme import icon
from ..sql_view import CodeView
from .common import _note


def drift_diff(st, dialect: str) -> str:
    """The unified diff between the recorded ``up_text`` and the file's ``up`` ('' when the
    applied text was not recorded)."""
    import difflib

    applied = (st.row.metadata or {}).get("up_text") if st.row is not None else None
    section = st.migration.section("up", dialect) if st.migration is not None else None
    if applied is None or section is None:
        return ""
    name = st.migration.path.name if st.migration.path else st.id
    lines = difflib.unified_diff(applied.splitlines(keepends=True), section.text.splitlines(keepends=True),
                                 f"{name} (applied)", f"{name} (file now)")
    return "".join(lines) or "(the up sections are equal; another section changed)"


REPAIRS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    # status -> [(key, label, kwargs for operations.repair)]
    "dirty": [("mark-applied", "Mark as applied (I finished it by hand)", {"mark": "applied"}),
              ("mark-rolled-back", "Mark as rolled back (I undid its partial changes)", {"mark": "rolled-back"})],
    "drifted": [("accept-checksum", "Accept the changed file (record its new checksum)", {"accept_checksum": True}),
                ("mark-rolled-back", "Mark as rolled back", {"mark": "rolled-back"})],
    "missing": [("forget-missing", "Forget it (drop its row; its file is gone)", {"forget_missing": True})],
}


class RepairDialog(QDialog):
    def __init__(self, snapshot: Snapshot, migration_id: str | None, parent: QWidget | None = None,
                 drift=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Repair")
        self.setMinimumWidth(560)
        self.snapshot = snapshot
        layout = QVBoxLayout(self)
        self.candidates = [s for s in snapshot.states if s.status in REPAIRS]
        form = QFormLayout()
        self.which = QComboBox()
        self.which.setObjectName("migration")
        for s in self.candidates:
            self.which.addItem(status_icon(s.status), f"{s.id} ({STATUS_LABELS.get(s.status, s.status)})", s.id)
        if migration_id:
            self.which.setCurrentIndex(max(self.which.findData(migration_id), 0))
        form.addRow("Migration:", self.which)
        layout.addLayout(form)
        self.actions_box = QGroupBox("Resolve by")
        self.actions_layout = QVBoxLayout(self.actions_box)
        self.action_group = QButtonGroup(self)
        layout.addWidget(self.actions_box)
        self.diff_label = _note()
        layout.addWidget(self.diff_label)
        self.diff_view = CodeView()
        self.diff_view.setObjectName("drift_diff")
        self.diff_view.setMinimumHeight(160)
        layout.addWidget(self.diff_view, 1)
        self._schema_drift(layout, drift)
        self.note = _note("Repair changes only Nexo's records, never your schema; it is recorded in the history.")
        layout.addWidget(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Repair")
        self.ok_button.setIcon(icon("repair"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.which.currentIndexChanged.connect(self._fill)
        self._fill()

    def _schema_drift(self, layout: QVBoxLayout, drift) -> None:
        """The live schema's drift from the last snapshot (``nexo drift``), when there is any:
        repair does not touch it; the Drift view accepts it."""
        changes = [str(c) for c in getattr(drift, "changes", None) or ()] if getattr(drift, "drifted", False) else []
        self.schema_label = _note(f"<b>Schema drift:</b> the live schema differs from the last snapshot by "
                                  f"{len(changes)} change(s) made outside Nexo. Repair does not change them; "
                                  "accept them in the Drift view (“Accept as the new schema…”) or undo them by hand."
                                  if changes else "")
        self.schema_view = CodeView()
        self.schema_view.setObjectName("schema_drift")
        self.schema_view.set_source("\n".join(changes))
        self.schema_view.setMaximumHeight(120)
        for w in (self.schema_label, self.schema_view):
            w.setVisible(bool(changes))
            layout.addWidget(w)

    def _fill(self) -> None:
        for b in self.action_group.buttons():
            self.action_group.removeButton(b)
            b.deleteLater()
        mid = self.which.currentData()
        st = self.snapshot.by_id.get(mid) if mid else None
        for i, (key, label, _kw) in enumerate(REPAIRS.get(st.status, []) if st else []):
            rb = QRadioButton(label)
            rb.setProperty("repair", key)
            rb.setChecked(i == 0)
            self.action_group.addButton(rb)
            self.actions_layout.addWidget(rb)
        self.ok_button.setEnabled(bool(st))
        self._show_diff(st)

    def _show_diff(self, st) -> None:
        """For a drifted migration: the unified diff from the applied ``up`` to the file's."""
        text = drift_diff(st, self.snapshot.dialect) if st is not None and st.status == "drifted" else None
        self.diff_label.setVisible(text is not None)
        self.diff_view.setVisible(bool(text))
        if text is None:
            return
        if text:
            self.diff_label.setText("The up section as applied (---) and as the file has it now (+++):")
        else:
            self.diff_label.setText("The applied up text was not recorded (applied before Nexo kept it), "
                                    "so no diff can be shown; only the checksum differs.")
        self.diff_view.set_source(text)

    def choice(self) -> tuple[str, dict] | None:
        mid = self.which.currentData()
        st = self.snapshot.by_id.get(mid) if mid else None
        checked = self.action_group.checkedButton()
        if not st or checked is None:
            return None
        key = checked.property("repair")
        kwargs = next(kw for k, _l, kw in REPAIRS[st.status] if k == key)
        return mid, kwargs
