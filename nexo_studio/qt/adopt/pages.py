"""The import wizard's pages: tool and source → mapping preview → target folder → database →
reconciliation. Each page reads what it needs from the wizard (``self.wizard()``) and reports
``isComplete`` so Next/Adopt is enabled only when the step can go on; the reason is on the page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ..palette import STATUS_COLOURS, text_on

if TYPE_CHECKING:
    from .wizard import ImportWizard

#: one colour per reconciliation kind (the status colours of the same meaning)
KIND_COLOURS = {"matched-applied": STATUS_COLOURS["applied"], "pending": STATUS_COLOURS["pending"],
                "applied-without-file": STATUS_COLOURS["missing"], "checksum-mismatch": STATUS_COLOURS["drifted"],
                "failed/dirty": STATUS_COLOURS["failed"]}
KIND_LABELS = {"matched-applied": "matched, applied", "pending": "pending", "applied-without-file":
               "applied, no file", "checksum-mismatch": "checksum mismatch", "failed/dirty": "failed / dirty"}


def note(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def table(name: str, columns: list[str]) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(columns))
    model.setHorizontalHeaderLabels(columns)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view, model


def add_row(model: QStandardItemModel, values: list[str], colour: str | None = None) -> None:
    items = [QStandardItem(v) for v in values]
    for item in items:
        item.setToolTip(item.text())
    if colour:
        items[0].setBackground(QBrush(QColor(colour)))
        items[0].setForeground(QBrush(text_on(QColor(colour))))
    model.appendRow(items)


def _path_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    lay.addWidget(browse)
    return row


class _Page(QWizardPage):
    def wiz(self) -> "ImportWizard":
        from .wizard import ImportWizard  # (wizard.py imports this module)

        wizard = self.wizard()
        if not isinstance(wizard, ImportWizard):  # every page is added by ImportWizard
            raise TypeError(f"{type(self).__name__} is not a page of the import wizard")
        return wizard


class SourcePage(_Page):
    """Which tool, and its folder (or Liquibase changelog file)."""

    def __init__(self, tool: str | None) -> None:
        super().__init__()
        from ...app.adopt import TOOLS

        self.setTitle("Import from another tool")
        self.setSubTitle("Pick the tool and its project. Nothing is written until you adopt.")
        self.tool_box = QComboBox()
        self.tool_box.setObjectName("wizard_tool")
        for t in TOOLS:
            self.tool_box.addItem(t, t)
        if tool:
            self.tool_box.setCurrentIndex(max(self.tool_box.findData(tool), 0))
        self.source_edit = QLineEdit()
        self.source_edit.setObjectName("wizard_source")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.hint = note(name="wizard_source_hint")
        form = QFormLayout(self)
        form.addRow("Tool:", self.tool_box)
        form.addRow("Source:", _path_row(self.source_edit, browse))
        form.addRow("", self.hint)
        self.tool_box.currentIndexChanged.connect(self._changed)
        self.source_edit.textChanged.connect(self._changed)
        self._changed()

    @property
    def tool(self) -> str:
        return self.tool_box.currentData()

    @property
    def source(self) -> Path:
        return Path(self.source_edit.text().strip()).expanduser()

    def _changed(self) -> None:
        from ...app.adopt import SOURCES

        kind, what = SOURCES[self.tool]
        text = self.source_edit.text().strip()
        problem = ""
        if text and not self.source.exists():
            problem = f"<br><span style='color:{STATUS_COLOURS['failed']}'>{html.escape(str(self.source))} does not exist</span>"
        self.hint.setText(f"{html.escape(self.tool)}: {kind}, {html.escape(what)}.{problem}")
        self.completeChanged.emit()

    def _browse(self) -> None:
        from ...app.adopt import SOURCES

        if SOURCES[self.tool][0] == "file":
            path, _ = QFileDialog.getOpenFileName(self, "Liquibase changelog", str(self.source.parent),
                                                  "Changelogs (*.sql *.xml *.yaml *.yml *.json)")
        else:
            path = QFileDialog.getExistingDirectory(self, f"{self.tool} project", str(self.source))
        if path:
            self.source_edit.setText(path)

    def isComplete(self) -> bool:
        return bool(self.source_edit.text().strip()) and self.source.exists()


class MappingPage(_Page):
    """foreign id → nexo id, and what cannot be converted with its reason."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Mapping")
        self.setSubTitle("One nexo migration per foreign migration, in the other tool's order.")
        self.summary = note(name="wizard_mapping_summary")
        self.view, self.model = table("wizard_mapping", ["Foreign id", "Source", "Nexo migration", "Tx", "Down",
                                                          "Verify"])
        self.unsupported_view, self.unsupported = table("wizard_unsupported", ["Not converted", "Why"])
        self.skip_box = QCheckBox("Import the rest and skip what cannot be converted (--skip-unsupported)")
        self.skip_box.setObjectName("wizard_skip_unsupported")
        self.skip_box.toggled.connect(self.completeChanged)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.view, 3)
        lay.addWidget(self.unsupported_view, 1)
        lay.addWidget(self.skip_box)
        self.error: str | None = None

    def initializePage(self) -> None:
        from ...errors import NexoError

        w = self.wiz()
        self.model.removeRows(0, self.model.rowCount())
        self.unsupported.removeRows(0, self.unsupported.rowCount())
        self.error = None
        try:
            w.preview = w.make_preview(w.default_into())
        except (NexoError, OSError) as exc:
            w.preview, self.error = None, str(exc)
            self.summary.setText(f"<span style='color:{STATUS_COLOURS['failed']}'>Cannot read the project: "
                                 f"{html.escape(self.error)}</span>")
            self.skip_box.setVisible(False)
            self.completeChanged.emit()
            return
        p = w.preview
        for m in p.mapping():
            add_row(self.model, [m["foreign_id"], m["source"], m["migration_id"],
                                 "none" if m["transaction"] == "none" else "", "yes" if m["down"] else "no",
                                 "yes" if m["verify"] else "no"])
        for u in p.unsupported:
            add_row(self.unsupported, [u.source, u.reason], STATUS_COLOURS["failed"])
        self.unsupported_view.setVisible(bool(p.unsupported))
        self.skip_box.setVisible(bool(p.unsupported))
        text = f"{len(p.planned)} migration(s) from {html.escape(p.tool)}."
        if p.unsupported:
            text += (f" <b>{len(p.unsupported)} item(s) cannot be converted</b> (listed below with the reason): "
                     "tick the box to import the rest without them.")
        self.summary.setText(text)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        p = self.wiz().preview
        return p is not None and bool(p.planned) and (not p.unsupported or self.skip_box.isChecked())


