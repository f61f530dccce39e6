"""The Fleet view's worker jobs: read the fleet, run deploy / rollback / dry run on some
targets, export. Each is a :class:`~..worker.Job` whose function runs on the worker thread and
calls the application layer (``app.fleet``); the GUI receives frozen events and plain results.

A run's targets work on the fleet runner's own threads (at most N at once); their events come
back through a queue that the job's generator drains on the worker thread, so the worker emits
them to the GUI one by one, in order, and Cancel reaches every running target through the
job's cancel token.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...app.fleet.session import FleetSession
from ..worker import Job, JobContext
from .data import FleetMatrix


@dataclass(frozen=True)
class FleetLoaded:
    session: FleetSession
    matrix: FleetMatrix
    read_ms: int = 0


@dataclass(frozen=True)
class TargetProgress:
    """A target's migration ``index`` of ``total`` started (index 0: the target started)."""

    name: str
    index: int
    total: int
    migration: str = ""


@dataclass(frozen=True)
class TargetDone:
    name: str
    ok: bool
    status: str        # deployed, up_to_date, rolled_back, dry_run, failed, unreachable, …
    text: str = ""


def load_job(migrations_dir: Path | None, targets_file: Path | None) -> Job:
    """Open the fleet (project, nexo.toml, targets) and read every target's status."""
    def fn(ctx: JobContext) -> FleetLoaded:
        import time

        t0 = time.perf_counter()
        fs = FleetSession.open(migrations_dir, targets_file, ctx.project)
        rows = fs.status()
        matrix = FleetMatrix.build(rows, fs.columns(rows), {t.name: t.url for t in fs.targets})
        return FleetLoaded(fs, matrix, int((time.perf_counter() - t0) * 1000))

    return Job("fleet-status", fn, refresh=False, label="Reading the fleet")


def _outcome_text(o: Any) -> str:
    if o.result is not None and o.result.message and o.ok:
        plan = len(o.result.plan)
        if o.status == "dry_run":
            return f"dry run: {plan} would run"
        if o.status == "up_to_date":
            return "up to date"
        return f"{o.status}: {len(o.result.applied) or len(o.result.rolled_back)} of {plan}"
    if o.status == "not_started":
        return "not started"
    return f"{o.status}: {o.error or (o.result.message if o.result else '')}".strip()


def run_job(fs: FleetSession, opts: Any, names: Sequence[str]) -> Job:
    """``opts``: ``app.fleet.runner.FleetOptions``. Yields TargetProgress / TargetDone; returns
    the ``FleetRun``."""
    from ...core.events import MigrationStarted

    def fn(ctx: JobContext) -> Generator[Any, None, Any]:
        events: queue.Queue = queue.Queue()
        box: dict[str, Any] = {}
        started: set[str] = set()
        lock = threading.Lock()

        def on_event(name: str, ev: Any) -> None:
            with lock:
                first = name not in started
                started.add(name)
            if first:
                events.put(TargetProgress(name, 0, 0))
            if isinstance(ev, MigrationStarted) and ev.action != "verify":
                events.put(TargetProgress(name, ev.index - 1, ev.total, ev.migration_id))

        def on_done(o: Any) -> None:
            events.put(TargetDone(o.name, o.ok, o.status, _outcome_text(o)))

        def work() -> None:
            try:
                box["run"] = fs.run(opts, names, ctx.cancel, on_event, on_done)
            except BaseException as exc:  # noqa: BLE001 - raised again on the worker thread
                box["error"] = exc
            finally:
                events.put(None)

        runner = threading.Thread(target=work, name="nexo-fleet-run", daemon=True)
        runner.start()

        def drain() -> Generator[Any, None, Any]:
            while (item := events.get()) is not None:
                yield item
            runner.join()
            if "error" in box:
                raise box["error"]
            return box["run"]

        return drain()

    verb = {"deploy": "Deploying", "rollback": "Rolling back"}.get(opts.action, opts.action)
    return Job(f"fleet-{opts.action}", fn, refresh=False, needs_project=False,
               label=("Dry run" if opts.dry_run else verb) + f" on {len(names)} target(s)")


def export_job(fs: FleetSession, fmt: str, path: Path, names: Sequence[str] | None) -> Job:
    return Job("fleet-export", lambda ctx: fs.export(fmt, path, names), refresh=False, needs_project=False,
               label="Exporting the fleet")
