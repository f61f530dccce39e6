"""Fixtures for the GUI tests: a real QApplication (pytest-qt, offscreen), no user files touched,
an in-memory keyring, a guard that no test leaves a worker thread running and that the GUI
thread never opens a database connection."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.qt.qt_helpers import SAMPLE


@pytest.fixture(scope="session")
def qapp_args():
    return ["nexo-studio-tests"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """User data (settings, profiles, sample.db, backups) under tmp_path."""
    d = tmp_path / "userdata"
    d.mkdir()
    monkeypatch.setenv("NEXO_DATA_DIR", str(d))
    monkeypatch.delenv("NEXO_DATABASE_URL", raising=False)
    return d


class MemoryKeyring:
    """A tiny in-memory keyring backend."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch) -> Iterator[MemoryKeyring]:
    import keyring
    from keyring.backend import KeyringBackend

    class Backend(KeyringBackend):
        priority = 1
        mem = MemoryKeyring()

        def get_password(self, service, username):
            return self.mem.get_password(service, username)

        def set_password(self, service, username, password):
            self.mem.set_password(service, username, password)

        def delete_password(self, service, username):
            self.mem.delete_password(service, username)

    old = keyring.get_keyring()
    backend = Backend()
    keyring.set_keyring(backend)
    from nexo_studio.qt.connections import Passwords

    Passwords._session.clear()
    yield backend.mem
    keyring.set_keyring(old)
    Passwords._session.clear()


@pytest.fixture(autouse=True)
def no_leaked_threads(qapp) -> Iterator[None]:
    """Fail a test that leaves a worker thread running (and stop it so others are unaffected)."""
    yield
    from nexo_studio.qt.worker import running_threads

    running = running_threads()
    for t in running:
        t.job.cancel.cancel()
        t.wait(30000)
    assert not running, f"test left worker thread(s) running: {[t.objectName() for t in running]}"


@pytest.fixture(autouse=True)
def no_db_on_gui_thread(monkeypatch) -> Iterator[list]:
    """Every connection the GUI opens must be opened off the GUI (main) thread."""
    from nexo_studio.core.target import Target

    offenders: list[str] = []
    original = Target.connect

    def guarded(self):
        if threading.current_thread() is threading.main_thread():
            offenders.append(self.display_url)
        return original(self)

    monkeypatch.setattr(Target, "connect", guarded)
    yield offenders
    assert not offenders, f"database connected on the GUI thread: {offenders}"


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    d = tmp_path / "project" / "migrations"
    shutil.copytree(SAMPLE, d)
    return d


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "app.db"


@pytest.fixture
def qt_loop(qapp) -> Iterator[object]:
    """A qasync loop on the running Qt loop (the window's actions are coroutines on it), torn
    down as ENVIRONMENT.md says so later tests can still use asyncio.run."""
    import asyncio

    import qasync

    from nexo_studio.qt.aio import TASKS

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    for task in list(TASKS):
        task.cancel()
    for _ in range(5):
        qapp.processEvents()
    # not loop.stop(): that calls QApplication.exit(), after which the next test's timers stall
    loop._QEventLoop__is_running = False
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def make_window(qtbot, db_file, qt_loop):
    """Factory: a shown MainWindow on ``migrations`` (default: the sample) and a temp SQLite db,
    with its first load done."""
    from nexo_studio.qt.main_window import MainWindow

    windows = []

    def make(migrations: Path = SAMPLE, url: str | None = None):
        w = MainWindow(migrations, url or f"sqlite:///{db_file}")
        w.quiet = False
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        from nexo_studio.qt.aio import TASKS

        # the first refresh's coroutine has finished too (it emits operation_finished last)
        qtbot.waitUntil(lambda: w.loaded is not None and not w.worker.busy and not TASKS, timeout=20000)
        windows.append(w)
        return w

    yield make
    for w in windows:
        if w.last_message is not None:
            w.last_message.close()
        w.ask_before_abort = False  # teardown: cancel a running job without asking
        w.close()
