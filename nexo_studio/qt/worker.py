"""The worker bridge: every database call of the GUI runs on a background thread.

How it works (superqt's generator-worker pattern, STYLE.md):

* A :class:`Job` is a plain function ``fn(ctx) -> value | generator``. ``ctx`` (a
  :class:`JobContext`) holds a :class:`~nexo_studio.core.target.Target` *created in the worker
  thread* (so no engine or connection ever crosses threads), the project loaded from disk in
  that thread, and the job's :class:`~nexo_studio.core.events.CancelToken`.
* :class:`JobThread` (a ``QThread``) drives the generator and emits one queued
  ``Signal(object)`` per engine event; the GUI thread only receives frozen event objects.
* After a job that may change something, the same thread reads the status and the whole
  history again (:class:`Loaded`), so every view refreshes from the database, not from guesses.
* Cancel calls ``CancelToken.cancel()`` from the GUI thread (thread-safe); the engine checks it
  between statements and steps (PostgreSQL also interrupts the running statement).

Why a QThread rather than ``loop.run_in_executor``: ``main()`` does run Qt through
``qasync.QEventLoop`` and coroutines can ``await worker.run(job)`` (the ``--screenshot`` flow
does), but the blocking engine work itself runs on a QThread: Qt knows about it (queued signals
need no extra queue, ``QThread.wait`` gives a clean shutdown, and tests can assert that no
thread was left running), and it avoids qasync's executor teardown pitfalls (ENVIRONMENT.md).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.events import CancelToken, Event, Log, MigrationFinished, MigrationStarted
from ..core.project import Project, Snapshot
from ..app.types import HistoryRow

#: every JobThread started and not yet collected by its Worker (tests assert none is left running)
LIVE_THREADS: "set[JobThread]" = set()


def running_threads() -> list["JobThread"]:
    """Worker threads still running (for shutdown checks and tests)."""
    import shiboken6

    return [t for t in list(LIVE_THREADS) if shiboken6.isValid(t) and t.isRunning()]


@dataclass(frozen=True)
class Loaded:
    """Everything the views show, read in the worker in one go."""

    project: Project
    snapshot: Snapshot
    history: tuple[HistoryRow, ...]
    display_url: str
    dialect: str
    server_version: str | None = None
    lock_holder: str | None = None
    connected: bool = True
    error: str | None = None
    load_ms: int = 0
    #: the project's nexo.toml as the session read it (None when it could not be read)
    config: Any = None
    #: filled in by the window's ``Worker.decorate`` hook, still on the worker thread
    extra: dict = field(default_factory=dict, compare=False)


@dataclass
class JobContext:
    """What a job works with, opened on the worker thread: the session (project + nexo.toml +
    database, ``app.Session``) and the job's cancel token."""

    project: Project | None
    url: str | None
    migrations_dir: Path | None
    cancel: CancelToken
    _session: Any = None
    #: the window shows the database as this other tool recorded it (read-only, SPEC §8)
    foreign_tool: str | None = None

    @property
    def session(self):
        """Opened on first use; a broken ``nexo.toml`` raises ``ConfigError`` naming it."""
        if self._session is None:
            from ..app import Session, SessionSpec

            if not self.url:
                raise ValueError("no database URL")
            self._session = Session.open(SessionSpec(self.migrations_dir, db=self.url))
            if self.project is not None:
                self._session.project = self.project
        return self._session

    @property
    def target(self):
        return self.session.target

    @property
    def required_project(self) -> Project:
        """The project of a job that needs one (the worker loads it before the job runs)."""
        if self.project is None:
            raise ValueError("no project: open a migrations folder first")
        return self.project

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


@dataclass
class Job:
    """``fn(ctx)`` returns a value or an engine generator (whose return value is the result)."""

    name: str
    fn: Callable[[JobContext], Any]
    #: read status + history afterwards (every operation that may change the database)
    refresh: bool = True
    #: a different URL than the window's (Test connection)
    url: str | None = None
    migrations_dir: Path | None = None
    needs_project: bool = True
    label: str = ""
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True)
class JobOutcome:
    name: str
    ok: bool
    result: Any = None
    error: BaseException | None = None
    traceback: str | None = None
    cancelled: bool = False
    loaded: Loaded | None = None
    duration_ms: int = 0


