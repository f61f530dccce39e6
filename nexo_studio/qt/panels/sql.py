"""The SQL tab: a migration's sections (or a file at a line) in the code view."""

from __future__ import annotations

import html
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabBar, QVBoxLayout, QWidget

from ...core.model import SECTION_KINDS, SectionKind
from ...core.project import Project
from ..sql_view import CodeView


class SqlPane(QWidget):
    """The selected migration's file, or one of its sections for the connected dialect."""

    PARTS: tuple[Literal["file"] | SectionKind, ...] = ("file", *SECTION_KINDS)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 4)
        self.title = QLabel("Select a migration")
        self.title.setObjectName("sql_title")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.title, 1)
        self.parts = QTabBar()
        self.parts.setObjectName("sql_parts")
        self.parts.setDrawBase(False)
        self.parts.setExpanding(False)
        for label in ("Whole file", "up", "down", "verify"):
            self.parts.addTab(label)
        self.parts.currentChanged.connect(lambda _i: self._show())
        top.addWidget(self.parts)
        layout.addLayout(top)
        self.code = CodeView()
        self.code.setObjectName("sql_code")
        layout.addWidget(self.code, 1)
        self.project: Project | None = None
        self.dialect: str | None = None
        self.migration_id: str | None = None
        self._file_override: tuple[str, str] | None = None

    def set_context(self, project: Project | None, dialect: str | None) -> None:
        self.project, self.dialect = project, dialect
        if self.migration_id:
            self.show_migration(self.migration_id, keep_part=True)

    def show_migration(self, migration_id: str | None, keep_part: bool = False) -> None:
        self.migration_id = migration_id
        self._file_override = None
        if not keep_part:
            self.parts.blockSignals(True)
            self.parts.setCurrentIndex(0)
            self.parts.blockSignals(False)
        self._show()

    def show_file_line(self, path, line: int | None, migration_id: str | None = None) -> None:
        """Show a whole file at a line (validate findings)."""
        self.migration_id = migration_id
        self.parts.blockSignals(True)
        self.parts.setCurrentIndex(0)
        self.parts.blockSignals(False)
        m = self.project.migrations.get(migration_id) if (self.project and migration_id) else None
        if m is None and path is not None:
            try:
                text = path.read_text(encoding="utf-8-sig", errors="replace")
            except OSError as exc:
                text = f"-- cannot read {path}: {exc}"
            self._file_override = (str(path), text)
        self._show()
        if line:
            self.code.show_line(line)

    def _show(self) -> None:
        part = self.PARTS[max(self.parts.currentIndex(), 0)]
        if self._file_override is not None:
            name, text = self._file_override
            self.title.setText(f"<b>{html.escape(name)}</b>")
            self.code.set_source(text, "python" if name.endswith(".py") else "sql")
            return
        m = self.project.migrations.get(self.migration_id) if (self.project and self.migration_id) else None
        if m is None:
            self.title.setText("The file of this migration is gone" if self.migration_id else "Select a migration")
            self.code.set_source("")
            return
        lang = "python" if m.kind == "py" else "sql"
        self.title.setText(f"<b>{html.escape(m.id)}</b> &nbsp; <span style='color:gray'>{html.escape(str(m.path))}"
                           f"{' · ' + self.dialect if self.dialect else ''}</span>")
        for i, p in enumerate(SECTION_KINDS, 1):  # PARTS[1:]
            self.parts.setTabEnabled(i, m.kind == "sql" and m.section(p, self.dialect) is not None)
        if part == "file" or m.kind == "py":
            self.code.set_source(m.source or _read(m.path), lang)
            return
        section = m.section(part, self.dialect)
        if section is None:
            self.code.set_source(f"-- no {part} section" + (f" for {self.dialect}" if self.dialect else ""))
            return
        self.code.set_source(section.text.strip("\n"), "sql", first_line=section.line)


def _read(path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return f"-- cannot read {path}: {exc}"
