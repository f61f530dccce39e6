"""A new window's first load starts once the window has painted (issue #13).

Opening a 2,000-migration project, the worker reads and parses every file (CPU-bound Python)
while the GUI thread lays out and paints the window for the first time, a pass that calls back
into Python (models, delegates) hundreds of times. Each callback has to take the GIL back from
the worker, which keeps it for up to a switch interval (5 ms): that first frame took up to
45-85 ms of wall time for 13-27 ms of GUI-thread CPU (load 2-4). Waiting for the first paint (at
most :data:`TIMEOUT`) costs the load nothing measurable and leaves the worker alone with the GIL
while the GUI thread idles.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from ..aio import qt_loop

#: never wait longer than this for a frame (a window shown on a platform that does not paint)
TIMEOUT = 0.5


class FirstFrame(QObject):
    """Watches ``window`` until its first paint; :meth:`wait` returns once it has happened."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.painted = False
        self._waiting: list[asyncio.Future] = []
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            watched.removeEventFilter(self)
            # the futures' callbacks run on the next loop pass, after this frame is painted
            for future in self._waiting:
                if not future.done():
                    future.set_result(None)
            self._waiting.clear()
        return False

    async def wait(self) -> None:
        """Return when the window has painted once; at once when it is hidden (nothing to paint)."""
        if self.painted or not self.window.isVisible():
            return
        future: asyncio.Future = qt_loop().create_future()
        self._waiting.append(future)
        try:
            await asyncio.wait_for(future, TIMEOUT)
        except asyncio.TimeoutError:
            self.painted = True  # do not wait again
