"""Small frozen events that operations yield, and the cancel token they check.

Operations are generators: they ``yield`` events and ``return`` a result. The CLI prints
events; the GUI forwards them to the window. One code path, two fronts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import Cancelled

R = TypeVar("R")


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class StageStarted(Event):
    stage: str  # validate, health, backup, apply, verify, rollback, ...
    detail: str = ""


@dataclass(frozen=True)
class StageFinished(Event):
    stage: str
    status: str  # ok, failed, skipped, cancelled
    duration_ms: int = 0
    detail: str = ""


@dataclass(frozen=True)
class MigrationStarted(Event):
    migration_id: str
    action: str  # apply, rollback, verify
    index: int = 0  # 1-based position in the plan
    total: int = 0


@dataclass(frozen=True)
class StatementExecuted(Event):
    migration_id: str
    action: str
    line: int
    sql: str
    duration_ms: float
    rowcount: int | None = None


@dataclass(frozen=True)
class MigrationFinished(Event):
    migration_id: str
    action: str
    status: str  # ok, failed, cancelled
    duration_ms: int
    error: str | None = None
    statement: str | None = None
    line: int | None = None
    statements: int = 0
    rows: int | None = None  # rows the statements reported changing, where the driver tells


@dataclass(frozen=True)
class BackupCreated(Event):
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Log(Event):
    level: str  # debug, info, warning, error
    message: str


class CancelToken:
    """Checked between statements and steps; ``cancel()`` may be called from any thread.

    Two kinds of callbacks run on cancel; both must be thread-safe:

    * ``on_cancel``: always (e.g. to pass the cancel on to another token);
    * ``on_interrupt``: interrupt the statement running on a connection (sqlite3's
      ``interrupt()``, psycopg's ``cancel()``, ``KILL QUERY``), only while a user's statement
      runs, that is inside ``interruptible()``. The engine's own bookkeeping (state rows, history,
      snapshots, health checks) is never interrupted: a cancel that arrives then is seen at the
      next ``check()``, so no bookkeeping write can fail half-way because of a Cancel. A window
      opens and closes under the token's lock, and interrupts are sent under it, so an interrupt
      cannot outlive the user's statement it was meant for.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], Any]] = []
        self._interrupts: list[Callable[[], Any]] = []
        self._window = 0
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()
        with self._lock:
            callbacks = list(self._callbacks)
        for cb in callbacks:
            _quietly(cb)
        with self._lock:
            if self._window:
                for cb in self._interrupts:
                    _quietly(cb)

    def on_cancel(self, callback: Callable[[], Any]) -> Callable[[], None]:
        return self._register(self._callbacks, callback)

    def on_interrupt(self, callback: Callable[[], Any]) -> Callable[[], None]:
        return self._register(self._interrupts, callback)

    def _register(self, into: list[Callable[[], Any]], callback: Callable[[], Any]) -> Callable[[], None]:
        with self._lock:
            into.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in into:
                    into.remove(callback)

        return remove

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """The user's statement runs inside: a cancel now interrupts it."""
        with self._lock:
            self._window += 1
        try:
            yield
        finally:
            with self._lock:
                self._window -= 1

    def check(self, where: str = "") -> None:
        if self._event.is_set():
            raise Cancelled(where)


def _quietly(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception:  # an interrupt that fails must not break cancel itself
        pass


def run(gen: Generator[Event, None, R], on_event: Callable[[Event], Any] | None = None) -> R:
    """Drive an operation to completion, handing each event to ``on_event``; return its result."""
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)
