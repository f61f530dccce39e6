"""The GUI thread is never blocked for long: a QTimer ticking every 5 ms records the longest gap
between ticks while the window runs a 200-migration deploy (the figure is printed; the same
measurement, with a 2,000-node project load, is ``benchmarks/gui_responsiveness.py``)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer

from tests.qt.qt_helpers import click_action, slow_project, statuses, wait_dialog

#: generous: CI machines are shared; the benchmark reports the real figure (target < 50 ms)
LIMIT_MS = 300


def test_gui_thread_keeps_ticking_during_a_200_migration_deploy(qtbot, make_window, tmp_path):
    d = tmp_path / "many"
    ids = slow_project(d, 200, loops=20000)
    w = make_window(d)
    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    dialog.backup_box.setChecked(False)
    timer.start()
    t0 = time.perf_counter()
    with qtbot.waitSignal(w.operation_finished, timeout=180000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    seconds = time.perf_counter() - t0
    timer.stop()
    assert blocker.args[0].ok
    assert all(s == "applied" for s in statuses(w).values()) and len(ids) == 200
    gaps.sort()
    longest = gaps[-1] * 1000
    p99 = gaps[int(len(gaps) * 0.99)] * 1000
    print(f"\nGUI responsiveness: 200-migration deploy in {seconds:.1f} s, {len(gaps)} ticks, "
          f"longest gap {longest:.1f} ms, p99 {p99:.1f} ms")
    assert len(gaps) > seconds * 20  # the GUI thread kept running the whole time
    assert longest < LIMIT_MS


def test_first_load_waits_for_the_windows_first_frame(qtbot, db_file, qt_loop):
    """Issue #13: the first load (2,000 files read and parsed on the worker) started in the same
    event-loop pass as the window's first layout and paint; the two threads then took the GIL in
    turns and that first frame took up to 45-85 ms of wall time for 13-27 ms of GUI-thread CPU
    (load 2-4). The load now starts once the window has painted."""
    from PySide6.QtCore import QEvent, QObject

    from nexo_studio.qt.aio import TASKS
    from nexo_studio.qt.main_window import MainWindow
    from tests.qt.qt_helpers import SAMPLE

    order: list[str] = []

    class Spy(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: ANN001
            if event.type() == QEvent.Type.Paint and "paint" not in order:
                order.append("paint")
            return False

    w = MainWindow(SAMPLE, f"sqlite:///{db_file}")
    spy = Spy(w)
    w.installEventFilter(spy)
    w.worker.job_started.connect(order.append)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: w.loaded is not None and not w.worker.busy and not TASKS, timeout=20000)
    assert order[:2] == ["paint", "refresh"], order
    w.close()
