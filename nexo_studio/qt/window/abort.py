"""Stopping a running operation is never silent: Esc, the Cancel button and closing the window
ask first and say what will be undone (the migration running now) and what stays (those
already done in this run)."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from ...core import events as ev
from ..aio import dialog_result, spawn
from .base import WindowBase

#: jobs whose cancellation changes what ends up in the database: ask first
ASK_BEFORE_STOPPING = {"deploy": ("deploy", "applied"), "rollback": ("rollback", "rolled back"),
                       "restore": ("restore", ""), "backup": ("backup", "")}


class WindowAbort(WindowBase):
    """Confirmation before cancelling or closing during an operation; a mixin of MainWindow."""

    def _init_abort(self) -> None:
        #: False in tests' teardown and screenshots: close without asking (still cancels cleanly)
        self.ask_before_abort = True
        self.active_question: QMessageBox | None = None
        self._run_current: str | None = None
        self._run_done: list[str] = []
        self._close_confirmed = False

    def _track_run(self, event: ev.Event) -> None:
        """Which migration runs now and which are done in this run (for the question's text)."""
        if isinstance(event, ev.MigrationStarted) and event.action != "verify":
            self._run_current = event.migration_id
        elif isinstance(event, ev.MigrationFinished) and event.action != "verify":
            if event.status == "ok":
                self._run_done.append(event.migration_id)
            if self._run_current == event.migration_id:
                self._run_current = None

    def _reset_run(self, *_args) -> None:
        self._run_current, self._run_done = None, []

    def stop_question(self, closing: bool) -> str:
        """What stopping the current job now would undo and keep, in words."""
        job = self.worker.current
        name = job.name if job else ""
        noun, past = ASK_BEFORE_STOPPING.get(name, (name or "operation", ""))
        lines = [f"Stop the running {noun}" + (" and close the window?" if closing else "?")]
        if name in ("deploy", "rollback"):
            if self._run_current:
                lines.append(f"The migration running now, {self._run_current}, is rolled back: none of its "
                             "statements stay (a migration with transaction = none may be left partly done and "
                             "is then marked dirty).")
            else:  # between two migrations
                lines.append("No migration is running at this moment: the next one is not started (nothing "
                             "half done to be rolled back).")
            n = len(self._run_done)
            if n:
                lines.append(f"The {n} migration{'s' if n != 1 else ''} already {past} in this run stay{'' if n != 1 else 's'} "
                             f"{past}: {', '.join(self._run_done[-3:])}{' …' if n > 3 else ''}.")
            lines.append(f"Nothing else is {past}; the history records the {noun} as cancelled.")
        elif name == "restore":
            lines.append("The restore stops after the current step; the database may be left partly restored.")
        else:
            lines.append("It stops after the current step.")
        return "\n\n".join(lines)

    async def confirm_stop(self, closing: bool = False) -> bool:
        """Ask before stopping the running job; True when the user chose to stop it."""
        if not self.worker.busy:
            return False
        job = self.worker.current
        if not self.ask_before_abort or self.quiet or job is None or job.name not in ASK_BEFORE_STOPPING:
            return True
        if self.active_question is not None:
            self.active_question.raise_()
            return False
        box = QMessageBox(QMessageBox.Icon.Warning, "Stop the operation?", self.stop_question(closing),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("stop_question")
        stop = box.addButton("Stop and close" if closing else "Stop", QMessageBox.ButtonRole.DestructiveRole)
        stop.setObjectName("stop_button")
        keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keep_button")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self.active_question = box
        def close_when_idle(busy: bool) -> None:  # the job ended meanwhile: nothing left to stop
            if not busy:
                box.done(0)

        finished = self.worker.busy_changed.connect(close_when_idle)
        try:
            await dialog_result(box)
            return box.clickedButton() is stop and self.worker.busy
        finally:
            self.worker.busy_changed.disconnect(finished)
            self.active_question = None
            box.deleteLater()

    async def cancel(self) -> None:
        if await self.confirm_stop():
            self.worker.cancel()
            self.busy_label.setText("Cancelling…")
            self.log_message("warning", "cancel requested: stopping after the current statement")

    async def _close_after_stopping(self) -> None:
        if not await self.confirm_stop(closing=True) and self.worker.busy:
            return
        self.worker.cancel()
        while self.worker.busy:
            await _next_idle(self.worker)
        self._close_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.worker.busy and self.ask_before_abort and not self.quiet and not self._close_confirmed:
            event.ignore()
            spawn(self._close_after_stopping())
            return
        if self.worker.busy:
            self.worker.cancel()
            self.worker.wait_idle(60000)
            from PySide6.QtWidgets import QApplication

            QApplication.processEvents()
        self.save_layout()
        super().closeEvent(event)


async def _next_idle(worker) -> None:
    from ..aio import qt_loop

    future = qt_loop().create_future()

    def idle(busy: bool) -> None:
        if not busy and not future.done():
            future.set_result(None)

    worker.busy_changed.connect(idle)
    try:
        if worker.busy:
            await future
    finally:
        worker.busy_changed.disconnect(idle)
