"""The export dialog: format, filters, a preview, and the written report."""

from __future__ import annotations

import shiboken6

import html
import re
import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import nexo_studio.pdf  # noqa: F401  (registers the pdf renderer for export)
from ..theme import icon
from ..worker import Job, JobOutcome, Worker
from .common import _date_edit, _error_text, _note, _WorkerDialog


class ExportDialog(_WorkerDialog):
    """Format, output file and filters; the preview shows the report as the paginated PDF it
    prints as (charts included), rendered on the worker and shown in a QPdfView."""

    def __init__(self, worker: Worker, default_dir: Path, parent: QWidget | None = None,
                 database: str = "") -> None:
        super().__init__(worker, parent)
        self.setWindowTitle("Export audit report")
        self.setMinimumSize(820, 600)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.format_box = QComboBox()
        self.format_box.setObjectName("format")
        for fmt, label in (("html", "HTML (one self-contained file)"), ("pdf", "PDF"), ("csv", "CSV"), ("json", "JSON")):
            self.format_box.addItem(label, fmt)
        form.addRow("Format:", self.format_box)
        out_row = QHBoxLayout()
        self.out_edit = QLineEdit(str(default_dir / (default_name(database) + ".html")))
        self.out_edit.setObjectName("out")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        form.addRow("Save to:", out_row)
        self.format_box.currentIndexChanged.connect(self._format_changed)

        filters = QHBoxLayout()
        self.since_box = QCheckBox("From")
        self.since_edit = _date_edit(-30)
        self.until_box = QCheckBox("to")
        self.until_edit = _date_edit(0)
        self.migration_edit = QLineEdit()
        self.migration_edit.setPlaceholderText("migration id")
        self.action_box = QComboBox()
        self.action_box.addItem("any action", None)
        for a in ("apply", "rollback", "verify", "backup", "restore", "deploy_start", "deploy_end", "repair", "baseline",
                  "fleet_start", "fleet_end"):
            self.action_box.addItem(a, a)
        self.status_box = QComboBox()
        self.status_box.addItem("any status", None)
        for s in ("ok", "failed", "cancelled"):
            self.status_box.addItem(s, s)
        for w in (self.since_box, self.since_edit, self.until_box, self.until_edit, self.migration_edit,
                  self.action_box, self.status_box):
            filters.addWidget(w)
        form.addRow("Only:", filters)
        layout.addLayout(form)

        prow = QHBoxLayout()
        self.preview_btn = QPushButton(icon("preview"), "Preview")
        self.preview_btn.setObjectName("preview")
        self.preview_btn.clicked.connect(lambda _c=False: self.start(self.preview()))
        self.status_label = _note("")
        prow.addWidget(self.preview_btn)
        prow.addWidget(self.status_label, 1)
        layout.addLayout(prow)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.pdf = QPdfDocument(self)
        self.preview_view = QPdfView()
        self.preview_view.setObjectName("preview_pdf")
        self.preview_view.setDocument(self.pdf)
        self.preview_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        layout.addWidget(self.preview_view, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Export")
        self.save_button.setIcon(icon("export"))
        self.buttons.accepted.connect(lambda: self.start(self.export()))
        self.out_edit.textChanged.connect(self._unconfirm)
        self.format_box.currentIndexChanged.connect(self._unconfirm)
        self._replace: Path | None = None  # the existing file the user agreed to replace
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.exported: Path | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="nexo-preview-")
        self._previews = 0
        self.preview_text = ""
        self.finished.connect(lambda _r: self._tmp.cleanup())

    def _format_changed(self) -> None:
        fmt = self.format_box.currentData()
        p = Path(self.out_edit.text() or "nexo-audit-report")
        self.out_edit.setText(str(p.with_suffix("." + fmt)))

    def _browse(self) -> None:
        fmt = self.format_box.currentData()
        f, _ = QFileDialog.getSaveFileName(self, "Export report", self.out_edit.text(), f"{fmt.upper()} (*.{fmt})")
        if f:
            self.out_edit.setText(f)

    def filters(self):
        from ...core.reports import ReportFilters

        def day(edit: QDateTimeEdit) -> str:
            return edit.date().toString("yyyy-MM-dd")

        return ReportFilters.parse(
            since=day(self.since_edit) if self.since_box.isChecked() else None,
            until=day(self.until_edit) if self.until_box.isChecked() else None,
            migration_id=self.migration_edit.text().strip() or None,
            action=self.action_box.currentData(), status=self.status_box.currentData())

    def _job(self, fmt: str, out: Path, name: str) -> Job | None:
        try:
            filters = self.filters()
        except Exception as exc:  # noqa: BLE001 - InvalidInput from the filters
            self.status_label.setText(str(exc))
            return None

        def run(ctx):
            from ...core.reports import export_report

            return export_report(ctx.target, ctx.project, fmt, out, filters)

        return Job(name, run, refresh=False)

    async def preview(self) -> None:
        """Preview: the report rendered as PDF on the worker, then shown."""
        out = Path(self._tmp.name) / f"preview-{id(self)}-{self._previews}.pdf"
        self._previews += 1
        job = self._job("pdf", out, "export-preview")
        if job is None:
            return
        self.preview_btn.setEnabled(False)
        self.status_label.setText("Rendering…")
        outcome = await self.run(job)
        if outcome is not None:
            self._previewed(outcome)
            self.done_with(outcome)
        elif shiboken6.isValid(self):
            self.preview_btn.setEnabled(True)

    def _previewed(self, outcome: JobOutcome) -> None:
        self.preview_btn.setEnabled(True)
        if outcome.error is not None:
            self.status_label.setText(f"Preview failed: {_error_text(outcome)}")
            return
        path = Path(outcome.result)
        self.pdf.load(str(path))
        self.preview_text = _pdf_text(self.pdf)
        self.status_label.setText(f"Preview: {self.pdf.pageCount()} page(s) as printed "
                                  "(the export itself is written in the chosen format).")

    def _unconfirm(self, *_args) -> None:
        self._replace = None
        self.save_button.setText("Export")

    async def export(self) -> None:
        """Export: ask before replacing a file, write the report on the worker, link it."""
        fmt = self.format_box.currentData()
        out = Path(self.out_edit.text()).expanduser()
        if out.exists() and self._replace != out:  # ask: the next click on Replace confirms
            self._replace = out
            self.save_button.setText("Replace")
            self.status_label.setText(f"<b>{html.escape(str(out))} exists.</b> Click Replace to overwrite it, "
                                      "or choose another name.")
            return
        job = self._job(fmt, out, "export")
        if job is None:
            return
        self.save_button.setEnabled(False)
        self.status_label.setText(f"Writing {out}…")
        outcome = await self.run(job)
        if outcome is not None:
            self._exported(outcome)
            self.done_with(outcome)
        elif shiboken6.isValid(self):
            self.save_button.setEnabled(True)

    def _exported(self, outcome: JobOutcome) -> None:
        self.save_button.setEnabled(True)
        self._unconfirm()
        if outcome.error is not None:
            self.status_label.setText(f"Export failed: {_error_text(outcome)}")
            return
        self.exported = Path(outcome.result)
        self.status_label.setText(f"Written: <a href='{QUrl.fromLocalFile(str(self.exported)).toString()}'>"
                                  f"{self.exported}</a>")
        self.status_label.setOpenExternalLinks(True)


def default_name(database: str, today: date | None = None) -> str:
    """``nexo-audit-<database>-<YYYY-MM-DD>`` (no suffix): one report per database and day,
    never a fixed name that overwrites the last one."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", database).strip("-.") or "database"
    return f"nexo-audit-{name}-{(today or date.today()):%Y-%m-%d}"


def _pdf_text(doc) -> str:
    """All text of a loaded QPdfDocument (for tests and copy)."""
    return "\n".join(doc.getAllText(i).text() for i in range(doc.pageCount()))
