"""TimelineView: lanes and deployments from history rows, real mouse input, axis ticks, and
100,000 events."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from nexo_studio.core.state.store import HistoryRow
from nexo_studio.qt.timeline.data import _ticks, format_duration, to_seconds
from nexo_studio.qt.timeline.view import TimelineView

MIGS = ["2025.01.26.093000_initial_schema", "2025.01.26.094500_user_roles",
        "2025.02.04.110000_audit_columns", "2025.02.11.140000_projects",
        "2025.02.12.091500_subscriptions"]


class History:
    """Builds rows the way the engine writes them: seq ascending, naive UTC times."""

    def __init__(self) -> None:
        self.rows: list[HistoryRow] = []

    def add(self, t: datetime, action: str, status: str = "ok", mid: str | None = None,
            dep: str | None = None, ms: int | None = None, op: str = "alice",
            error: str | None = None) -> datetime:
        finished = t + timedelta(milliseconds=ms) if ms is not None else t
        self.rows.append(HistoryRow(len(self.rows) + 1, dep, mid, action, status, t, finished, ms, op,
                                    "db-host", "0.1", None, error, "", ""))
        return finished


def sample_rows() -> list[HistoryRow]:
    h = History()
    t = datetime(2025, 3, 20, 9, 0)
    t = h.add(t, "backup", ms=40_000)                                       # seq 1
    h.add(t, "deploy_start", dep="d1")                                      # seq 2
    for i, m in enumerate(MIGS[:3]):                                        # seq 3..5
        t = h.add(t + timedelta(seconds=5), "apply", mid=m, dep="d1", ms=60_000)
    h.add(t, "deploy_end", dep="d1")                                        # seq 6
    t = datetime(2025, 3, 20, 15, 0)
    h.add(t, "deploy_start", dep="d2", op="bob")                            # seq 7
    t = h.add(t, "apply", mid=MIGS[3], dep="d2", ms=30_000, op="bob")       # seq 8
    t = h.add(t, "apply", "failed", mid=MIGS[4], dep="d2", ms=5_000, op="bob",
              error='relation "plans" already exists')                     # seq 9
    t = h.add(t, "rollback", mid=MIGS[3], dep="d2", ms=10_000, op="bob")    # seq 10
    h.add(t, "deploy_end", "failed", dep="d2", op="bob")                    # seq 11
    h.add(datetime(2025, 3, 21, 10, 0), "verify", mid=MIGS[0], ms=200)      # seq 12
    h.add(datetime(2025, 3, 21, 16, 0), "restore", ms=90_000, op="carol")   # seq 13
    return h.rows


def many_rows(n: int, seed: int = 3) -> list[HistoryRow]:
    rng = random.Random(seed)
    rows: list[HistoryRow] = []
    t = datetime(2023, 1, 1)
    deployment = 0
    while len(rows) < n:
        t += timedelta(minutes=rng.randint(5, 600))
        deployment += 1
        dep = f"d{deployment}"
        rows.append(HistoryRow(len(rows) + 1, dep, None, "deploy_start", "ok", t, t, 0, "ops", "h",
                               "0.1", None, None, "", ""))
        for _ in range(rng.randint(1, 12)):
            t += timedelta(seconds=rng.randint(1, 90))
            failed = rng.random() < 0.002
            action = rng.choice(["apply"] * 8 + ["rollback", "verify", "backup"])
            rows.append(HistoryRow(len(rows) + 1, dep, f"m{len(rows)}", action,
                                   "failed" if failed else "ok", t, t + timedelta(seconds=3), 3000,
                                   "ops", "h", "0.1", None, "boom" if failed else None, "", ""))
        rows.append(HistoryRow(len(rows) + 1, dep, None, "deploy_end", "ok", t, t, 0, "ops", "h",
                               "0.1", None, None, "", ""))
    return rows[:n]


@pytest.fixture
def timeline(qtbot) -> TimelineView:
    w = TimelineView()
    qtbot.addWidget(w)
    w.resize(1000, 360)
    w.show()
    qtbot.waitExposed(w)
    w.set_events(sample_rows())
    return w


def test_lanes_and_deployments(timeline):
    assert [lane.action for lane in timeline.lanes] == ["apply", "rollback", "verify", "backup", "restore"]
    deps = {d.deployment_id: d for d in timeline.deployments}
    assert set(deps) == {"d1", "d2"}
    assert deps["d1"].status == "ok" and deps["d1"].steps == 3 and deps["d1"].seq == 2
    assert deps["d2"].status == "failed" and deps["d2"].steps == 3
    # a deployment spans its steps, up to the last one's finish
    d1 = deps["d1"]
    assert d1.start == to_seconds(datetime(2025, 3, 20, 9, 0, 40))
    assert d1.end >= to_seconds(sample_rows()[4].finished_at)


def test_click_a_mark_emits_event_selected(qtbot, timeline):
    timeline.zoom_to_range(datetime(2025, 3, 20, 14, 59), datetime(2025, 3, 20, 15, 2))
    pos = timeline.event_position(9)  # the failed apply
    with qtbot.waitSignal(timeline.event_selected, timeout=2000) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [9]
    assert timeline.selected_seq == 9


def test_click_every_mark_when_zoomed_in(qtbot, timeline):
    for row in sample_rows():
        if row.action in ("deploy_start", "deploy_end"):
            continue
        t = row.started_at
        timeline.zoom_to_range(t - timedelta(seconds=30), t + timedelta(seconds=30))
        with qtbot.waitSignal(timeline.event_selected, timeout=2000) as blocker:
            qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.event_position(row.seq))
        assert blocker.args == [row.seq], row


def test_click_a_deployment_bar_selects_its_start(qtbot, timeline):
    timeline.zoom_to_range(datetime(2025, 3, 20, 8, 58), datetime(2025, 3, 20, 9, 5))
    pos = timeline.event_position(2)
    with qtbot.waitSignal(timeline.event_selected, timeout=2000) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [2]
    assert "Deploy" in timeline.tooltip_for(2)


def test_click_on_nothing_emits_nothing(qtbot, timeline):
    with qtbot.assertNotEmitted(timeline.event_selected):
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton,
                         pos=QPoint(timeline.width() - 20, timeline.height() - 60))


def test_merged_mark_click_prefers_the_failure(qtbot, timeline):
    # fitted to 2 days, the three events of d2 share one spot; the click picks the failed one
    hit = timeline.event_at(QPointF(timeline.event_position(8)))
    assert hit is not None and hit[0] == 9 and hit[1] >= 2


def test_select_highlights_without_emitting(qtbot, timeline):
    with qtbot.assertNotEmitted(timeline.event_selected):
        timeline.select(12)
    assert timeline.selected_seq == 12
    timeline.select(None)
    assert timeline.selected_seq is None


def test_select_brings_the_event_into_view(timeline):
    timeline.zoom_to_range(datetime(2025, 3, 20, 9, 0), datetime(2025, 3, 20, 9, 10))
    timeline.select(13)
    start, end = timeline.visible_range()
    assert start <= datetime(2025, 3, 21, 16, 0) <= end
    assert (end - start) == pytest.approx(timedelta(minutes=10), abs=timedelta(seconds=1))


def test_zoom_to_range_and_fit_all(timeline):
    a, b = datetime(2025, 3, 20, 9, 0), datetime(2025, 3, 20, 10, 0)
    timeline.zoom_to_range(a, b)
    assert timeline.visible_range() == (a, b)
    timeline.fit_all()
    start, end = timeline.visible_range()
    assert start < sample_rows()[0].started_at and end > sample_rows()[-1].started_at


def test_wheel_zooms_around_the_mouse(timeline):
    x = 400.0
    before = timeline.time_at(x)
    span = timeline.t1 - timeline.t0
    event = QWheelEvent(QPointF(x, 100), QPointF(timeline.mapToGlobal(QPoint(int(x), 100))), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(timeline, event)
    assert timeline.t1 - timeline.t0 < span * 0.8
    assert timeline.time_at(x) == pytest.approx(before, abs=1e-3)


def test_drag_pans_and_does_not_select(qtbot, timeline):
    t0 = timeline.t0
    with qtbot.assertNotEmitted(timeline.event_selected):
        qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=QPoint(500, 100))
        qtbot.mouseMove(timeline, QPoint(450, 100))
        qtbot.mouseMove(timeline, QPoint(400, 100))
        qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=QPoint(400, 100))
    assert timeline.t0 > t0  # dragged left: later times come into view


def test_shift_drag_zooms_to_the_range(qtbot, timeline):
    a, b = timeline.time_at(300), timeline.time_at(500)
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(300, 100))
    qtbot.mouseMove(timeline, QPoint(500, 100))
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(500, 100))
    assert timeline.t0 == pytest.approx(a, abs=1) and timeline.t1 == pytest.approx(b, abs=1)


def test_arrow_keys_step_through_events(qtbot, timeline):
    timeline.select(8)
    with qtbot.waitSignal(timeline.event_selected) as blocker:
        qtbot.keyClick(timeline, Qt.Key.Key_Right)
    assert blocker.args == [9]


def test_tooltip_has_the_details(timeline):
    text = timeline.tooltip_for(9)
    for part in ("Apply", "failed", MIGS[4], "bob", "db-host", "5.0 s", "plans"):
        assert part in text, part


@pytest.mark.parametrize("span, unit", [
    (20, "seconds"), (1800, "minutes"), (2 * 86400, "hours"), (40 * 86400, "days"),
    (700 * 86400, "months"), (30 * 365 * 86400, "years"),
])
def test_ticks_choose_a_sensible_unit(span, unit):
    t0 = to_seconds(datetime(2025, 3, 20, 9, 0))
    got, ticks = _ticks(t0, t0 + span, 900 / span, 80)
    assert got == unit
    assert 2 <= len(ticks) <= 12
    assert all(b > a for a, b in zip(ticks, ticks[1:]))


def test_format_duration():
    assert format_duration(None) == "—"
    assert format_duration(250) == "250 ms"
    assert format_duration(5_000) == "5.0 s"
    assert format_duration(125_000) == "2 min 05 s"


def test_empty_history_paints(qtbot):
    w = TimelineView()
    qtbot.addWidget(w)
    w.resize(600, 200)
    w.set_events([])
    assert not w.grab().isNull()
    assert w.event_at(QPointF(300, 100)) is None


def test_100000_events(qtbot, capsys):
    rows = many_rows(100_000)
    w = TimelineView()
    qtbot.addWidget(w)
    w.resize(1000, 360)
    w.show()
    qtbot.waitExposed(w)
    started = time.perf_counter()
    w.set_events(rows)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    image = w.grab()
    painted = time.perf_counter() - started
    fitted_ms = w.last_paint_ms
    mid = rows[50_000].started_at
    w.zoom_to_range(mid - timedelta(hours=6), mid + timedelta(hours=6))
    w.grab()
    zoomed_ms = w.last_paint_ms
    with capsys.disabled():
        print(f"\ntimeline 100,000 events: set_events {loaded:.3f} s, grab {painted * 1000:.0f} ms "
              f"(paint fitted {fitted_ms:.1f} ms, 12 h window {zoomed_ms:.1f} ms)")
    assert not image.isNull()
    seq = rows[50_000].seq if rows[50_000].action not in ("deploy_start", "deploy_end") else rows[50_001].seq
    w.zoom_to_range(w.rows[w._pos_of_seq[seq]].started_at - timedelta(seconds=20),
                    w.rows[w._pos_of_seq[seq]].started_at + timedelta(seconds=20))
    with qtbot.waitSignal(w.event_selected, timeout=2000) as blocker:
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=w.event_position(seq))
    assert blocker.args == [seq]


def test_deploy_end_row_finds_its_deployment(timeline):
    # seq 11 is d2's deploy_end: its tooltip is the deployment's, with the failure
    text = timeline.tooltip_for(11)
    assert "Deploy" in text and "failed" in text and "plans" in text
    timeline.select(11)
    assert timeline._selected_time() == timeline.deployments[1].start
    assert not timeline.grab().isNull()


def test_times_are_shown_in_utc_by_default(timeline):
    from nexo_studio.qt.timeline.data import _tick_label

    assert "UTC" in timeline.tooltip_for(12)
    assert "2025-03-21 10:00:00" in timeline.tooltip_for(12)
    assert _tick_label(to_seconds(datetime(2025, 3, 21, 10, 0)), "minutes", timezone.utc) == "10:00"
    timeline.set_utc(False)
    assert not timeline.grab().isNull()
