"""Test connection off the shared worker: the probe runs on its own daemon thread, so Cancel
answers at once (the abandoned attempt ends by itself within the driver's connect timeout) and
the window's worker is never held by a connection that may hang."""
from __future__ import annotations

import asyncio
import threading

from ...core.events import CancelToken
from ..worker import JobContext, JobOutcome


def _probe(url: str) -> tuple[str, bool]:
    ctx = JobContext(None, url, None, CancelToken())
    try:
        t = ctx.target
        with t.connect() as conn:
            return t.server_version(conn), t.store.exists(conn)
    finally:
        ctx.close()


def start_probe(url: str) -> asyncio.Future:
    """A future on the running (qasync) loop, resolved with a JobOutcome named
    ``test-connection``; cancel the future to stop waiting for it."""
    from ..aio import qt_loop

    loop = qt_loop()
    future: asyncio.Future = loop.create_future()

    def settle(outcome: JobOutcome) -> None:
        if not future.done():
            future.set_result(outcome)

    def run() -> None:
        try:
            outcome = JobOutcome("test-connection", True, _probe(url))
        except BaseException as exc:  # noqa: BLE001 - shown in the dialog
            outcome = JobOutcome("test-connection", False, None, exc)
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:  # the loop is gone (the app quit)
            pass

    threading.Thread(target=run, name="nexo-test-connection", daemon=True).start()
    return future
