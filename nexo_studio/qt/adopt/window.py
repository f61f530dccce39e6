"""The window's part of adoption (a mixin of MainWindow): File → Import from another tool… (the
wizard, then a confirmation like baseline, then ``import_and_adopt`` on the worker, then the
window opens the adopted project), and the read-only ``--from TOOL`` mode (the database as the
other tool recorded it, every changing action off, an "Import and adopt…" button)."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from ..palette import STATUS_COLOURS
from ..window.base import WindowBase
from ..worker import Job, JobOutcome

#: actions that change the database or the project: off while the window is read-only
CHANGING = ("deploy", "rollback_to", "rollback_with_dependents", "repair", "accept_history", "backup", "restore",
            "baseline", "new_migration", "export")


class WindowAdopt(WindowBase):
    """A mixin of MainWindow (uses WindowOperations' ``_dialog``, ``_job``, ``_finish``)."""

    read_only_tool: str | None = None

    def _build_adopt(self) -> None:
        """The two File menu entries and the read-only banner (inserted above the views)."""
        a = self._action("import_tool", "&Import from another tool…", self.import_wizard, None, "open",
                         "Import a Flyway, Liquibase, Alembic, Sqitch, golang-migrate or dbmate project and adopt "
                         "its database")
        b = self._action("open_foreign", "Open database as another &tool (read-only)…", self.open_foreign, None,
                         "open", "Look at a database as the other tool recorded it, without changing anything")
        file_menu = self.menuBar().actions()[0].menu()
        assert isinstance(file_menu, QMenu)
        anchor = self.actions_by_name["refresh"]
        file_menu.insertAction(anchor, a)
        file_menu.insertAction(anchor, b)
        self.read_only_banner = banner = QWidget()
        banner.setObjectName("read_only_banner")
        banner.setStyleSheet("QWidget#read_only_banner { background: %s; } QWidget#read_only_banner QLabel "
                             "{ color: white; }" % STATUS_COLOURS["missing"])
        row = QHBoxLayout(banner)
        row.setContentsMargins(10, 4, 10, 4)
        self.read_only_label = QLabel()
        self.read_only_label.setObjectName("read_only_label")
        self.read_only_label.setWordWrap(True)
        row.addWidget(self.read_only_label, 1)
        self.read_only_import = QPushButton("Import and adopt…")
        self.read_only_import.setObjectName("read_only_import")
        self.read_only_import.clicked.connect(lambda: self.trigger(lambda: self.import_wizard(self.read_only_tool)))
        row.addWidget(self.read_only_import)
        banner.setVisible(False)
        central = self.centralWidget()
        box = central.layout() if central is not None else None
        assert isinstance(box, QVBoxLayout)
        box.insertWidget(0, banner)

    # -- read-only --from mode -------------------------------------------------------------------

    def open_read_only(self, tool: str, migrations_dir: Path, url: str) -> None:
        """Show ``url`` as ``tool`` recorded it; only the project's migrations imported from
        ``tool`` are shown beside the tool's own rows. Nothing can change the database."""
        from ...core.db import redact

        self.read_only_tool = tool
        self.worker.foreign_tool = tool
        self.set_connection(migrations_dir, url)
        self.setWindowTitle(f"{tool} (read-only) — {redact(url)} — Nexo Studio")
        self.read_only_label.setText(
            f"<b>Read-only: this database as {html.escape(tool)} recorded it.</b> Nothing here changes it; "
            "import the project and adopt the database to manage it with nexo.")
        self.read_only_banner.setVisible(True)
        self._update_actions()

    def leave_read_only(self) -> None:
        self.read_only_tool = None
        self.worker.foreign_tool = None
        self.read_only_banner.setVisible(False)

    def _lock_read_only(self) -> None:
        """Called at the end of ``_update_actions``: every changing action off while read-only."""
        if not self.read_only_tool:
            return
        for name in CHANGING:
            self.actions_by_name[name].setEnabled(False)
        self.accept_history_tool.setVisible(False)

    async def open_foreign(self) -> None:
        from .dialogs import ForeignOpenDialog

        dialog = ForeignOpenDialog(self.read_only_tool, self.url, self)
        if not await self._dialog(dialog):
            return
        tool, url = dialog.tool, dialog.url
        self.open_read_only(tool, self.migrations_dir or Path.cwd(), url)

    # -- the wizard ------------------------------------------------------------------------------

    async def import_wizard(self, tool: str | None = None) -> JobOutcome | None:
        from ...app.adopt import import_and_adopt
        from .wizard import ImportWizard

        if self.worker.busy:
            self.statusBar().showMessage("Another operation is running.", 4000)
            return None
        wizard = ImportWizard(self.worker, tool or self.read_only_tool, url=self.url, parent=self)
        if not await self._dialog(wizard):
            return None
        preview, url, rec = wizard.preview, wizard.url, wizard.reconciliation
        skip, accept = wizard.skip_unsupported, wizard.accept_mismatch
        if preview is None or rec is None:
            return None
        n = len(rec.of("matched-applied", *(("checksum-mismatch",) if accept else ())))
        from .dialogs import AdoptConfirmDialog

        box = AdoptConfirmDialog(
            f"Write {len(preview.planned) - len(preview.existing)} file(s) into <b>{html.escape(str(preview.into))}"
            f"</b> and record <b>{n} migration(s)</b> applied by {html.escape(preview.tool)} as applied, "
            "without running them?",
            f"{len(rec.of('pending'))} pending migration(s) stay pending for a later deploy. "
            f"{html.escape(preview.tool)}'s own tables are not changed. The adoption is recorded in the history, "
            "under the lock, in one transaction.", self)
        if not await self._dialog(box):
            return None
        job = Job("adopt", lambda ctx: import_and_adopt(ctx.session, preview, skip_unsupported=skip,
                                                        accept_mismatch=accept),
                  refresh=False, url=url, migrations_dir=preview.into, needs_project=False,
                  label=f"Adopting from {preview.tool}")
        outcome = await self._job(job)
        if outcome is not None and outcome.error is None:
            _rec, done = outcome.result
            self.log_message("info", f"adopted {len(done)} migration(s) from {preview.tool} into {preview.into}")
            self.leave_read_only()
            self.set_connection(preview.into, url)
        return await self._finish("Adopt", outcome)