class TargetPage(_Page):
    """Where the nexo files go; never overwritten: which files exist is said before anything."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Target migrations folder")
        self.setSubTitle("The nexo project the import writes. Existing files are never overwritten.")
        self.into_edit = QLineEdit()
        self.into_edit.setObjectName("wizard_into")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.status = note(name="wizard_into_status")
        form = QFormLayout(self)
        form.addRow("Folder:", _path_row(self.into_edit, browse))
        form.addRow("", self.status)
        self.into_edit.textChanged.connect(self._changed)

    def initializePage(self) -> None:
        if not self.into_edit.text():
            self.into_edit.setText(str(self.wiz().default_into()))
        self._changed()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Target migrations folder", self.into_edit.text())
        if path:
            self.into_edit.setText(path)

    def _changed(self) -> None:
        from ...errors import NexoError

        w = self.wiz()
        text = self.into_edit.text().strip()
        if not text or w is None:
            return
        try:
            w.preview = w.make_preview(Path(text).expanduser())
        except (NexoError, OSError) as exc:
            self.status.setText(html.escape(str(exc)))
            w.preview = None
            self.completeChanged.emit()
            return
        p = w.preview
        new = len(p.planned) - len(p.existing) - len(p.clashes)
        lines = [f"{new} new file(s) will be written into {html.escape(str(p.into))}."]
        if p.existing:
            lines.append(f"{len(p.existing)} file(s) already there with the same text are left as they are: "
                         + html.escape(", ".join(p.existing[:5])) + (" …" if len(p.existing) > 5 else ""))
        if p.clashes:
            lines.append(f"<span style='color:{STATUS_COLOURS['failed']}'><b>{len(p.clashes)} file(s) exist with "
                         "other text and would be overwritten</b>: " + html.escape(", ".join(p.clashes[:5]))
                         + (" …" if len(p.clashes) > 5 else "") + ". Pick another (empty) folder.</span>")
        self.status.setText("<br>".join(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        p = self.wiz().preview
        return p is not None and bool(self.into_edit.text().strip()) and not p.clashes


class DatabasePage(_Page):
    """The database the other tool migrated: a saved profile or a URL."""

    def __init__(self, url: str | None) -> None:
        super().__init__()
        from ..connections import ProfileStore, url_without_password

        self.setTitle("Database")
        self.setSubTitle("The database the other tool migrated. It is only read until you adopt.")
        self.profile_box = QComboBox()
        self.profile_box.setObjectName("wizard_profile")
        self.profile_box.addItem("(no profile)", None)
        for p in ProfileStore.load().profiles:
            self.profile_box.addItem(p.name, p.url)
        self.url_edit = QLineEdit(url_without_password(url) if url else "")
        self.url_edit.setObjectName("wizard_url")
        self.url_edit.setPlaceholderText("postgresql+psycopg://user@host/db, sqlite:///path/app.db, …")
        form = QFormLayout(self)
        form.addRow("Profile:", self.profile_box)
        form.addRow("URL:", self.url_edit)
        form.addRow("", note("Passwords come from the keyring, as in File → Open project…; they are never shown."))
        self.profile_box.currentIndexChanged.connect(self._profile)
        self.url_edit.textChanged.connect(self.completeChanged)

    def _profile(self) -> None:
        if self.profile_box.currentData():
            self.url_edit.setText(self.profile_box.currentData())

    @property
    def url(self) -> str:
        from ..connections import with_password

        text = self.url_edit.text().strip()
        return with_password(text) if text else ""

    def isComplete(self) -> bool:
        return bool(self.url_edit.text().strip())


class ReconcilePage(_Page):
    """The reconciliation, read on the worker: a colour per row, refusals explained."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Reconciliation")
        self.setSubTitle("What the other tool recorded, against the imported files.")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setObjectName("wizard_reading")
        self.summary = note(name="wizard_reconcile_summary")
        self.view, self.model = table("wizard_reconciliation", ["State", "Foreign id", "Nexo migration", "Detail"])
        self.accept_box = QCheckBox("Accept mismatch: adopt although checksums differ or applied migrations "
                                    "have no file (--accept-mismatch)")
        self.accept_box.setObjectName("wizard_accept_mismatch")
        self.accept_box.toggled.connect(self._explain)
        lay = QVBoxLayout(self)
        lay.addWidget(self.progress)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.summary)
        lay.addWidget(self.accept_box)
        self.rec: Any = None
        self.error: str | None = None
        self.blocked: str | None = None

    def initializePage(self) -> None:
        self.rec, self.error, self.blocked = None, None, None
        self.model.removeRows(0, self.model.rowCount())
        self.accept_box.setChecked(False)
        self.accept_box.setVisible(False)
        self.progress.setVisible(True)
        self.summary.setText("Reading the other tool's state on the worker…")
        self.completeChanged.emit()
        self.wiz().read_reconciliation(self)

    def show_result(self, rec: Any, error: str | None) -> None:
        self.progress.setVisible(False)
        self.rec, self.error = rec, error
        if rec is not None:
            for line in rec.lines:
                add_row(self.model, [KIND_LABELS.get(line.kind, line.kind), line.foreign_id, line.migration_id or "",
                                     line.detail], KIND_COLOURS.get(line.kind))
        self._explain()

    def _explain(self) -> None:
        from ...errors import ForeignDirty, ForeignMismatch, NexoError

        red = STATUS_COLOURS["failed"]
        rec = self.rec
        if rec is None:
            self.blocked = self.error or "not read yet"
            self.summary.setText(f"<span style='color:{red}'>Cannot read the database: "
                                 f"{html.escape(self.blocked)}</span>" if self.error else "")
            self.completeChanged.emit()
            return
        from ...app.adopt import refuse

        counts: dict[str, int] = {}
        for line in rec.lines:
            counts[line.kind] = counts.get(line.kind, 0) + 1
        head = ", ".join(f"{n} {KIND_LABELS.get(k, k)}" for k, n in counts.items()) or "nothing recorded"
        mismatched = counts.get("checksum-mismatch", 0) + counts.get("applied-without-file", 0)
        self.accept_box.setVisible(bool(mismatched))
        self.blocked = None
        try:
            refuse(rec, self.accept_box.isChecked())
        except ForeignDirty as exc:
            self.blocked = f"Blocked: {rec.state.tool} records a failed or dirty migration; fix it with " \
                           f"{rec.state.tool} first: {'; '.join(exc.problems)}."
        except ForeignMismatch:
            self.blocked = f"{mismatched} migration(s) differ from what {rec.state.tool} applied: tick " \
                           "“Accept mismatch” to adopt them as they are."
        except NexoError as exc:
            self.blocked = str(exc)
        n = counts.get("matched-applied", 0) + (counts.get("checksum-mismatch", 0) if self.accept_box.isChecked() else 0)
        text = f"{html.escape(rec.state.tool)}: {html.escape(rec.state.table)} ({len(rec.state.raw)} rows). {head}."
        if self.blocked:
            text += f"<br><span style='color:{red}'><b>{html.escape(self.blocked)}</b></span>"
        else:
            text += f"<br>Adopt records {n} migration(s) as applied without running them; pending ones stay " \
                    "pending for a later deploy."
        self.summary.setText(text)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.rec is not None and self.blocked is None
