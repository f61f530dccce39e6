"""The Fleet view by real clicks (SPEC §9, issue 16): a fleet of real SQLite files, a PostgreSQL
and a MariaDB database at different versions and one unreachable target. The matrix shows what
`nexo status --json` says of each target; two selected rows deploy to head and the others stay
as they were; a double-click opens that database in the main window; filters; export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.helpers.projects import table_project
from tests.qt.test_cli_only import open_menu_item
from tests.reliability import harness

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def _off_gui(fn, *args):
    """The test's own CLI calls run on a thread of their own: the GUI thread never connects."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def status_json(url: str, mdir: Path) -> dict:
    return _off_gui(harness.status_json, url, mdir)


def run_cli(*args: str):
    return _off_gui(harness.run_cli, *args)


@pytest.fixture
def fleet_project(tmp_path: Path, make_db):
    """(migrations dir, ids, {name: url}): six targets at different versions, tagged eu / us."""
    root = tmp_path / "fleet"
    mdir = root / "migrations"
    ids = table_project(mdir, 4)
    urls = {"eu-a": f"sqlite:///{root / 'a.db'}", "eu-b": f"sqlite:///{root / 'b.db'}", "us-c": f"sqlite:///{root / 'c.db'}",
            "eu-pg": make_db("postgresql"), "us-my": make_db("mysql"), "us-down": UNREACHABLE}
    tags = {"eu-a": ["eu", "canary"], "eu-b": ["eu"], "eu-pg": ["eu"], "us-c": ["us"], "us-my": ["us"], "us-down": ["us"]}
    versions = {"eu-a": 4, "eu-b": 2, "eu-pg": 1, "us-my": 3}
    for name, n in versions.items():
        code, out, err = run_cli("--db", urls[name], "--migrations", str(mdir), "deploy", "--no-backup", "--to", ids[n - 1])
        assert code == 0, out + err
    lines = ['migrations_dir = "migrations"', "[fleet]\nparallel = 4"]
    for name, url in urls.items():
        lines.append(f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = {json.dumps(tags[name])}')
    (root / "nexo.toml").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return mdir, ids, urls


def _open_fleet(qtbot, make_window, mdir: Path, url: str):
    w = make_window(mdir, url)
    assert w.actions_by_name["fleet"].isEnabled()  # nexo.toml has [[targets]]
    open_menu_item(qtbot, w, "View", "fleet")
    qtbot.waitUntil(lambda: getattr(w, "fleet_window", None) is not None, timeout=5000)
    fw = w.fleet_window
    qtbot.waitUntil(lambda: fw.last is not None and not fw.worker.busy, timeout=60000)
    return w, fw


def _rows(fw) -> dict[str, object]:
    return {r.name: r for r in fw.model.rows if hasattr(r, "cells")}


def _click_row(qtbot, fw, name: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    row = fw.model.row_of(name)
    rect = fw.table.visualRect(fw.model.index(row, 0))
    qtbot.mouseClick(fw.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def _tool(fw, name: str):
    button = fw.toolbar.widgetForAction(fw.actions_by_name[name])
    assert button is not None and button.isEnabled(), name
    return button


def test_matrix_shows_each_target_as_status_does(qtbot, qtmodeltester, make_window, fleet_project):
    from nexo_studio.qt.fleet.model import KIND_ROLE

    mdir, ids, urls = fleet_project
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["eu-a"])
    qtmodeltester.check(fw.model)
    rows = _rows(fw)
    assert set(rows) == set(urls)
    # grouped by tag: eu first (file order), then us; each header spans its targets
    kinds = [(fw.model.index(i, 0).data(KIND_ROLE), fw.model.index(i, 0).data()) for i in range(fw.model.rowCount())]
    assert kinds[0] == ("group", "eu — 3 targets") and kinds[4] == ("group", "us — 3 targets")
    assert [k[1] for k in kinds[1:4]] == ["eu-a", "eu-b", "eu-pg"]
    assert fw.table.columnSpan(0, 0) == fw.model.columnCount()
    assert rows["us-down"].state == "unreachable"
    for name, url in urls.items():
        if name == "us-down":
            continue
        single = {m["id"]: m["status"] for m in status_json(url, mdir)["migrations"]}
        row = fw.model.row_of(name)
        shown = {mid: fw.model.cell(row, i) for i, mid in enumerate(ids)}
        assert shown == single, name
    assert rows["eu-a"].state == "up_to_date" and rows["eu-b"].state == "pending"
    assert fw.model.index(fw.model.row_of("eu-b"), 1).data() == "pending  2/4"
    w.fleet_window.close()


def test_select_two_rows_deploy_by_clicks_then_double_click_opens_target(qtbot, make_window, fleet_project):
    mdir, ids, urls = fleet_project
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["eu-a"])
    before = {n: status_json(u, mdir)["counts"] for n, u in urls.items() if n not in ("eu-b", "eu-pg", "us-down")}
    _click_row(qtbot, fw, "eu-b")
    _click_row(qtbot, fw, "eu-pg", Qt.KeyboardModifier.ControlModifier)
    assert fw.selected_names() == ["eu-b", "eu-pg"]
    qtbot.mouseClick(_tool(fw, "fleet_deploy"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(fw.confirm.isVisible, timeout=5000)
    assert "2 target(s): eu-b, eu-pg" in fw.confirm.label.text()
    with qtbot.waitSignal(fw.run_finished, timeout=120000) as blocker:
        qtbot.mouseClick(fw.confirm.confirm_button, Qt.MouseButton.LeftButton)
    run = blocker.args[0]
    assert run is not None and {o.name: o.status for o in run.outcomes} == {"eu-b": "deployed", "eu-pg": "deployed"}
    assert fw.count_label.text().startswith("done 2 · failed 0 · running 0 · waiting 0")
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    for name in ("eu-b", "eu-pg"):  # at head, each with the fleet run in its history
        assert status_json(urls[name], mdir)["counts"] == {"applied": 4}, name
        assert _rows(fw)[name].state == "up_to_date"
    for name, counts in before.items():  # the others untouched
        assert status_json(urls[name], mdir)["counts"] == counts, name
    # double-click a row: the main window opens that database
    row = fw.model.row_of("us-my")
    rect = fw.table.visualRect(fw.model.index(row, 0))
    with qtbot.waitSignal(fw.open_requested, timeout=5000):  # a real double click: press, release, press twice
        qtbot.mouseClick(fw.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(fw.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.url == urls["us-my"] and w.loaded is not None and not w.worker.busy, timeout=30000)
    qtbot.waitUntil(lambda: w.loaded.dialect == "mysql", timeout=30000)
    assert sum(1 for s in w.snapshot.states if s.is_applied) == 3
    fw.close()


def test_filters_dry_run_rollback_and_export(qtbot, make_window, fleet_project, tmp_path):
    mdir, ids, urls = fleet_project
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["eu-a"])
    fw.tag_box.setCurrentIndex(fw.tag_box.findData("us"))
    assert set(_rows(fw)) == {"us-c", "us-my", "us-down"}
    fw.state_box.setCurrentIndex(fw.state_box.findData("unreachable"))
    assert set(_rows(fw)) == {"us-down"}
    fw.tag_box.setCurrentIndex(0)
    fw.state_box.setCurrentIndex(0)
    qtbot.keyClicks(fw.search, "eu-")
    assert set(_rows(fw)) == {"eu-a", "eu-b", "eu-pg"}
    # a group header selects its targets; dry run changes nothing
    rect = fw.table.visualRect(fw.model.index(0, 0))
    qtbot.mouseClick(fw.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert fw.selected_names() == ["eu-a", "eu-b", "eu-pg"]
    with qtbot.waitSignal(fw.run_finished, timeout=120000) as blocker:
        qtbot.mouseClick(_tool(fw, "fleet_dry_run"), Qt.MouseButton.LeftButton)
    assert {o.name: o.status for o in blocker.args[0].outcomes} == {"eu-a": "up_to_date", "eu-b": "dry_run",
                                                                    "eu-pg": "dry_run"}
    assert status_json(urls["eu-b"], mdir)["counts"] == {"applied": 2, "pending": 2}
    assert "dry run: 2 would run" in fw.model.index(fw.model.row_of("eu-b"), 1).data()
    # roll eu-a back to the first migration, chosen in the bar
    fw.search.clear()
    _click_row(qtbot, fw, "eu-a")
    qtbot.mouseClick(_tool(fw, "fleet_rollback"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(fw.confirm.isVisible, timeout=5000)
    fw.confirm.to_box.setCurrentIndex(fw.confirm.to_box.findData(ids[0]))
    with qtbot.waitSignal(fw.run_finished, timeout=120000):
        qtbot.mouseClick(fw.confirm.confirm_button, Qt.MouseButton.LeftButton)
    assert status_json(urls["eu-a"], mdir)["counts"] == {"applied": 1, "pending": 3}
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    # export, as `nexo fleet export` writes it
    out = tmp_path / "fleet.json"
    from nexo_studio.qt.aio import spawn

    task = spawn(fw.export("json", out))
    qtbot.waitUntil(task.done, timeout=60000)
    doc = json.loads(out.read_text())
    assert {t["name"] for t in doc["targets"]} == set(urls) and doc["migrations"] == ids
    assert next(t for t in doc["targets"] if t["name"] == "eu-a")["chain"]["ok"] is True
    fw.close()


def test_matrix_data_filters_and_groups_without_qt():
    from types import SimpleNamespace

    from nexo_studio.qt.fleet.data import FleetMatrix, GroupRow

    def st(name, tags, state="pending", migrations=None):
        return SimpleNamespace(name=name, dialect="sqlite", state=state, applied=1, pending=1, head=None,
                               error=None, tags=tags,
                               migrations={"m1": "applied", "m2": "pending"} if migrations is None else migrations)

    m = FleetMatrix.build([st("a", ("us",)), st("b", ("eu", "canary")), st("c", ("us",), "up_to_date"),
                           st("d", (), "unreachable", {})], ["m1", "m2"], {})
    assert [r.name for r in m.targets] == ["a", "c", "b", "d"]  # groups in first-seen order
    assert m.targets[0].cell(0) == "applied" and m.targets[0].cell(1) == "pending" and m.targets[3].cell(0) == ""
    rows = m.visible(state="up_to_date")
    assert isinstance(rows[0], GroupRow) and rows[0].names == ("c",) and len(rows) == 2
    assert [getattr(r, "group", None) for r in m.visible() if isinstance(r, GroupRow)] == ["us", "eu", "(no tag)"]


def test_timeline_puts_fleet_rows_in_the_deployment_span_not_in_lanes():
    from datetime import datetime, timedelta

    from nexo_studio.app.types import HistoryRow
    from nexo_studio.qt.timeline import TimelineData

    t = datetime(2026, 12, 3, 9, 0)
    rows = []
    for i, (action, mid) in enumerate([("fleet_start", None), ("deploy_start", None), ("apply", "m1"),
                                       ("apply", "m2"), ("deploy_end", None), ("fleet_end", None)], 1):
        rows.append(HistoryRow(i, "d1", mid, action, "ok", t + timedelta(seconds=i), t + timedelta(seconds=i), 0,
                               "ops", "h", "0.1", None, None, "", ""))
    data = TimelineData.from_rows(rows)
    assert [lane.action for lane in data.lanes] == ["apply"]
    assert len(data.deployments) == 1 and data.deployments[0].status == "ok"
    assert data.deployments[0].label.startswith("Deploy · 2 steps")
    assert {data.dep_of_seq[s] for s in (1, 2, 5, 6)} == {0}
    killed = TimelineData.from_rows(rows[:3])  # fleet_start, deploy_start, one apply: the run was killed
    assert [lane.action for lane in killed.lanes] == ["apply"] and killed.deployments[0].status == "running"


def test_fleet_menu_item_is_off_without_targets(qtbot, make_window):
    w = make_window()  # the sample project: its nexo.toml has no [[targets]]
    assert not w.actions_by_name["fleet"].isEnabled()
    assert w.actions_by_name["fleet_file"].isEnabled()


def test_cancel_stops_starting_targets_and_cancels_the_running_one(qtbot, make_window, tmp_path):
    from tests.qt.qt_helpers import slow_project

    root = tmp_path / "slow"
    mdir = root / "migrations"
    ids = slow_project(mdir, 8, loops=300000)
    names = [f"t{i}" for i in range(4)]
    lines = ['migrations_dir = "migrations"', "[fleet]\nparallel = 1"]
    lines += [f'[[targets]]\nname = "{n}"\nurl = "sqlite:///{root / n}.db"' for n in names]
    (root / "nexo.toml").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    w, fw = _open_fleet(qtbot, make_window, mdir, f"sqlite:///{root / 't0.db'}")
    fw.select_names(names)
    qtbot.mouseClick(_tool(fw, "fleet_deploy"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(fw.confirm.isVisible, timeout=5000)
    qtbot.mouseClick(fw.confirm.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "running 1" in fw.count_label.text() and "waiting 3" in fw.count_label.text(),
                    timeout=60000)
    with qtbot.waitSignal(fw.run_finished, timeout=120000) as blocker:
        qtbot.mouseClick(_tool(fw, "fleet_cancel"), Qt.MouseButton.LeftButton)
    run = blocker.args[0]
    statuses = {o.name: o.status for o in run.outcomes}
    t0 = run.outcomes[0]
    assert run.cancelled and statuses["t0"] in ("cancelled", "deployed"), (t0.status, t0.error, t0.result and t0.result.message)
    assert [statuses[n] for n in names[1:]] == ["not_started"] * 3, statuses
    assert "not started 3" in fw.count_label.text()
    qtbot.waitUntil(lambda: not fw.worker.busy, timeout=60000)
    doc = status_json(f"sqlite:///{root / 't0.db'}", mdir)  # consistent: whole migrations only
    assert doc["ok"] is True and set(doc["counts"]) <= {"applied", "pending"}
    assert sum(doc["counts"].values()) == len(ids)
    assert not any((root / f"{n}.db").exists() for n in names[1:])  # never started, never created
    fw.close()


def test_target_and_summary_stay_in_view_when_scrolling_sideways(qtbot, make_window, tmp_path):
    """300 migrations: scrolled all the way right, the left edge still shows each row's Target and
    Summary (a frozen pair of columns, same rows, same selection); clicking there selects that
    target and a double-click opens it (issue #16)."""
    import os

    from PySide6.QtCore import QPoint

    from nexo_studio.qt.fleet.model import COL_SUMMARY, COL_TARGET

    root = tmp_path / "wide"
    mdir = root / "migrations"
    for day in range(1, 7):  # 50 a day: the ids' last part is a time of day
        table_project(mdir, 50, prefix=f"d{day}_", chain=False, day=day)
    urls = {"eu-a": f"sqlite:///{root / 'a.db'}", "eu-b": f"sqlite:///{root / 'b.db'}"}
    lines = ['migrations_dir = "migrations"']
    for name, url in urls.items():
        lines.append(f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = ["eu"]')
    (root / "nexo.toml").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    w, fw = _open_fleet(qtbot, make_window, mdir, urls["eu-a"])
    table = fw.table
    bar = table.horizontalScrollBar()
    assert len(fw.last.matrix.migrations) == 300
    # 300 migrations do not fit: the matrix scrolls sideways (once the view has laid itself out)
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    bar.setValue(bar.maximum())
    qtbot.wait(50)
    row = fw.model.row_of("eu-b")
    y = table.visualRect(fw.model.index(row, COL_TARGET)).center().y()
    for col, x in ((COL_TARGET, 10), (COL_SUMMARY, table.columnWidth(COL_TARGET) + 10)):
        pos = table.viewport().mapTo(table, QPoint(x, y))
        shown = table.childAt(pos)
        assert shown is not None and shown is not table.viewport(), "the matrix covers the left edge"
        view = shown.parentWidget()
        ix = view.indexAt(shown.mapFrom(table, pos))
        assert (ix.row(), ix.column()) == (row, col), (ix.row(), ix.column())
    assert "eu-b" == fw.model.data(fw.model.index(row, COL_TARGET))
    if os.environ.get("NEXO_FLEET_SHOT"):
        fw.grab().save(os.environ["NEXO_FLEET_SHOT"])
    target_pos = shown.mapFrom(table, table.viewport().mapTo(table, QPoint(10, y)))
    qtbot.mouseClick(shown, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target_pos)
    assert fw.selected_names() == ["eu-b"]
    assert bar.value() == bar.maximum()  # the click did not scroll the matrix back to the left
    with qtbot.waitSignal(fw.open_requested, timeout=5000) as opened:
        qtbot.mouseDClick(shown, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target_pos)
    assert opened.args[0] == "eu-b"


def test_header_numbers_every_fifth_and_the_last_migration_none_clipped(qtbot, qapp):
    """The last migration's number is shown and ends inside the matrix column (it was missing, and
    a three-digit number on the last cell ran past the column's edge, clipped); no two overlap."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QHeaderView

    from nexo_studio.qt.fleet.model import CELL_WIDTH
    from nexo_studio.qt.fleet.widgets import tick_labels

    metrics = QFontMetrics(QHeaderView(Qt.Orientation.Horizontal).font())
    width = metrics.horizontalAdvance
    for n in (1, 4, 5, 6, 24, 25, 99, 100, 101, 300, 1000):
        section = CELL_WIDTH * n + 4  # as FleetTable sizes the column
        labels = tick_labels(n, width, section)
        assert labels[-1][1] == str(n), n
        assert labels[0] == (0, "1"), n
        assert all(0 <= x and x + width(t) <= section for x, t in labels), (n, labels[-3:])
        assert all(x1 + width(t1) < x2 for (x1, t1), (x2, _) in zip(labels, labels[1:])), (n, labels)
        assert {t for _, t in labels[:-1]} <= {"1"} | {str(i) for i in range(5, n, 5)}
