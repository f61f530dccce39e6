"""The worker bridge: engine generators on a QThread, events queued to the GUI thread, cancel,
errors as outcomes, a refresh after each job, and ``await worker.run(job)`` under qasync."""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtCore import QThread

from nexo_studio.core.events import Log, MigrationStarted
from nexo_studio.errors import Cancelled, InvalidInput
from nexo_studio.qt.worker import Job, Worker, running_threads
from tests.qt.qt_helpers import SAMPLE


@pytest.fixture
def worker(qtbot, db_file):
    w = Worker()
    w.set_connection(f"sqlite:///{db_file}", SAMPLE)
    yield w
    w.cancel()
    w.wait_idle()


def test_events_arrive_on_the_gui_thread_and_the_state_is_reloaded(qtbot, worker):
    seen = []

    def job(ctx):
        assert QThread.currentThread() is not qtbot_thread
        assert ctx.project is not None and ctx.target.dialect == "sqlite"
        for i in range(1, 4):
            yield MigrationStarted(f"m{i}", "apply", i, 3)
        yield Log("info", "hello")
        return "done"

    qtbot_thread = QThread.currentThread()
    worker.event_emitted.connect(lambda e: seen.append((e, threading.current_thread() is threading.main_thread())))
    progress = []
    worker.progress_changed.connect(lambda i, t: progress.append((i, t)))
    with qtbot.waitSignal(worker.job_finished, timeout=20000) as blocker:
        assert worker.submit(Job("demo", job))
        assert worker.busy and not worker.submit(Job("second", lambda ctx: None))  # one at a time
    outcome = blocker.args[0]
    assert outcome.ok and outcome.result == "done"
    assert [type(e).__name__ for e, _ in seen] == ["MigrationStarted"] * 3 + ["Log"]
    assert all(on_gui for _e, on_gui in seen)
    assert (2, 3) in progress
    loaded = outcome.loaded
    assert loaded is not None and loaded.connected and len(loaded.snapshot.states) == 9
    assert not worker.busy and not running_threads()


def test_errors_become_outcomes(qtbot, worker):
    def boom(ctx):
        raise InvalidInput("bad input")

    with qtbot.waitSignal(worker.job_finished, timeout=20000) as blocker:
        worker.submit(Job("boom", boom, refresh=False))
    outcome = blocker.args[0]
    assert not outcome.ok and isinstance(outcome.error, InvalidInput) and outcome.traceback is None

    def bug(ctx):
        raise ZeroDivisionError

    with qtbot.waitSignal(worker.job_finished, timeout=20000) as blocker:
        worker.submit(Job("bug", bug, refresh=False))
    assert "ZeroDivisionError" in blocker.args[0].traceback


def test_cancel_reaches_the_token(qtbot, worker):
    started = threading.Event()

    def slow(ctx):
        started.set()
        while True:
            ctx.cancel.check("slow job")
            yield Log("debug", "tick")
            QThread.msleep(5)

    with qtbot.waitSignal(worker.job_finished, timeout=20000) as blocker:
        worker.submit(Job("slow", slow, refresh=False))
        qtbot.waitUntil(started.is_set)
        worker.cancel()
    outcome = blocker.args[0]
    assert outcome.cancelled and isinstance(outcome.error, Cancelled)


def test_await_a_job_under_qasync(qapp, worker):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    try:
        outcome = loop.run_until_complete(worker.run(Job("awaited", lambda ctx: 42)))
    finally:
        loop.close()
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
    assert outcome.result == 42 and outcome.loaded is not None


def test_test_connection_job_uses_its_own_url(qtbot, worker, tmp_path):
    other = tmp_path / "other.db"

    def probe(ctx):
        return ctx.target.display_url

    with qtbot.waitSignal(worker.job_finished, timeout=20000) as blocker:
        worker.submit(Job("probe", probe, refresh=False, url=f"sqlite:///{other}", needs_project=False))
    assert blocker.args[0].result.endswith("other.db")