def load_state(ctx: JobContext) -> Loaded:
    """Project from disk + status + the whole history (read-only: creates nothing)."""
    from ..app.drift import read_drift
    from ..app.view import read_view
    from ..core.db import redact
    from ..core.project import snapshot
    from ..errors import ConfigError

    t0 = time.perf_counter()
    if ctx.project is not None:
        project = ctx.project
    elif ctx.migrations_dir is not None:
        project = Project.load(ctx.migrations_dir)
    else:
        raise ValueError("no migrations folder to read")
    try:
        target = ctx.target
    except ConfigError as exc:  # shown, never dropped: the window must not guess the settings
        return Loaded(project, snapshot(project, {}, "sqlite"), (), redact(ctx.url or ""), "", connected=False,
                      error=str(exc), load_ms=int((time.perf_counter() - t0) * 1000))
    config = ctx.session.config
    if ctx.foreign_tool:
        return _load_foreign(ctx, project, t0)
    if target.absent():  # an SQLite file that does not exist yet: read-only, so do not create it
        import sqlite3

        snap = snapshot(project, {}, target.dialect)
        return Loaded(project, snap, (), target.display_url, target.dialect, f"SQLite {sqlite3.sqlite_version} (new file)",
                      config=config, load_ms=int((time.perf_counter() - t0) * 1000))
    try:
        view = read_view(ctx.session, project)  # the CLI's status, the same function
        extra = {"drift": read_drift(ctx.session)}  # `nexo drift`'s verdict (never raises)
        return Loaded(project, view.snapshot, view.history, target.display_url, target.dialect, view.server_version,
                      view.lock_holder, config=config, load_ms=int((time.perf_counter() - t0) * 1000), extra=extra)
    except Exception as exc:  # connection refused, unreadable state: show the project anyway
        reason = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
        snap = snapshot(project, {}, target.dialect)
        return Loaded(project, snap, (), target.display_url, target.dialect, connected=False, error=reason,
                      config=config, load_ms=int((time.perf_counter() - t0) * 1000))


def _load_foreign(ctx: JobContext, project: Project, t0: float) -> Loaded:
    """``--from TOOL`` mode: the other tool's state in the same shapes (app.foreign_view)."""
    from ..app.foreign_view import read_foreign_view
    from ..core.project import snapshot

    target, config = ctx.target, ctx.session.config
    try:
        view = read_foreign_view(ctx.session, ctx.foreign_tool or "", project)
    except Exception as exc:  # noqa: BLE001 - shown as "cannot connect", like a nexo database
        from ..core.db import redact

        reason = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
        return Loaded(project, snapshot(project, {}, target.dialect), (), target.display_url, target.dialect,
                      connected=False, error=reason, config=config)
    return Loaded(view.project, view.snapshot, view.history, target.display_url, target.dialect,
                  f"{ctx.foreign_tool} · {view.table}" + ("" if view.found else " (not found)"), config=config,
                  load_ms=int((time.perf_counter() - t0) * 1000))


class JobThread(QThread):
    """Runs one job; its signals are emitted from the worker thread and queued to the GUI."""

    event_emitted = Signal(object)
    finished_job = Signal(object)

    def __init__(self, job: Job, url: str | None, migrations_dir: Path | None, parent: QObject | None = None,
                 decorate: Callable[[Loaded], None] | None = None):
        super().__init__(parent)
        self.job = job
        self.decorate = decorate
        self.url = job.url or url
        self.migrations_dir = job.migrations_dir or migrations_dir
        #: set by the Worker: refreshes read the other tool's state (``--from`` mode)
        self.foreign_tool: str | None = None
        self.setObjectName(f"nexo-worker-{job.name}")

    def run(self) -> None:  # worker thread
        job = self.job
        t0 = time.perf_counter()
        ctx = JobContext(None, self.url, self.migrations_dir, job.cancel, foreign_tool=self.foreign_tool)
        outcome: JobOutcome
        try:
            if job.needs_project and self.migrations_dir is not None:
                ctx.project = Project.load(self.migrations_dir)
            value = job.fn(ctx)
            if isinstance(value, Generator):
                value = self._drive(value)
            outcome = JobOutcome(job.name, _result_ok(value), value)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never lost
            from ..errors import Cancelled

            outcome = JobOutcome(job.name, False, None, exc,
                                 None if _expected(exc) else traceback.format_exc(),
                                 cancelled=isinstance(exc, Cancelled))
        loaded = None
        if job.refresh and self.migrations_dir is not None and self.url:
            try:
                loaded = load_state(ctx)
            except BaseException as exc:  # noqa: BLE001 - e.g. the migrations folder vanished
                self.event_emitted.emit(Log("error", f"refresh failed: {exc}"))
            if loaded is not None and self.decorate is not None:
                try:
                    self.decorate(loaded)
                except Exception as exc:  # noqa: BLE001 - extras are optional
                    self.event_emitted.emit(Log("warning", f"could not prepare the views: {exc}"))
        ctx.close()
        ms = int((time.perf_counter() - t0) * 1000)
        cancelled = outcome.cancelled or getattr(outcome.result, "status", None) == "cancelled"
        self.finished_job.emit(JobOutcome(outcome.name, outcome.ok, outcome.result, outcome.error,
                                          outcome.traceback, cancelled, loaded, ms))

    def _drive(self, gen: Generator[Event, None, Any]) -> Any:
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                return stop.value
            self.event_emitted.emit(event)
            # hand the GIL over at every event, so the GUI thread never waits a switch interval
            time.sleep(0)


