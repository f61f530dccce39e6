"""The window's user actions, one coroutine each (qasync): open the dialog and ``await`` it,
``await`` the job on the worker (the views are refreshed from the database when it returns),
then report and react to the error class. Nothing here touches the database on the GUI thread.

Actions and menu entries call :meth:`WindowOperations.trigger`, which starts the coroutine on
the Qt loop (see :mod:`nexo_studio.qt.aio`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog

from ...core.config import DeploySettings
from ...core.project import Project, Snapshot
from ..aio import ask, spawn
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
from .base import WindowBase


class WindowOperations(WindowBase):
    """One coroutine per user action; a mixin of MainWindow."""

    # ------------------------------------------------------------------------------------------
    # plumbing

    def spawn(self, coro) -> asyncio.Task:
        return spawn(coro)

    def trigger(self, slot: Callable[[], object]) -> None:
        """Call ``slot``; when it is a coroutine function, run the coroutine on the Qt loop."""
        result = slot()
        if inspect.iscoroutine(result):
            spawn(result)

    async def _job(self, job: Job) -> JobOutcome | None:
        """Run ``job`` on the worker; None (and a note) while another operation runs."""
        from .production import WindowProduction

        if not await WindowProduction.confirm(self, job.name):  # production: asked twice
            return None
        future = self.worker.start(job)
        if future is None:
            self.statusBar().showMessage("Another operation is running.", 4000)
            return None
        return await future

    async def _dialog(self, dialog: QDialog) -> bool:
        """Show ``dialog`` and wait for it; True when accepted. Read its fields right after (before
        the next ``await``): it is deleted once control returns to the event loop."""
        self.active_dialog = dialog
        try:
            return await ask(dialog)
        finally:
            if self.active_dialog is dialog:
                self.active_dialog = None
            dialog.deleteLater()

    def _deploy_defaults(self) -> DeploySettings:
        cfg = self.loaded.config if self.loaded else None
        return cfg.deploy if cfg is not None else DeploySettings()

    def _ready(self) -> tuple[Project, Snapshot] | None:
        """The project and snapshot to operate on; None (and a note) when there is none yet."""
        if self.worker.busy:
            self.statusBar().showMessage("Another operation is running.", 4000)
            return None
        if self.project is None or self.snapshot is None:
            self.statusBar().showMessage("Open a project first.", 4000)
            return None
        if self.loaded is not None and not self.loaded.connected:
            self.statusBar().showMessage(f"Cannot connect: {self.loaded.error or 'no answer'}", 6000)
            return None
        return self.project, self.snapshot

    # ------------------------------------------------------------------------------------------
    # the actions

    async def open_project(self) -> None:
        dialog = ConnectionDialog(self.worker, self.migrations_dir, self.url, parent=self)
        if not await self._dialog(dialog):
            return
        folder, url, note = dialog.result_dir, dialog.result_url, dialog.keyring_message
        if folder is None or url is None:  # an accepted dialog has both
            return
        self.profile_name, self._opened_by_dialog = dialog.result_profile, True
        self.leave_read_only()
        self.set_connection(folder, url)
        from .production import WindowProduction

        WindowProduction.apply_look(self, dialog.result_production)
        if note:
            self.log_message("warning", note)
            self.show_info("Password not saved", note)

    def refresh(self) -> bool:
        """Start :meth:`refresh_async` (F5, and after opening a project); False while busy."""
        if not self.url or not self.migrations_dir or self.worker.busy:
            return False
        spawn(self.refresh_async())
        return True

    async def refresh_async(self) -> JobOutcome | None:
        """``await window.refresh_async()``: the views are up to date when it returns. A new
        window's first load waits for its first frame (``first_frame``, issue #13)."""
        first_frame = getattr(self, "first_frame", None)
        if first_frame is not None:
            await first_frame.wait()
        self._graph_font = self.graph.font()
        outcome = await self._job(Job("refresh", lambda ctx: None, label="Refreshing"))
        return await self._finish("Refresh", outcome)

    async def validate(self) -> JobOutcome | None:
        outcome = await self._job(Job("validate", lambda ctx: None, label="Validating"))
        if outcome is not None:
            self.findings_dock.show()
            self.findings_dock.raise_()
            if self.snapshot is not None:
                e, w = len(self.snapshot.errors), len(self.snapshot.warnings)
                self.log_message("error" if e else "info", f"validate: {e} error(s), {w} warning(s)")
        return await self._finish("Validate", outcome)

    async def deploy(self, target_id: str | None = None) -> JobOutcome | None:
        if (ready := self._ready()) is None:
            return None
        dialog = DeployDialog(self.worker, *ready, self._deploy_defaults(), target_id, self)
        if not await self._dialog(dialog):
            return None
        opts = dialog.options()
        while self.worker.busy and self.worker.current and self.worker.current.name == "deploy-check":
            await asyncio.sleep(0.02)  # the dialog's read-only check is still ending
        return await self.run_deploy(opts)

    async def run_deploy(self, opts) -> JobOutcome | None:
        """Deploy with ``opts`` (no dialog): the job, the refresh, the report."""
        from ...core.pipeline import deploy

        def run(ctx):
            return deploy(ctx.project, ctx.target, ctx.session.deploy_options(opts), ctx.cancel)

        return await self._finish("Deploy", await self._job(Job("deploy", run, label="Deploying")))

    async def rollback(self, migration_id: str | None, with_dependents: bool) -> JobOutcome | None:
        from ...core.pipeline import rollback

        if not migration_id:
            self.statusBar().showMessage("Select an applied migration first.", 4000)
            return None
        if (ready := self._ready()) is None:
            return None
        dialog = RollbackDialog(*ready, migration_id, with_dependents, self)
        if not await self._dialog(dialog):
            return None
        opts = dialog.options()

        def run(ctx):
            if opts.backup and opts.backup_dir is None:
                opts.backup_dir = ctx.session.backup_dir
            return rollback(ctx.project, ctx.target, opts, ctx.cancel)

        outcome = await self._job(Job("rollback", run, label="Rolling back"))
        return await self._finish("Roll back", outcome)

    async def repair(self, migration_id: str | None = None) -> JobOutcome | None:
        from ...core.operations import repair

        if (ready := self._ready()) is None:
            return None
        dialog = RepairDialog(ready[1], migration_id, self, drift=self.drift)
        if not dialog.candidates:
            dialog.deleteLater()
            text = "Nothing needs repair: no dirty, failed, drifted or missing migration."
            if getattr(self.drift, "drifted", False):  # the schema's drift is accepted in its own view
                self.show_drift_view()
                text += f" The live schema has {len(self.drift.changes)} drift change(s): see the Drift view."
            self.statusBar().showMessage(text, 8000)
            return None
        if not await self._dialog(dialog) or not (choice := dialog.choice()):
            return None
        mid, kwargs = choice
        outcome = await self._job(Job("repair", lambda ctx: repair(ctx.required_project, ctx.target, mid, **kwargs),
                                      label="Repairing"))
        return await self._finish("Repair", outcome)

    def history_tampered(self) -> bool:
        """The last refresh found history rows that break the hash chain, or lost rows/tables."""
        if self.loaded is None:
            return False
        verdict = self.loaded.snapshot.chain
        return bool(self.loaded.snapshot.tampered_tables or (verdict is not None and not verdict.ok))

    async def accept_history(self) -> JobOutcome | None:
        """Read what would be accepted (worker), show it for confirmation, then accept exactly that
        (``repair --accept-history`` with ``expect``)."""
        from ...core.operations import history_problems, repair
        from ...app.types import operator_and_host

        if not self._ready():
            return None
        checked = await self._job(Job("history-problems", lambda ctx: history_problems(ctx.target), refresh=False,
                                      needs_project=False, label="Checking the history"))
        if checked is None:
            return None
        if checked.error is not None:
            self.show_error("Accept history", f"Cannot read the history: {checked.error}")
            return None
        if not checked.result:
            self.show_info("Accept history", "Nothing to accept: the history chain verifies and the state "
                                             "tables are consistent.")
            return None
        dialog = AcceptHistoryDialog(checked.result, self.loaded.display_url if self.loaded else "",
                                     "@".join(operator_and_host()), self)
        if not await self._dialog(dialog):
            return None
        problems = dialog.problems
        outcome = await self._job(Job("repair", lambda ctx: repair(ctx.required_project, ctx.target, None, accept_history=True,
                                                                   expect=problems),
                                      label="Accepting the history"))
        return await self._finish("Accept history", outcome)

    async def backup(self) -> JobOutcome | None:
        from ...core.backup.operations import backup

        if not self._ready():
            return None
        outcome = await self._job(Job("backup", lambda ctx: backup(ctx.target, backup_dir=ctx.session.backup_dir,
                                                                   cancel=ctx.cancel), label="Backing up"))
        return await self._finish("Backup", outcome)

    async def restore(self) -> JobOutcome | None:
        from ...core.backup.operations import list_backups, restore

        if not self._ready():
            return None
        listed = await self._job(Job("list-backups", lambda ctx: list_backups(ctx.target), refresh=False,
                                     needs_project=False, label="Listing backups"))
        if listed is None:
            return None
        if listed.error is not None:
            self.show_error("Restore", f"Cannot list backups: {listed.error}")
            return None
        if not listed.result:
            self.show_info("Restore", "No backup of this database is recorded yet. Use Backup (Ctrl+B) first.")
            return None
        dialog = RestoreDialog(listed.result, self.loaded.display_url if self.loaded else "", self)
        if not await self._dialog(dialog):
            return None
        selected = dialog.selected()
        if selected is None:  # an accepted dialog has a selection
            return None
        path = Path(selected["path"])
        outcome = await self._job(Job("restore", lambda ctx: restore(ctx.target, path, cancel=ctx.cancel),
                                      label="Restoring"))
        return await self._finish("Restore", outcome)

    async def export(self) -> None:
        if self.project is None:
            return
        await self._dialog(ExportDialog(self.worker, Path.home(), self, database_name(self.url or "")))


def database_name(url: str) -> str:
    """The database's name for file names: the SQLite file's stem, else the URL's database."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - a name for a file, never an error
        return ""
    db = u.database or ""
    return Path(db).stem if u.get_backend_name() == "sqlite" else db
