"""The small dialogs of adoption: open a database read-only as another tool recorded it, and the
confirmation before adopting (like baseline's: it says exactly what will be written and recorded)."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from .pages import note


def _buttons(dialog: QDialog, ok_text: str) -> tuple[QDialogButtonBox, QPushButton]:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


class ForeignOpenDialog(QDialog):
    """Which tool, which database: the window then shows it read-only (``--from TOOL``)."""

    def __init__(self, tool: str | None, url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ...app.adopt import TOOLS
        from ..connections import ProfileStore, url_without_password

        self.setObjectName("foreign_open")
        self.setWindowTitle("Open database as another tool")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        lay.addWidget(note("The database is shown as the other tool recorded it, <b>read-only</b>: nothing is "
                           "written to it, in nexo's tables or the tool's."))
        form = QFormLayout()
        self.tool_box = QComboBox()
        self.tool_box.setObjectName("foreign_tool")
        for t in TOOLS:
            self.tool_box.addItem(t, t)
        if tool:
            self.tool_box.setCurrentIndex(max(self.tool_box.findData(tool), 0))
        self.profile_box = QComboBox()
        self.profile_box.addItem("(no profile)", None)
        for p in ProfileStore.load().profiles:
            self.profile_box.addItem(p.name, p.url)
        self.url_edit = QLineEdit(url_without_password(url) if url else "")
        self.url_edit.setObjectName("foreign_url")
        form.addRow("Tool:", self.tool_box)
        form.addRow("Profile:", self.profile_box)
        form.addRow("URL:", self.url_edit)
        lay.addLayout(form)
        buttons, self.ok_button = _buttons(self, "Open read-only")
        lay.addWidget(buttons)
        self.profile_box.currentIndexChanged.connect(self._profile)
        self.url_edit.textChanged.connect(lambda t: self.ok_button.setEnabled(bool(t.strip())))
        self.ok_button.setEnabled(bool(self.url_edit.text().strip()))

    def _profile(self) -> None:
        if self.profile_box.currentData():
            self.url_edit.setText(self.profile_box.currentData())

    @property
    def tool(self) -> str:
        return self.tool_box.currentData()

    @property
    def url(self) -> str:
        from ..connections import with_password

        return with_password(self.url_edit.text().strip())


class AdoptConfirmDialog(QDialog):
    """The last word before adopting: files written, migrations recorded, what stays pending."""

    def __init__(self, text: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adopt_confirm")
        self.setWindowTitle("Adopt")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        lay.addWidget(note(text, "adopt_confirm_text"))
        lay.addWidget(note(detail))
        buttons, self.ok_button = _buttons(self, "Adopt")
        lay.addWidget(buttons)
