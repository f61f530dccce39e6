"""What the dialogs share: a base for dialogs that run jobs on the worker, short notes, a
date field, error text from a job's outcome."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QDateTime, Qt, QTimeZone, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDateTimeEdit, QDialog, QLabel, QWidget

from ..aio import spawn
from ..worker import Job, JobOutcome, Worker


def _error_text(outcome: JobOutcome) -> str:
    from ...core.db import redact

    if outcome.error is None:
        return ""
    exc = outcome.error
    text = str(getattr(exc, "orig", None) or exc).strip()
    return redact(text.splitlines()[0] if text else type(exc).__name__)


class _WorkerDialog(QDialog):
    """A dialog whose buttons run jobs on the window's worker: each such button is a coroutine
    (``async def preview(self)``) that awaits :meth:`run` and shows the outcome."""

    #: a job of this dialog ended and the dialog shows its outcome (JobOutcome)
    job_done = Signal(object)

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker

    def start(self, coro) -> None:
        """Run a button's coroutine on the Qt loop."""
        spawn(coro)

    async def run(self, job: Job) -> JobOutcome | None:
        """Await ``job`` on the worker; None while another operation runs, or when the dialog
        was closed and deleted meanwhile (nothing left to show it in)."""
        future = self.worker.start(job)
        if future is None:
            self.setToolTip("Another operation is running; try again when it ends.")
            return None
        outcome = await future
        return outcome if shiboken6.isValid(self) else None

    def done_with(self, outcome: JobOutcome) -> None:
        self.job_done.emit(outcome)


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
