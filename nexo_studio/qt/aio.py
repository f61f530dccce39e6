"""asyncio on the Qt loop (qasync): start a user action's coroutine, await a dialog.

Each user action of the window is one coroutine (``async def deploy(self)``: dialog, ``await``
the job on the worker, refresh, report). They run on the ``qasync.QEventLoop`` that
``nexo_studio.qt.app.main`` runs; :func:`spawn` schedules one from a plain Qt slot (no
``@asyncSlot``: a zero-argument one on a free function fails, qasync issue #177).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog

log = logging.getLogger(__name__)

#: tasks started by :func:`spawn` and not finished yet (asyncio keeps only weak references)
TASKS: set[asyncio.Task] = set()


def qt_loop() -> asyncio.AbstractEventLoop:
    """The running qasync loop; when none runs (a script that never started one), a qasync loop
    is attached to the Qt event loop that is or will be running, so coroutines still progress."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    import qasync

    # set, not yet running (app.main); the policy keeps it in a private thread-local
    loop = getattr(getattr(asyncio.get_event_loop_policy(), "_local", None), "_loop", None)
    if isinstance(loop, qasync.QEventLoop) and not loop.is_closed():
        return loop
    loop = qasync.QEventLoop(QApplication.instance(), already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run ``coro`` on the Qt loop; an exception it lets escape is logged, never lost silently."""
    task = qt_loop().create_task(coro)
    TASKS.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task) -> None:
    TASKS.discard(task)
    exc = None if task.cancelled() else task.exception()
    if exc is not None:
        log.error("GUI action failed", exc_info=(type(exc), exc, exc.__traceback__))


def dialog_result(dialog: QDialog) -> "asyncio.Future[int]":
    """Open ``dialog`` (window-modal, non-blocking) and return a future resolved with its result
    code when it finishes. The dialog is not deleted: read its fields, then ``deleteLater()``."""
    future = qt_loop().create_future()

    def finished(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(finished)
    dialog.open()
    return future


async def ask(dialog: QDialog) -> bool:
    """``await ask(dialog)``: True when the user accepted it."""
    return await dialog_result(dialog) == QDialog.DialogCode.Accepted
