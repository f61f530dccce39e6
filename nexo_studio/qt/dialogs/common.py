"""What the dialogs share: a base for dialogs that run jobs on the worker, short notes, a
date field, error text from a job's outcome."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimeZone, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDateTimeEdit, QDialog, QLabel, QWidget

from ..worker import Job, JobOutcome, Worker


def _error_text(outcome: JobOutcome) -> str:
    from ...core.db import redact

    if outcome.error is None:
        return ""
    exc = outcome.error
    text = str(getattr(exc, "orig", None) or exc).strip()
    return redact(text.splitlines()[0] if text else type(exc).__name__)


class _WorkerDialog(QDialog):
    """A dialog that runs jobs on the window's worker and listens for their outcome."""

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._pending: dict[str, object] = {}
        worker.job_finished.connect(self._on_job_finished)
        self.finished.connect(self._disconnect)

    def run_job(self, job: Job, on_done) -> bool:
        if not self.worker.submit(job):
            self.setToolTip("Another operation is running; try again when it ends.")
            return False
        self._pending[job.name] = on_done
        return True

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        handler = self._pending.pop(outcome.name, None)
        if handler is not None:
            handler(outcome)

    def _disconnect(self) -> None:
        try:
            self.worker.job_finished.disconnect(self._on_job_finished)
        except (RuntimeError, TypeError):
            pass


def _note(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _date_edit(days: int) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime(QTimeZone.utc()).addDays(days))
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    return edit


def open_path(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
