"""What only the CLI could do, from the window: a new migration (`nexo new`), a baseline
(`nexo baseline`, on the worker) and the graph as DOT (`nexo graph`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ..dialogs import BaselineDialog, NewMigrationDialog
from ..worker import Job, JobOutcome
from .base import WindowBase


class WindowProjectOperations(WindowBase):
    """A mixin of MainWindow (uses WindowOperations' ``_dialog``, ``_job``, ``_finish``)."""

    async def new_migration(self) -> Path | None:
        """Write the file with ``core.scaffold`` (like `nexo new`), refresh, open it in the SQL view."""
        from ...core.scaffold import new_migration
        from ...errors import NexoError

        if self.project is None or self.migrations_dir is None:
            self.statusBar().showMessage("Open a project first.", 4000)
            return None
        dialog = NewMigrationDialog(self.project, self)
        if not await self._dialog(dialog):
            return None
        name, depends, python = dialog.name_edit.text(), dialog.depends(), dialog.python_box.isChecked()
        try:
            path = new_migration(self.migrations_dir, name, depends, python)
        except (NexoError, OSError) as exc:
            self.show_error("New migration", str(exc))
            return None
        self.log_message("info", f"new migration: {path}")
        await self.refresh_async()
        self._activate(path.stem)
        return path

    async def baseline(self) -> JobOutcome | None:
        from ...core.operations import baseline

        if (ready := self._ready()) is None:
            return None
        dialog = BaselineDialog(*ready, self.selected_id, self)
        if not await self._dialog(dialog):
            return None
        to = dialog.target()
        outcome = await self._job(Job("baseline", lambda ctx: baseline(ctx.required_project, ctx.target, to),
                                      label="Baselining"))
        return await self._finish("Baseline", outcome)

    async def export_dot(self) -> Path | None:
        """The same DOT as `nexo graph`, from the statuses the window shows (no database call)."""
        from ...core.graph_dot import graph_dot

        if self.project is None:
            return None
        dialog = QFileDialog(self, "Export graph as DOT", str(Path.home() / "migrations.dot"), "Graphviz DOT (*.dot)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("dot")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setObjectName("export_dot")
        if not await self._dialog(dialog) or not dialog.selectedFiles():
            return None
        path = Path(dialog.selectedFiles()[0])
        statuses = {s.id: s.status for s in self.snapshot.states} if self.snapshot else {}
        try:
            path.write_text(graph_dot(self.project, statuses), encoding="utf-8")
        except OSError as exc:
            self.show_error("Export graph", f"Cannot write {path}: {exc}")
            return None
        self.statusBar().showMessage(f"Graph written to {path}", 6000)
        return path
