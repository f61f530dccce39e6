"""Every item model passes qtmodeltester; the history model copes with 100,000 rows."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtCore import Qt

from nexo_studio.core.project import Project, snapshot
from nexo_studio.core.state.store import HistoryRow, MigrationRow
from nexo_studio.core.validate import Finding
from nexo_studio.qt.models import (
    ID_ROLE,
    FindingsModel,
    HistoryFilter,
    HistoryTableModel,
    LogEntry,
    LogFilterProxy,
    LogModel,
    StateFilterProxy,
    StateTableModel,
)
from tests.qt.qt_helpers import SAMPLE


def sample_snapshot():
    project = Project.load(SAMPLE)
    order = project.order()
    applied = {}
    for i, mid in enumerate(order[:4]):
        m = project.migrations[mid]
        checksum = m.checksum("sqlite") if i != 2 else "0" * 64  # one drifted
        applied[mid] = MigrationRow(mid, m.version, m.name, m.description, checksum,
                                    "applied" if i != 3 else "failed", m.depends,
                                    datetime(2025, 3, 1, tzinfo=timezone.utc), "dba", 12, {})
    applied["2024.12.31.000000_gone"] = MigrationRow("2024.12.31.000000_gone", "2024.12.31.000000", "gone", "",
                                                     "x" * 64, "applied", (), datetime(2025, 1, 1), "dba", 1, {})
    return project, snapshot(project, applied, "sqlite")


def history_rows(n: int) -> list[HistoryRow]:
    t0 = datetime(2025, 1, 1)
    actions = ("deploy_start", "apply", "verify", "apply", "rollback", "backup", "deploy_end")
    rows = []
    for i in range(1, n + 1):
        action = actions[i % len(actions)]
        rows.append(HistoryRow(i, f"d{i // 7}", None if action.startswith("deploy") or action == "backup"
                               else f"2025.01.01.{i % 60:06d}_m{i % 50}", action,
                               "failed" if i % 97 == 0 else "ok", t0 + timedelta(seconds=i),
                               t0 + timedelta(seconds=i, milliseconds=5), 5, "dba", "host", "0.1.0",
                               None, "boom" if i % 97 == 0 else None, "0" * 64, f"{i:064x}"))
    return rows


def test_state_model(qtmodeltester):
    project, snap = sample_snapshot()
    model = StateTableModel()
    model.set_snapshot(snap)
    qtmodeltester.check(model, force_py=True)
    statuses = {r.status for r in model.records()}
    assert {"applied", "drifted", "dirty", "pending", "missing"} <= statuses
    row = model.row_of("2024.12.31.000000_gone")
    assert model.record(row).checksum == "file gone"
    # a live change emits dataChanged for one row
    pending = next(r.id for r in model.records() if r.status == "pending")
    changed = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    model.set_status(pending, "applied")  # the tester keeps checking every signal after check()
    assert changed == [(model.row_of(pending), model.row_of(pending))]
    model.set_snapshot(None)
    assert model.rowCount() == 0


def test_state_proxy(qtmodeltester):
    _project, snap = sample_snapshot()
    model = StateTableModel()
    model.set_snapshot(snap)
    proxy = StateFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_statuses(["pending"])
    assert proxy.rowCount() == len(snap.with_status("pending"))
    proxy.set_statuses(None)
    proxy.set_search("ROLES")
    ids = {proxy.index(r, 0).data(ID_ROLE) for r in range(proxy.rowCount())}
    # exactly the migrations whose id or description mentions "roles", whatever the case
    expected = {s.id for s in snap.states if "roles" in s.id.lower() or "roles" in s.description.lower()}
    assert "2025.01.26.094500_user_roles" in ids and ids == expected
    assert len(ids) < len(snap.states)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)


def test_history_model(qtmodeltester):
    model = HistoryTableModel()
    model.set_rows(history_rows(500))
    qtmodeltester.check(model, force_py=True)
    model.set_filter(HistoryFilter(action="apply"))
    assert model.rowCount() and all(h.action == "apply" for h in model.rows())
    model.set_filter(HistoryFilter(status="failed", migration="_m"))
    assert all(h.status == "failed" for h in model.rows())
    model.sort(HistoryTableModel.DURATION, Qt.SortOrder.AscendingOrder)
    model.set_rows(history_rows(50))


def test_history_model_100k_rows_is_fast(qtbot):
    from PySide6.QtWidgets import QTableView

    rows = history_rows(100_000)
    model = HistoryTableModel()
    t0 = time.perf_counter()
    model.set_rows(rows)
    load = time.perf_counter() - t0
    assert model.rowCount() == 100_000
    t0 = time.perf_counter()
    model.set_filter(HistoryFilter(action="rollback"))
    model.set_filter(HistoryFilter())
    model.sort(HistoryTableModel.STARTED, Qt.SortOrder.AscendingOrder)
    ops = time.perf_counter() - t0
    view = QTableView()
    view.verticalHeader().setDefaultSectionSize(22)
    from PySide6.QtWidgets import QHeaderView

    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    t0 = time.perf_counter()
    for value in range(0, view.verticalScrollBar().maximum(), view.verticalScrollBar().maximum() // 20 or 1):
        view.verticalScrollBar().setValue(value)
        view.viewport().repaint()
    scroll = (time.perf_counter() - t0) / 20
    print(f"\n100k history rows: load {load * 1000:.0f} ms, filter+sort {ops * 1000:.0f} ms, "
          f"one scroll+repaint {scroll * 1000:.1f} ms")
    assert load < 2.0 and ops < 3.0 and scroll < 0.1


def test_findings_model(qtmodeltester):
    model = FindingsModel()
    model.set_findings([
        Finding("warning", "drift", ("a",), "a changed", Path("/x/a.sql"), None),
        Finding("error", "file_error", ("b",), "bad header", Path("/x/b.sql"), 3),
    ])
    qtmodeltester.check(model, force_py=True)
    assert model.finding(0).level == "error"  # errors first
    assert model.index(0, 4).data() == "b.sql:3"
    assert model.counts() == (1, 1)


def test_log_model(qtmodeltester):
    model = LogModel(limit=50)
    qtmodeltester.check(model, force_py=True)
    now = datetime.now(timezone.utc)
    for i in range(12):
        model.append([LogEntry(now, "info", "nexo", f"line {i}.{j}\nsecond line") for j in range(7)])
    assert model.rowCount() <= 50
    assert model.index(model.rowCount() - 1, 3).data().endswith("…")
    model.clear()


def test_log_model_and_filter(qtmodeltester):
    model = LogModel(limit=100)
    now = datetime.now(timezone.utc)
    model.append([LogEntry(now, level, "nexo", f"{level} {i}") for i in range(40)
                  for level in ("debug", "info", "error")])
    assert model.rowCount() <= 100
    proxy = LogFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    model.append([LogEntry(now, "warning", "m", f"w {i}") for i in range(30)])  # trims the oldest
    proxy.set_min_level("error")
    assert proxy.rowCount() and all(proxy.index(r, 1).data() == "error" for r in range(proxy.rowCount()))
    model.clear()
    assert proxy.rowCount() == 0


def test_history_filter_by_date():
    model = HistoryTableModel()
    rows = history_rows(100)
    model.set_rows(rows)
    since, until = rows[10].started_at, rows[19].started_at
    model.set_filter(HistoryFilter(since=since, until=until))
    assert sorted(h.seq for h in model.rows()) == list(range(11, 21))
