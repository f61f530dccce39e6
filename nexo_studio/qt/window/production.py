"""Production profiles: a window opened from a profile marked production is coloured (a red
status bar and connection label, "PRODUCTION" first in the title) and every operation that
changes the database asks a second time, by typing the profile's name."""
from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

#: jobs that change the database (or its files): a production window asks twice
CHANGING_JOBS = frozenset({"deploy", "rollback", "repair", "restore", "baseline", "accept-history", "snapshot"})
PRODUCTION_STYLE = ("QStatusBar { background: #b71c1c; color: white; } "
                    "QStatusBar QLabel { color: white; font-weight: bold; }")


#: at most this many production targets are named in the dialog's text (the rest: "and N more")
NAMED_TARGETS = 40


class ProductionConfirm(QDialog):
    """The second question: type the profile name to go on. For a fleet run (``targets``: the
    production targets it would change), the targets are named and the phrase to type is
    ``app.fleet.production.phrase`` (the one target's name, or "N production targets")."""

    def __init__(self, profile: str, what: str, parent: QWidget | None = None,
                 targets: Sequence[str] = ()) -> None:
        super().__init__(parent)
        self.setObjectName("production_confirm")
        layout = QVBoxLayout(self)
        if targets:
            from ...app.fleet.production import phrase

            profile = phrase(targets)
            # names break between names only (a non-breaking hyphen inside them)
            shown = ", ".join(html.escape(t).replace("-", "\u2011") for t in targets[:NAMED_TARGETS])
            more = f" and {len(targets) - NAMED_TARGETS} more" if len(targets) > NAMED_TARGETS else ""
            self.setWindowTitle(f"Production: {len(targets)} target(s)")
            label = QLabel(f"{len(targets)} target(s) tagged <b style='color:#c62828'>production</b>: "
                           f"{shown}{more}.<br>To {what} them, type <b>{html.escape(profile)}</b>:")
            label.setWordWrap(True)
            label.setMinimumWidth(460)
            label.setMaximumWidth(640)
        else:
            self.setWindowTitle(f"Production: {profile}")
            label = QLabel(f"<b>{profile}</b> is marked <b style='color:#c62828'>production</b>.<br>"
                           f"To {what} it, type the profile name:")
        label.setObjectName("production_text")
        layout.addWidget(label)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("production_name")
        layout.addWidget(self.name_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(f"{what.capitalize()} production")
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.name_edit.textChanged.connect(lambda t: self.ok_button.setEnabled(t.strip() == profile))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


class WindowProduction:
    """Mixin-free helpers the window calls (kept out of the window's own modules)."""

    @staticmethod
    def apply_look(window, production: bool) -> None:  # noqa: ANN001
        window.production = production
        window.statusBar().setStyleSheet(PRODUCTION_STYLE if production else "")
        if production and not window.windowTitle().startswith("PRODUCTION"):
            window.setWindowTitle("PRODUCTION — " + window.windowTitle())

    @staticmethod
    async def confirm(window, job_name: str) -> bool:  # noqa: ANN001
        """True to go on: not production, not a changing job, or the name was typed."""
        if not getattr(window, "production", False) or job_name not in CHANGING_JOBS:
            return True
        what = job_name.replace("-", " ")
        return await window._dialog(ProductionConfirm(window.profile_name or "production", what, window))
