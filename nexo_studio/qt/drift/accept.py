""""Accept as the new schema…": the confirmation before recording the live schema as the accepted
one (the GUI's ``nexo snapshot --yes``), naming the database and every change it accepts."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QVBoxLayout, QWidget

from ..theme import icon
from .summary import count_text


class AcceptSchemaDialog(QDialog):
    def __init__(self, verdict: Any, database: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accept_schema_dialog")
        self.setWindowTitle("Accept as the new schema")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        changes = list(getattr(verdict, "changes", None) or ())
        database = html.escape(database)
        if changes:
            what = (f"The live schema of <b>{database}</b> differs from the last snapshot by "
                    f"{count_text(len(changes))}. Accepting records the live schema as the accepted one: "
                    "drift is then measured from it, and deploy no longer refuses these changes.")
        else:
            what = (f"<b>{database}</b> has no schema snapshot yet. Accepting records its live schema as the "
                    "accepted one, so that later changes made by hand are found.")
        text = QLabel(what)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.changes = QListWidget()
        self.changes.setObjectName("accepted_changes")
        for c in changes:
            self.changes.addItem(str(c))
        self.changes.setVisible(bool(changes))
        layout.addWidget(self.changes, 1)
        note = QLabel("Nothing in the schema changes; a <code>snapshot</code> row is added to the history.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("accept_schema")
        self.ok_button.setText("Accept as the new schema")
        self.ok_button.setIcon(icon("validate"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
