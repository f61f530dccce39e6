"""What the window shows while and after a job runs: busy label, progress, log entries from
engine events, the outcome report and message boxes."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ...core import events as ev
from ..models import LogEntry
from ..worker import JobOutcome
from .base import WindowBase


#: engine events arriving within this many ms are shown together: one log insert, one
#: progress-bar repaint (QProgressBar.setValue repaints at once), one status-bar relayout
FLUSH_MS = 40


class WindowFeedback(WindowBase):
    """Worker signals -> status bar, log and messages; a mixin of MainWindow."""

    def _init_feedback(self) -> None:
        from PySide6.QtCore import QTimer

        self._pending_log: list[LogEntry] = []
        self._pending_status: dict[str, str] = {}
        self._pending_busy: str | None = None
        self._pending_progress: tuple[int, int] | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush_feedback)

    def flush_feedback(self) -> None:
        """Show what the events since the last flush changed (also called before anything that
        must come after them: a job's start or end, a log line of the window's own)."""
        self._flush_timer.stop()
        if self._pending_log:
            entries, self._pending_log = self._pending_log, []
            self.log.append(entries)
        if self._pending_busy is not None:
            self.busy_label.setText(self._pending_busy)
            self._pending_busy = None
        if self._pending_progress is not None:
            index, total = self._pending_progress
            self._pending_progress = None
            self.progress.setRange(0, total)
            self.progress.setValue(index)
            self.progress.setFormat("%v / %m")
        statuses, self._pending_status = self._pending_status, {}
        for mid, status in statuses.items():
            self.migrations.model.set_status(mid, status)
            node = self.graph.nodes.get(mid)
            if node is not None:
                node.set_status(status)

    def _on_job_started(self, name: str) -> None:
        self.flush_feedback()
        job = self.worker.current
        label = job.label if job and job.label else name
        self.busy_label.setText(f"{label}…")
        self.busy_label.setToolTip("")
        if name not in ("refresh", "test-connection", "deploy-preview", "export-preview", "list-backups",
                        "history-problems"):
            self.log_message("info", f"{name} started")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        if name in ("deploy", "rollback", "repair", "backup", "restore"):
            self.notice.hide()  # the previous result
        self.cancel_button.setVisible(name in ("deploy", "rollback", "backup", "restore"))

    def _on_progress(self, index: int, total: int) -> None:
        if total:
            self._pending_progress = (index, total)
            self._flush_soon()

    def _flush_soon(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _on_event(self, event: ev.Event) -> None:
        entry = self._log_entry(event)
        if entry is not None:
            self._pending_log.append(entry)
        if isinstance(event, ev.MigrationStarted) and event.action != "verify":
            job = self.worker.current
            label = job.label if job and job.label else "Working"
            self._pending_busy = f"{label}: {event.migration_id}"
        if isinstance(event, ev.MigrationFinished):
            status = {("apply", "ok"): "applied", ("rollback", "ok"): "pending",
                      ("apply", "failed"): "failed"}.get((event.action, event.status))
            if status:
                self._pending_status[event.migration_id] = status
        self._flush_soon()

    def _log_entry(self, event: ev.Event) -> LogEntry | None:
        now = datetime.now(timezone.utc).astimezone()
        if isinstance(event, ev.StatementExecuted):
            return LogEntry(now, "debug", event.migration_id, f"{event.action} line {event.line}: {event.sql.strip()}"
                            f"  ({event.duration_ms:.0f} ms)")
        if isinstance(event, ev.StageStarted):
            return LogEntry(now, "info", "nexo", f"{event.stage}: started" + (f" — {event.detail}" if event.detail else ""))
        if isinstance(event, ev.StageFinished):
            level = {"failed": "error", "cancelled": "warning"}.get(event.status, "info")
            return LogEntry(now, level, "nexo", f"{event.stage}: {event.status} ({event.duration_ms} ms)"
                            + (f" — {event.detail}" if event.detail else ""))
        if isinstance(event, ev.MigrationStarted):
            where = f" ({event.index}/{event.total})" if event.total else ""
            return LogEntry(now, "info", event.migration_id, f"{event.action}{where} …")
        if isinstance(event, ev.MigrationFinished):
            if event.status == "ok":
                return LogEntry(now, "info", event.migration_id, f"{event.action} ok ({event.duration_ms} ms)")
            text = f"{event.action} {event.status}: {event.error or ''}"
            if event.statement:
                text += f"\nstatement (line {event.line}): {event.statement}"
            return LogEntry(now, "error" if event.status == "failed" else "warning", event.migration_id, text)
        if isinstance(event, ev.BackupCreated):
            return LogEntry(now, "info", "nexo", f"backup written: {event.path} ({event.size:,} bytes, sha256 {event.sha256[:12]}…)")
        if isinstance(event, ev.Log):
            return LogEntry(now, event.level if event.level in ("debug", "info", "warning", "error") else "info",
                            "nexo", event.message)
        return None

    def log_message(self, level: str, message: str, source: str = "nexo") -> None:
        self.flush_feedback()
        self.log.append([LogEntry(datetime.now(timezone.utc).astimezone(), level, source, message)])

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        """Every job (the window's and its dialogs'): the progress ends, the views take the
        snapshot the worker read after it. Reporting is the awaiting coroutine's part."""
        self.flush_feedback()
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if outcome.loaded is not None:
            self.apply_loaded(outcome.loaded)
            if not outcome.loaded.connected:
                self.log_message("error", f"cannot read the database: {outcome.loaded.error}")
        if not self.worker.busy:
            self._set_idle_label()
        self._update_actions()

    async def _finish(self, title: str, outcome: JobOutcome | None) -> JobOutcome | None:
        """Report ``outcome`` of a user action, emit ``operation_finished``, then react to its
        error class (DatabaseNeedsRepair opens the repair dialog)."""
        from ...errors import DatabaseNeedsRepair

        if outcome is None:
            return None
        self._report(title, outcome)
        from .notice import NOTIFY

        if outcome.name in NOTIFY:
            self.notice.show_outcome(title, outcome)
        self.operation_finished.emit(outcome)
        if isinstance(outcome.error, DatabaseNeedsRepair) and outcome.error.problems:
            await self.repair(outcome.error.problems[0][0])
        return outcome

    def _report(self, title: str, outcome: JobOutcome) -> None:
        from ...core.db import redact
        from ...errors import DatabaseNeedsRepair, LockTimeout

        name = outcome.name
        if name in ("refresh", "validate"):
            if outcome.error is not None:
                self.log_message("error", f"{name} failed: {redact(str(outcome.error))}")
            return
        if outcome.error is not None:
            text = redact(str(getattr(outcome.error, "orig", None) or outcome.error))
            if outcome.cancelled:
                self.log_message("warning", f"{name} cancelled")
                self.statusBar().showMessage(f"{title} cancelled", 8000)
                return
            self.log_message("error", f"{name} failed: {text}")
            if outcome.traceback:
                self.log_message("debug", outcome.traceback)
            if isinstance(outcome.error, LockTimeout):
                exc = outcome.error
                who = exc.holder or "another session (it did not say who)"
                self.show_error(title, f"{title} did not start: the database lock is held by {who}; waited "
                                       f"{exc.timeout:g} s. Try again when that operation ends.")
            elif isinstance(outcome.error, DatabaseNeedsRepair):
                self.statusBar().showMessage(f"{title} refused: {text}", 10000)
            else:
                self.show_error(title, text)
            return
        self._report_result(title, outcome)

    def _report_result(self, title: str, outcome: JobOutcome) -> None:
        name, result = outcome.name, outcome.result
        message = getattr(result, "message", None)
        if name == "backup":
            message = f"backup written: {result}"
        elif name == "restore":
            message = "restore finished"
        elif name == "repair" and result.action == "accept-history":
            message = f"history accepted: recorded in the history as seq {result.seq}"
        elif name == "repair":
            message = f"{result.migration_id}: {result.before} → {result.after}"
        ok = getattr(result, "ok", True)
        if not ok:
            level = "warning" if outcome.cancelled else "error"
            for line in (message or "").splitlines() or [f"{name} failed"]:
                self.log_message(level, line)
            if outcome.cancelled:
                self.statusBar().showMessage(f"{title} cancelled: {message}", 10000)
            else:
                self.show_error(title, message or f"{name} failed")
        else:
            self.log_message("info", message or f"{name} done")
            self.statusBar().showMessage(message or f"{title} done", 8000)

    def show_error(self, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Critical, title, text)

    def show_info(self, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Information, title, text)

    def _message(self, kind, title: str, text: str) -> None:
        if self.quiet:
            return
        box = QMessageBox(kind, title, text.splitlines()[0] if text else title, QMessageBox.StandardButton.Ok, self)
        if text and "\n" in text:
            box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_message = box
        box.finished.connect(lambda _r: setattr(self, "last_message", None))
        box.open()