#: GIL switch interval while a Worker exists (CPython's default is 5 ms)
SWITCH_INTERVAL = 0.001


def shorten_gil_switch_interval() -> None:
    """The worker thread runs Python (SQLAlchemy, hashing) most of the time; every call from Qt
    into Python on the GUI thread (paint, ``data()``) needs the GIL, and waits up to the switch
    interval for it. 1 ms instead of 5 ms measurably shortens the GUI's longest stalls
    (``benchmarks/gui_responsiveness.py``)."""
    import sys

    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)


def _result_ok(value: Any) -> bool:
    ok = getattr(value, "ok", None)
    return True if ok is None else bool(ok)


def _expected(exc: BaseException) -> bool:
    from ..errors import NexoError

    if isinstance(exc, NexoError):
        return True
    try:
        import sqlalchemy as sa

        return isinstance(exc, sa.exc.SQLAlchemyError)
    except ImportError:  # pragma: no cover
        return False


class Worker(QObject):
    """One job at a time: the window's single gateway to the database."""

    job_started = Signal(str)
    event_emitted = Signal(object)
    progress_changed = Signal(int, int)  # index, total (0, 0: busy, no known total)
    job_finished = Signal(object)  # JobOutcome
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url: str | None = None
        self.migrations_dir: Path | None = None
        self._thread: JobThread | None = None
        self._job: Job | None = None
        self._progress = (0, 0)
        #: ``--from TOOL`` mode: refreshes show the database as that tool recorded it (read-only)
        self.foreign_tool: str | None = None
        #: runs on the worker thread after each refresh: ``decorate(loaded)`` fills ``loaded.extra``
        self.decorate: Callable[[Loaded], None] | None = None
        shorten_gil_switch_interval()

    def set_connection(self, url: str | None, migrations_dir: Path | None) -> None:
        self.url = url
        self.migrations_dir = Path(migrations_dir) if migrations_dir else None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def current(self) -> Job | None:
        return self._job

    def submit(self, job: Job) -> bool:
        """Start ``job``; False (and nothing started) while another job runs."""
        if self._thread is not None:
            return False
        thread = JobThread(job, self.url, self.migrations_dir, self, self.decorate)
        thread.foreign_tool = None if job.url else self.foreign_tool
        thread.event_emitted.connect(self._on_event)
        thread.finished_job.connect(self._on_finished)
        self._thread, self._job = thread, job
        self._progress = (0, 0)
        LIVE_THREADS.add(thread)
        self.busy_changed.emit(True)
        self.job_started.emit(job.name)
        self.progress_changed.emit(0, 0)
        thread.start()
        return True

    def start(self, job: Job) -> "asyncio.Future[JobOutcome] | None":
        """Submit ``job`` now (``busy`` is true on return) and return a future resolved with its
        outcome on the running (qasync) loop, after the window's own ``job_finished`` handlers
        ran; None (nothing started) while another job runs."""
        from .aio import qt_loop

        future: asyncio.Future = qt_loop().create_future()

        def done(outcome: JobOutcome) -> None:
            if outcome.name != job.name:
                return
            self.job_finished.disconnect(done)
            if not future.done():
                future.set_result(outcome)

        self.job_finished.connect(done)
        if not self.submit(job):
            self.job_finished.disconnect(done)
            return None
        return future

    async def run(self, job: Job) -> JobOutcome:
        """``await worker.run(job)`` from a qasync coroutine."""
        future = self.start(job)
        if future is None:
            raise RuntimeError("the worker is busy")
        return await future

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel.cancel()

    def wait_idle(self, ms: int = 30000) -> bool:
        """Block until the current job ends (shutdown only); True when idle."""
        thread = self._thread
        if thread is None:
            return True
        return thread.wait(ms)

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        if isinstance(event, MigrationStarted) and event.total:
            self._progress = (event.index, event.total)
            self.progress_changed.emit(event.index - 1, event.total)
        elif isinstance(event, MigrationFinished) and self._progress[1] and event.action != "verify":
            self.progress_changed.emit(self._progress[0], self._progress[1])
        self.event_emitted.emit(event)

    @Slot(object)
    def _on_finished(self, outcome: JobOutcome) -> None:
        thread = self._thread
        self._thread, self._job = None, None
        if thread is not None:
            thread.wait()
            LIVE_THREADS.discard(thread)
            thread.deleteLater()
        self.busy_changed.emit(False)
        self.job_finished.emit(outcome)
