"""Operations started from the window: each opens its dialog (if any) and submits a job to the
worker; nothing here touches the database on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ...core.config import DeploySettings
from ..dialogs import (
    AcceptHistoryDialog,
    ConnectionDialog,
    DeployDialog,
    ExportDialog,
    RepairDialog,
    RestoreDialog,
    RollbackDialog,
)
from ..worker import Job, JobOutcome


class WindowOperations:
    """Dialogs and jobs for each operation; a mixin of MainWindow."""

    def _submit(self, job: Job) -> bool:
        if not self.worker.submit(job):
            self.statusBar().showMessage("Another operation is running.", 4000)
            return False
        return True

    def _deploy_defaults(self) -> DeploySettings:
        cfg = self.loaded.config if self.loaded else None
        return cfg.deploy if cfg is not None else DeploySettings()

    def _show_dialog(self, dialog: QWidget, on_accept: Callable[[], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _r: setattr(self, "active_dialog", None))
        self.active_dialog = dialog
        dialog.open()

    def _ready(self) -> bool:
        if self.worker.busy:
            self.statusBar().showMessage("Another operation is running.", 4000)
            return False
        if self.project is None or self.snapshot is None:
            self.statusBar().showMessage("Open a project first.", 4000)
            return False
        return True

    def open_connection_dialog(self) -> None:
        dialog = ConnectionDialog(self.worker, self.migrations_dir, self.url, parent=self)

        def opened() -> None:
            self.set_connection(dialog.result_dir, dialog.result_url)
            if dialog.keyring_message:
                self.log_message("warning", dialog.keyring_message)
                self.show_info("Password not saved", dialog.keyring_message)

        self._show_dialog(dialog, opened)

    def validate(self) -> None:
        def done(outcome: JobOutcome) -> None:
            self.findings_dock.show()
            self.findings_dock.raise_()
            if self.snapshot is not None:
                e, w = len(self.snapshot.errors), len(self.snapshot.warnings)
                self.log_message("error" if e else "info", f"validate: {e} error(s), {w} warning(s)")

        if self._submit(Job("validate", lambda ctx: None, label="Validating")):
            self._after["validate"] = done

    def open_deploy_dialog(self, target_id: str | None = None) -> None:
        if not self._ready():
            return
        dialog = DeployDialog(self.worker, self.project, self.snapshot, self._deploy_defaults(), target_id, self)
        self._show_dialog(dialog, lambda: self.deploy(dialog.options()))

    def deploy(self, opts) -> bool:
        from ...core.pipeline import deploy

        def run(ctx):
            return deploy(ctx.project, ctx.target, ctx.session.deploy_options(opts), ctx.cancel)

        return self._submit(Job("deploy", run, label="Deploying"))

    def open_rollback_dialog(self, migration_id: str | None, with_dependents: bool) -> None:
        if not migration_id or not self._ready():
            if not migration_id:
                self.statusBar().showMessage("Select an applied migration first.", 4000)
            return
        dialog = RollbackDialog(self.project, self.snapshot, migration_id, with_dependents, self)
        self._show_dialog(dialog, lambda: self.rollback(dialog.options()))

    def rollback(self, opts) -> bool:
        from ...core.pipeline import rollback

        return self._submit(Job("rollback", lambda ctx: rollback(ctx.project, ctx.target, opts, ctx.cancel),
                                label="Rolling back"))

    def open_repair_dialog(self, migration_id: str | None) -> None:
        if not self._ready():
            return
        dialog = RepairDialog(self.snapshot, migration_id, self)
        if not dialog.candidates:
            dialog.deleteLater()
            self.statusBar().showMessage("Nothing needs repair: no dirty, failed, drifted or missing migration.", 5000)
            return

        def go() -> None:
            choice = dialog.choice()
            if choice:
                self.repair(*choice)

        self._show_dialog(dialog, go)

    def repair(self, migration_id: str, kwargs: dict) -> bool:
        from ...core.operations import repair

        return self._submit(Job("repair", lambda ctx: repair(ctx.project, ctx.target, migration_id, **kwargs),
                                label="Repairing"))

    def history_tampered(self) -> bool:
        """The last refresh found history rows that break the hash chain, or lost rows/tables."""
        if self.loaded is None:
            return False
        verdict = self.loaded.extra.get("verdict")
        return bool(self.loaded.snapshot.tampered_tables or (verdict is not None and not verdict.ok))

    def open_accept_history_dialog(self) -> None:
        """Read what would be accepted (worker), show it for confirmation, then accept exactly that."""
        from ...core.operations import history_problems
        from ...core.state.store import operator_and_host

        if not self._ready():
            return

        def checked(outcome: JobOutcome) -> None:
            if outcome.error is not None:
                self.show_error("Accept history", f"Cannot read the history: {outcome.error}")
                return
            if not outcome.result:
                self.show_info("Accept history", "Nothing to accept: the history chain verifies and the state "
                                                 "tables are consistent.")
                return
            dialog = AcceptHistoryDialog(outcome.result, self.loaded.display_url if self.loaded else "",
                                         "@".join(operator_and_host()), self)
            self._show_dialog(dialog, lambda: self.accept_history(dialog.problems))

        if self._submit(Job("history-problems", lambda ctx: history_problems(ctx.target), refresh=False,
                            needs_project=False, label="Checking the history")):
            self._after["history-problems"] = checked

    def accept_history(self, problems) -> bool:
        """``repair --accept-history`` for exactly ``problems`` (what the user confirmed)."""
        from ...core.operations import repair

        return self._submit(Job("repair", lambda ctx: repair(ctx.project, ctx.target, None, accept_history=True,
                                                             expect=problems),
                                label="Accepting the history"))

    def backup(self) -> bool:
        from ...core.backups import backup

        if not self._ready():
            return False
        return self._submit(Job("backup", lambda ctx: backup(ctx.target, backup_dir=ctx.session.backup_dir,
                                                             cancel=ctx.cancel), label="Backing up"))

    def open_restore_dialog(self) -> None:
        from ...core.backups import list_backups

        if not self._ready():
            return

        def listed(outcome: JobOutcome) -> None:
            if outcome.error is not None:
                self.show_error("Restore", f"Cannot list backups: {outcome.error}")
                return
            if not outcome.result:
                self.show_info("Restore", "No backup of this database is recorded yet. Use Backup (Ctrl+B) first.")
                return
            dialog = RestoreDialog(outcome.result, self.loaded.display_url if self.loaded else "", self)
            self._show_dialog(dialog, lambda: self.restore(Path(dialog.selected()["path"])))

        if self._submit(Job("list-backups", lambda ctx: list_backups(ctx.target), refresh=False,
                            needs_project=False, label="Listing backups")):
            self._after["list-backups"] = listed

    def restore(self, path: Path) -> bool:
        from ...core.backups import restore

        return self._submit(Job("restore", lambda ctx: restore(ctx.target, path, cancel=ctx.cancel), label="Restoring"))

    def open_export_dialog(self) -> None:
        if self.project is None:
            return
        dialog = ExportDialog(self.worker, Path.home(), self)
        self._show_dialog(dialog, lambda: None)

    def cancel(self) -> None:
        if self.worker.busy:
            self.worker.cancel()
            self.busy_label.setText("Cancelling…")
            self.log_message("warning", "cancel requested: stopping after the current statement")
