"""How long can the GUI thread be blocked while the window works? Prints the figures.

A QTimer ticks every 5 ms on the GUI thread and records the longest gap between two ticks
while the real main window (offscreen) does:

1. a 200-migration deploy on SQLite (each migration creates a table and runs a short recursive
   count, so the deploy takes a few seconds and streams ~1,000 events to the window), and
2. opening a 2,000-migration project (status + history read and the graph laid out on the
   worker; only building the scene items happens on the GUI thread).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--migrations 200] [--nodes 2000]
        [--runs 3] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

The target is a longest gap under 50 ms. On a loaded machine the wall-clock gap also counts the
time the OS did not run the process at all, so each gap's CPU time on the GUI thread is printed
too ("cpu"): that part is the window's own work. ``--postgres`` also runs the deploy on a
throwaway database created (and dropped) through that server URL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def write_project(directory: Path, n: int, loops: int, chain: bool = True) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    base = datetime(2025, 1, 1)
    ids: list[str] = []
    for i in range(1, n + 1):
        mid = f"{base + timedelta(minutes=i):%Y.%m.%d.%H%M%S}_step_{i}"
        if chain and ids:
            deps = [ids[-1]] if i % 7 else [ids[-1], ids[max(0, len(ids) - 5)]]
        else:
            deps = [ids[(i * 7919) % len(ids)]] if ids else []
        deps = list(dict.fromkeys(deps))
        header = [f"-- description: step {i}"] + ([f"-- depends: {', '.join(deps)}"] if deps else [])
        up = f"CREATE TABLE step_{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));"
        if loops:
            up += (f"\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {loops}) "
                   "SELECT count(*) FROM c;")
        text = "\n".join(header + ["-- +up", up, "-- +down", f"DROP TABLE step_{i};"]) + "\n"
        (directory / f"{mid}.sql").write_text(text, encoding="utf-8")
        ids.append(mid)
    return ids


class GapMeter:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.cpu_gaps: list[float] = []
        self._last = 0.0
        self._last_cpu = 0.0

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self._last:
            self.gaps.append(now - self._last)
            self.cpu_gaps.append(cpu - self._last_cpu)
        self._last, self._last_cpu = now, cpu

    def start(self) -> None:
        self._last = 0.0
        self.gaps.clear()
        self.cpu_gaps.clear()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {"ticks": len(self.gaps), "max_ms": gaps[-1] * 1000,
                "p99_ms": gaps[int(len(gaps) * 0.99) - 1 if len(gaps) > 1 else 0] * 1000,
                "cpu_max_ms": max(self.cpu_gaps, default=0.0) * 1000}


def wait(app, predicate, timeout: float = 600.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.001)


def measure_deploy(app, root: Path, n: int, loops: int, url: str | None = None) -> dict:
    from nexo_studio.core.pipeline import DeployOptions
    from nexo_studio.qt.aio import TASKS
    from nexo_studio.qt.main_window import MainWindow

    project = root / "deploy" / "migrations"
    if not project.exists():
        write_project(project, n, loops)
    window = MainWindow(project, url or f"sqlite:///{root / f'deploy-{time.monotonic_ns()}.db'}")
    window.quiet = True
    window.resize(1280, 800)
    window.show()
    wait(app, lambda: window.loaded is not None and not window.worker.busy and not TASKS)
    meter = GapMeter()
    outcomes = []
    window.operation_finished.connect(lambda o: o.name == "deploy" and outcomes.append(o))
    meter.start()
    t0 = time.perf_counter()
    window.spawn(window.run_deploy(DeployOptions(backup=False)))
    wait(app, lambda: bool(outcomes))
    seconds = time.perf_counter() - t0
    result = meter.stop()
    applied = sum(1 for r in window.migrations.model.records() if r.status == "applied")
    window.close()
    result.update(seconds=seconds, applied=applied, ok=outcomes[0].ok)
    return result


def measure_graph_load(app, root: Path, nodes: int) -> dict:
    from nexo_studio.qt.aio import TASKS
    from nexo_studio.qt.main_window import MainWindow

    project = root / "big" / "migrations"
    if not project.exists():
        write_project(project, nodes, 0, chain=False)
    meter = GapMeter()
    meter.start()
    t0 = time.perf_counter()
    window = MainWindow(project, f"sqlite:///{root / 'big.db'}")
    window.quiet = True
    window.resize(1280, 800)
    window.show()
    wait(app, lambda: window.loaded is not None and not window.worker.busy and not TASKS
         and not window.graph.building)
    for _ in range(5):
        app.processEvents()
    seconds = time.perf_counter() - t0
    result = meter.stop()
    result.update(seconds=seconds, nodes=len(window.graph.nodes),
                  layout_s=window.loaded.extra["layout"].seconds if window.loaded.extra.get("layout") is not None
                  and hasattr(window.loaded.extra["layout"], "seconds") else None)
    window.close()
    return result


def throwaway_postgres(server_url: str):
    """A context manager: the URL of a new database on ``server_url``'s server, dropped after."""
    import contextlib

    import sqlalchemy as sa

    @contextlib.contextmanager
    def cm():
        name = f"nexo_bench_{os.getpid()}_{time.monotonic_ns() % 10**6}"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()

    return cm()


