"""The Fleet view with a big synthetic fleet: is it fluid at 500 targets × 300 migrations?

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_fleet.py [--targets 500] [--migrations 300]

No database: a synthetic status of that size (mixed states, five tags) goes through the same
path as a real one — ``FleetMatrix.build`` (worker thread in the app), the model reset with its
group spans, then paints. Prints milliseconds: build, model reset, first paint of the window,
median and worst repaint while scrolling down and across one page at a time, a filter change.
Aim: every figure a user waits for under 100 ms, a scroll repaint under 16 ms (one frame).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def synthetic(n: int, m: int, seed: int = 7):
    rnd = random.Random(seed)
    mids = [f"2025.01.{1 + i // 1000:02d}.{i % 1000:06d}_step_{i}" for i in range(m)]
    tags = ["eu", "us", "apac", "staging", "internal"]
    rows = []
    for i in range(n):
        roll = rnd.random()
        if roll < 0.03:
            rows.append(SimpleNamespace(name=f"tenant-{i:04d}", dialect="postgresql", state="unreachable", applied=0,
                                        pending=0, head=None, error="cannot connect", tags=(tags[i % 5],),
                                        migrations={}))
            continue
        applied = m if roll < 0.6 else rnd.randrange(m)
        statuses = {mid: "applied" if k < applied else "pending" for k, mid in enumerate(mids)}
        state = "up_to_date" if applied == m else "pending"
        if roll > 0.97 and applied < m:
            statuses[mids[applied]] = "failed"
            state = "failed"
        rows.append(SimpleNamespace(name=f"tenant-{i:04d}", dialect="postgresql", state=state, applied=applied,
                                    pending=m - applied, head=None, error=None, tags=(tags[i % 5],), migrations=statuses))
    return rows, mids


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--migrations", type=int, default=300)
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from nexo_studio.qt.fleet.data import FleetMatrix
    from nexo_studio.qt.fleet.window import FleetWindow

    app = QApplication.instance() or QApplication([])
    rows, mids = synthetic(a.targets, a.migrations)
    t0 = time.perf_counter()
    matrix = FleetMatrix.build(rows, mids, {})
    build = ms(t0)
    win = FleetWindow(None)
    win.resize(1280, 800)
    win.show()
    app.processEvents()
    t0 = time.perf_counter()
    win.model.set_matrix(matrix)
    reset = ms(t0)
    t0 = time.perf_counter()
    win.table.viewport().repaint()
    first = ms(t0)
    vbar, hbar = win.table.verticalScrollBar(), win.table.horizontalScrollBar()
    down, across = [], []
    for bar, out in ((vbar, down), (hbar, across)):
        step = max(1, bar.pageStep())
        for i in range(a.steps):
            bar.setValue((i * step) % (bar.maximum() + 1))
            t0 = time.perf_counter()
            win.table.viewport().repaint()
            out.append(ms(t0))
    t0 = time.perf_counter()
    win.state_box.setCurrentIndex(win.state_box.findData("pending"))
    win.table.viewport().repaint()
    filtered = ms(t0)
    t0 = time.perf_counter()
    win.state_box.setCurrentIndex(0)
    win.table.viewport().repaint()
    unfiltered = ms(t0)
    visible = win.table.viewport().height() // 20, win.table.viewport().width() // 16
    print(f"{a.targets} targets x {a.migrations} migrations ({a.targets * a.migrations:,} cells; "
          f"~{visible[0]} rows x ~{visible[1]} columns on screen), load average {os.getloadavg()[0]:.2f}")
    print(f"  matrix build (worker thread)      {build:7.1f} ms")
    print(f"  model reset + group spans         {reset:7.1f} ms")
    print(f"  first paint of the table          {first:7.1f} ms")
    print(f"  scroll down, one page, repaint    median {statistics.median(down):5.1f} ms, worst {max(down):5.1f} ms")
    print(f"  scroll across, one page, repaint  median {statistics.median(across):5.1f} ms, worst {max(across):5.1f} ms")
    print(f"  filter by state (+repaint)        {filtered:7.1f} ms; clear filter {unfiltered:.1f} ms")
    win.close()


if __name__ == "__main__":
    main()
