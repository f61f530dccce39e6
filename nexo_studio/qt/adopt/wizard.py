"""File → Import from another tool…: a QWizard over ``app.adopt``. Reading the foreign files is
pure (done here); reading the database is a job on the window's worker. The wizard writes
nothing: when it is accepted, the window confirms and runs ``import_and_adopt`` on the worker
(:meth:`~nexo_studio.qt.adopt.window.WindowAdopt.import_wizard`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtWidgets import QWidget, QWizard

from ..aio import spawn
from ..worker import Job, Worker
from .pages import DatabasePage, MappingPage, ReconcilePage, SourcePage, TargetPage

if TYPE_CHECKING:
    from ...app.adopt import ImportPreview


class ImportWizard(QWizard):
    """Tool + source → mapping → target folder → database → reconciliation → Adopt."""

    def __init__(self, worker: Worker, tool: str | None = None, source: Path | None = None, url: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setObjectName("import_wizard")
        self.setWindowTitle("Import from another tool")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(820, 560)
        self.preview: ImportPreview | None = None
        self.source_page = SourcePage(tool)
        if source is not None:
            self.source_page.source_edit.setText(str(source))
        self.mapping_page = MappingPage()
        self.target_page = TargetPage()
        self.database_page = DatabasePage(url)
        self.reconcile_page = ReconcilePage()
        for page in (self.source_page, self.mapping_page, self.target_page, self.database_page, self.reconcile_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Adopt…")

    # -- what the pages share --------------------------------------------------------------------

    @property
    def tool(self) -> str:
        return self.source_page.tool

    def default_into(self) -> Path:
        """A new folder beside the foreign project: ``nexo-migrations``."""
        if self.target_page.into_edit.text().strip():
            return Path(self.target_page.into_edit.text().strip()).expanduser()
        source = self.source_page.source
        base = source.parent if source.is_file() else source
        return base.parent / "nexo-migrations" if base.name else base / "nexo-migrations"

    def make_preview(self, into: Path) -> "ImportPreview":
        from ...app.adopt import preview_import

        return preview_import(self.tool, self.source_page.source, into)

    @property
    def url(self) -> str:
        return self.database_page.url

    @property
    def skip_unsupported(self) -> bool:
        return self.mapping_page.skip_box.isChecked()

    @property
    def accept_mismatch(self) -> bool:
        return self.reconcile_page.accept_box.isChecked()

    @property
    def reconciliation(self) -> Any:
        return self.reconcile_page.rec

    # -- the database, on the worker -------------------------------------------------------------

    def read_reconciliation(self, page: ReconcilePage) -> None:
        spawn(self._read(page))

    async def _read(self, page: ReconcilePage) -> None:
        from ...app.adopt import reconcile_preview
        from ..dialogs.common import _error_text

        preview = self.preview
        if preview is None:
            page.show_result(None, "no import preview")
            return
        job = Job("adopt-preview", lambda ctx: reconcile_preview(ctx.session, preview), refresh=False,
                  url=self.url, migrations_dir=preview.into, needs_project=False,
                  label=f"Reading {preview.tool}'s state")
        future = self.worker.start(job)
        if future is None:
            page.show_result(None, "another operation is running; go Back and Next to try again")
            return
        outcome = await future
        if not shiboken6.isValid(page) or self.currentPage() is not page:
            return  # closed, or the user went back meanwhile
        page.show_result(outcome.result if outcome.error is None else None,
                         _error_text(outcome) if outcome.error is not None else None)
