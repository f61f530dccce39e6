"""The deploy dialog's checks: what the deploy would meet, shown before it is confirmed."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..theme import icon


class ChecksPanel(QWidget):
    """A reason line (why Deploy is disabled) and one row per finding."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.reason = QLabel()
        self.reason.setObjectName("deploy_reason")
        self.reason.setWordWrap(True)
        layout.addWidget(self.reason)
        self.view = QListWidget()
        self.view.setObjectName("deploy_checks")
        self.view.setMaximumHeight(160)
        self.view.setIconSize(QSize(16, 16))
        # long ids: wrap inside the dialog instead of hiding the end behind a scroll bar
        self.view.setWordWrap(True)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.view)

    def rows(self) -> list[str]:
        return [self.view.item(i).text() for i in range(self.view.count())]

    def set_reason(self, reason: str | None, checking: bool) -> None:
        if checking:
            self.reason.setText("Checking the database: validation, the deploy lock, lint risks, schema drift…")
        elif reason:
            self.reason.setText(f"<b>Deploy is disabled:</b> {reason}")
        else:
            self.reason.setText("Checks passed: nothing stops this deploy.")

    def show_failure(self, text: str) -> None:
        self.view.clear()
        self._add("warning", text)

    def show_check(self, check, project, allow_drift: bool = False) -> None:
        """Show the panel with what ``check`` found (not ``show``: QWidget's, without arguments)."""
        super().show()
        self.view.clear()
        for e in check.errors:
            self._add("error", f"Validation error: {e}")
        for b in check.blocked:
            self._add("error", f"Needs repair: {b}")
        for mid in check.irreversible:
            self._add("warning", f"Irreversible: {mid} has no down section; it cannot be rolled back")
        if check.lock_holder:
            self._add("warning", f"Deploy lock held by {check.lock_holder}; deploy waits for it")
        else:
            self._add("info", "Deploy lock: free")
        for f in check.findings:
            allowed = f" (allowed: {f.allowed_reason})" if f.allowed else ""
            self._add(f.level, f"Risk [{f.code}] {f.migration_id} line {f.line}: {f.message}{allowed}")
        if check.lint_error:
            self._add("warning", f"Lint risks could not be read: {check.lint_error}")
        self._drift(check, allow_drift)

    def _drift(self, check, allowed: bool) -> None:
        """The live schema against the last snapshot: each change a blocker unless drift is allowed."""
        status = getattr(check, "drift_status", "")
        for line in getattr(check, "drift", ()):
            self._add("warning" if allowed else "error", f"Schema drift{' (allowed)' if allowed else ''}: {line}")
        if status == "none":
            self._add("info", "Schema drift: none (the live schema matches the last snapshot)")
        elif status == "no_snapshot":
            self._add("info", "Schema drift: no snapshot yet (this deploy records one)")
        elif status == "stale":
            self._add("warning", "Schema drift: the last snapshot is out of date; this deploy records a new one")
        elif status == "unknown":
            self._add("warning", f"Schema drift not checked: {check.drift_reason}")

    def _add(self, level: str, text: str) -> None:
        item = QListWidgetItem(text)
        if level in ("error", "warning"):
            item.setIcon(icon(level))
        item.setToolTip(text)
        self.view.addItem(item)
