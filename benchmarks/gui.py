"""Figures for the two custom views: graph layout and drawing, timeline indexing and painting.

    python benchmarks/gui.py            (offscreen unless QT_QPA_PLATFORM is set)

Prints the median of a few runs for each figure (wall time, and CPU time where a busy machine
would distort it). The budgets these serve (issue 4): graph layout
under 1 s at 2,000 nodes, smooth pan (paint well under a frame), a 100,000-event history that
paints in tens of milliseconds.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexo_studio.core.project import snapshot  # noqa: E402
from nexo_studio.core.state.store import HistoryRow  # noqa: E402
from tests.helpers.graphs import project_from_dag, random_dag  # noqa: E402

RUNS = 5


def history(n: int, seed: int = 3) -> list[HistoryRow]:
    """Deployments of 1-12 steps every few hours, 0.2 % failures."""
    rng = random.Random(seed)
    rows: list[HistoryRow] = []
    t = datetime(2023, 1, 1)
    k = 0
    while len(rows) < n:
        t += timedelta(minutes=rng.randint(5, 600))
        k += 1
        start = t
        rows.append(HistoryRow(len(rows) + 1, f"d{k}", None, "deploy_start", "ok", t, t, 0, "ops",
                               "h", "0.1", None, None, "", ""))
        for _ in range(rng.randint(1, 12)):
            t += timedelta(seconds=rng.randint(1, 90))
            failed = rng.random() < 0.002
            action = rng.choice(["apply"] * 8 + ["rollback", "verify", "backup"])
            rows.append(HistoryRow(len(rows) + 1, f"d{k}", f"m{len(rows)}", action,
                                   "failed" if failed else "ok", t, t + timedelta(seconds=3), 3000,
                                   "ops", "h", "0.1", None, "boom" if failed else None, "", ""))
        rows.append(HistoryRow(len(rows) + 1, f"d{k}", None, "deploy_end", "ok", start, t,
                               int((t - start).total_seconds() * 1000), "ops", "h", "0.1", None,
                               None, "", ""))
    return rows[:n]


CPU: list[float] = []  # CPU milliseconds of the last median_ms call (wall time suffers on a busy box)


def median_ms(fn, runs: int = RUNS) -> float:
    """Median wall milliseconds of ``runs`` calls; the median CPU time goes to CPU[-1]."""
    times, cpu = [], []
    for _ in range(runs):
        started, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    CPU.append(statistics.median(cpu))
    return statistics.median(times)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from nexo_studio.qt.graph import GraphView, layered_layout
    from nexo_studio.qt.timeline import TimelineData, TimelineView

    app = QApplication.instance() or QApplication([])

    print("graph layout (pure Python: layering, barycentre sweeps, positions)")
    for n in (200, 2000):
        nodes, edges = random_dag(n)
        layouts = []
        ms = median_ms(lambda: layouts.append(layered_layout(nodes, edges)))
        lay = layouts[-1]
        print(f"  {n:>5} nodes {len(edges):>5} edges: {ms:7.1f} ms (cpu {CPU[-1]:.1f} ms)  "
              f"{lay.layer_count} layers, {lay.crossings} crossings")

    print("graph view, 2,000 nodes (1000x600 window)")
    nodes, edges = random_dag(2000)
    project = project_from_dag(nodes, edges)
    snap = snapshot(project, {}, "sqlite")
    view = GraphView()
    view.resize(1000, 600)
    view.show()
    app.processEvents()
    layout = layered_layout([s.id for s in snap.states], project.graph.edges(),
                            node_width=view.node_width_for(project, snap))
    ms = median_ms(lambda: view.set_data(project, snap, layout))
    print(f"  scene build (layout given):  {ms:7.1f} ms (cpu {CPU[-1]:.1f} ms)")
    ms = median_ms(lambda: view.set_data(project, snap), 3)
    print(f"  set_data (with layout):      {ms:7.1f} ms (cpu {CPU[-1]:.1f} ms)")
    print(f"  paint, whole graph fitted:   {median_ms(lambda: view.grab()):7.1f} ms")
    view.zoom_by(1.0 / view.zoom)
    some = snap.states[1000].id
    view.select(some)
    print(f"  paint at 1:1:                {median_ms(lambda: view.grab()):7.1f} ms")
    vp = view.viewport()

    def pan() -> None:
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 40)
        vp.repaint()
    print(f"  pan step (40 px) + repaint:  {median_ms(pan, 20):7.1f} ms")

    def hover() -> None:
        view.highlight(some)
        view.highlight(None)
    print(f"  hover highlight on+off:      {median_ms(hover):7.1f} ms")

    # a refresh the way the app should do it: layout on a worker, scene built in slices
    from PySide6.QtCore import QTimer

    from nexo_studio.qt.graph import project_layout

    gc.collect()
    gc.freeze()  # what the app does after start-up (see the note in the report / README)
    layout = project_layout(project, snap, view.node_width_for(project, snap))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    view.set_data_async(project, snap, layout)
    while view.building:
        app.processEvents()
    total = time.perf_counter() - started
    timer.stop()
    gc.unfreeze()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])] or [0.0]
    print(f"  set_data_async (sliced):     {total * 1000:7.1f} ms, longest GUI-thread gap "
          f"{max(gaps) * 1000:.0f} ms")
    view.close()

    print("timeline, 100,000 events (1000x360 window)")
    rows = history(100_000)
    tl = TimelineView()
    tl.resize(1000, 360)
    tl.show()
    app.processEvents()
    data = []
    ms = median_ms(lambda: data.append(TimelineData.from_rows(rows)), 3)
    print(f"  index rows (TimelineData):   {ms:7.1f} ms (cpu {CPU[-1]:.1f} ms)")
    tl.set_data(data[-1])
    fitted = []

    def paint_fitted() -> None:
        tl.grab()
        fitted.append(tl.last_paint_ms)
    grab_ms = median_ms(paint_fitted)
    print(f"  paint, all fitted:           {statistics.median(fitted):7.1f} ms  (grab {grab_ms:.1f} ms)")
    mid = rows[50_000].started_at
    tl.zoom_to_range(mid - timedelta(days=7), mid + timedelta(days=7))
    week = []

    def paint_week() -> None:
        tl.grab()
        week.append(tl.last_paint_ms)
    median_ms(paint_week)
    print(f"  paint, a 2-week window:      {statistics.median(week):7.1f} ms")
    tl.zoom_to_range(mid - timedelta(hours=1), mid + timedelta(hours=1))
    hour = []

    def paint_hours() -> None:
        tl.grab()
        hour.append(tl.last_paint_ms)
    median_ms(paint_hours)
    print(f"  paint, a 2-hour window:      {statistics.median(hour):7.1f} ms")
    tl.close()


if __name__ == "__main__":
    main()