def summary(label: str, runs: list[dict]) -> str:
    import statistics

    gaps = [r["max_ms"] for r in runs]
    cpu = [r["cpu_max_ms"] for r in runs]
    secs = [r["seconds"] for r in runs]
    return (f"{label}: {len(runs)} runs, {statistics.median(secs):.2f} s median; longest GUI gap median "
            f"{statistics.median(gaps):.1f} ms, max {max(gaps):.1f} ms; its GUI-thread cpu median "
            f"{statistics.median(cpu):.1f} ms, max {max(cpu):.1f} ms (runs: {', '.join(f'{g:.0f}' for g in gaps)})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--migrations", type=int, default=200)
    p.add_argument("--loops", type=int, default=20000, help="rows counted by each migration's slow statement")
    p.add_argument("--nodes", type=int, default=2000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--postgres", metavar="URL", help="also deploy on a throwaway database of this server")
    p.add_argument("--skip", choices=("deploy", "graph"), action="append", default=[])
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
        os.environ["NEXO_DATA_DIR"] = str(Path(tmp) / "data")
        from PySide6.QtWidgets import QApplication

        from nexo_studio.qt.app import create_app

        app = create_app(["bench"])
        assert isinstance(app, QApplication)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for name, make in (("sqlite", None), ("postgresql", args.postgres)):
            if "deploy" in args.skip or (name != "sqlite" and not make):
                continue
            runs = []
            for _ in range(args.runs):
                if make:
                    with throwaway_postgres(make) as url:
                        d = measure_deploy(app, Path(tmp), args.migrations, args.loops, url)
                else:
                    d = measure_deploy(app, Path(tmp), args.migrations, args.loops)
                runs.append(d)
                print(f"deploy of {args.migrations} migrations ({name}): {d['seconds']:.2f} s, {d['applied']} applied, "
                      f"GUI ticks {d['ticks']}, longest gap {d['max_ms']:.1f} ms (cpu {d['cpu_max_ms']:.1f}), "
                      f"p99 {d['p99_ms']:.1f} ms", flush=True)
            print(summary(f"deploy {args.migrations} ({name})", runs), flush=True)
        if "graph" not in args.skip:
            runs = []
            for _ in range(args.runs):
                g = measure_graph_load(app, Path(tmp), args.nodes)
                runs.append(g)
                print(f"open a {g['nodes']}-node project: {g['seconds']:.2f} s, GUI ticks {g['ticks']}, "
                      f"longest gap {g['max_ms']:.1f} ms (cpu {g['cpu_max_ms']:.1f}), p99 {g['p99_ms']:.1f} ms", flush=True)
            print(summary(f"open {args.nodes} nodes", runs))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
