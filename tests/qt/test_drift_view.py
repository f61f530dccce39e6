"""The GUI side of live schema drift (SPEC §10, issue #15), driven by real clicks on a real SQLite
file, a real PostgreSQL and a real MariaDB database: a change made by hand shows in the status-bar indicator and
the Drift view (tree + before/after), the deploy dialog refuses it until "Allow drift" is ticked
(the deploy then records a new snapshot), "Accept as the new schema…" makes it clean again, and
the repair dialog shows it too. The verdict is read on the worker (the conftest guard fails any
connection opened on the GUI thread)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import click_action, deploy_by_clicking, wait_dialog

API_TOKENS = "2025.03.18.150000_api_tokens"
MORE = "2025.04.01.000000_more_things"


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request, make_db) -> str:
    return make_db(request.param)


def hand_change(url: str, *statements: str) -> None:
    """What a DBA does behind the tool's back, on a connection of the test's own."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
    finally:
        engine.dispose()


def check_again(qtbot, w) -> None:
    """The Drift view's "Check again" button: a refresh on the worker."""
    with qtbot.waitSignal(w.operation_finished, timeout=30000, check_params_cb=lambda o: o.name == "refresh"):
        qtbot.mouseClick(w.drift_view.refresh_button, Qt.MouseButton.LeftButton)


def click_item(qtbot, view, name: str) -> None:
    item = next(it for it in view.change_items() if it.data(0, Qt.ItemDataRole.UserRole + 1).name == name)
    view.tree.scrollToItem(item)
    rect = view.tree.visualItemRect(item)
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.tree.currentItem() is item


def groups(view) -> dict[str, list[tuple[str, str]]]:
    out = {}
    for i in range(view.tree.topLevelItemCount()):
        g = view.tree.topLevelItem(i)
        out[g.text(0)] = [(g.child(j).text(0), g.child(j).text(1)) for j in range(g.childCount())]
    return out


def test_no_snapshot_then_no_drift_then_a_hand_change_is_shown(qtbot, make_window, sample_copy, url):
    w = make_window(sample_copy, url)
    assert w.drift_button.text() == "Schema: no snapshot"
    assert "No snapshot yet" in w.drift_view.empty.text() and not w.drift_view.tree.topLevelItemCount()
    assert deploy_by_clicking(qtbot, w).ok
    assert w.drift_button.text() == "Schema: no drift"
    assert "No drift" in w.drift_view.status_label.text() and "No drift" in w.drift_view.empty.text()
    assert not w.drift_view.accept_button.isEnabled()

    hand_change(url, "CREATE INDEX ix_users_hand ON users (email, id)",
                "ALTER TABLE users ADD COLUMN nickname VARCHAR(40)")
    assert w.drift_button.text() == "Schema: no drift"  # nothing is read until a refresh
    check_again(qtbot, w)
    assert w.drift_button.text() == "Schema: 2 changes"
    w.tabs.setCurrentIndex(0)
    qtbot.mouseClick(w.drift_button, Qt.MouseButton.LeftButton)  # the indicator opens the view
    assert w.tabs.currentWidget() is w.drift_view
    w.tabs.setCurrentIndex(0)
    w.actions_by_name["view_drift"].trigger()  # and so does View → Schema drift
    assert w.tabs.currentWidget() is w.drift_view
    view = w.drift_view
    assert groups(view) == {"Added (2)": [("users.nickname", "column"), ("users.ix_users_hand", "index")]}
    assert "Schema drift: 2 changes" in view.status_label.text() and view.accept_button.isEnabled()

    click_item(qtbot, view, "users.nickname")
    after, before = view.sides.marked_lines("after"), view.sides.marked_lines("before")
    assert any(line.strip().startswith(("nickname VARCHAR(40) NULL", "nickname CHARACTER VARYING(40) NULL"))
               for line in after), after
    assert any("CREATE INDEX ix_users_hand ON" in line for line in after), after
    assert before == []  # nothing was there before: the left side has only blank placeholders
    assert "CREATE TABLE users (" in view.sides.before.toPlainText()  # the whole table, DDL-like, not JSON
    assert "{" not in view.sides.after.toPlainText()
    assert "column users.nickname" in view.caption.text()


def test_deploy_is_blocked_by_drift_until_allowed_then_records_a_new_snapshot(qtbot, make_window, sample_copy, url):
    w = make_window(sample_copy, url)
    assert deploy_by_clicking(qtbot, w).ok
    hand_change(url, "CREATE INDEX ix_users_hand ON users (display_name)")
    write_sql(sample_copy, MORE, "CREATE TABLE more_things (id INTEGER PRIMARY KEY);", "DROP TABLE more_things;",
              depends=[API_TOKENS])
    check_again(qtbot, w)
    assert w.drift_button.text() == "Schema: 1 change"

    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    rows = dialog.checks.rows()
    assert any(r.startswith("Schema drift: added index users.ix_users_hand") for r in rows), rows
    assert not dialog.ok_button.isEnabled()
    assert "Schema drift: 1 change(s) outside Nexo" in dialog.checks.reason.text()
    assert "Allow drift" in dialog.ok_button.toolTip()
    assert not dialog.options().allow_drift
    qtbot.mouseClick(dialog.drift_box, Qt.MouseButton.LeftButton)
    assert dialog.drift_box.isChecked() and dialog.ok_button.isEnabled() and dialog.options().allow_drift
    assert any(r.startswith("Schema drift (allowed): added index") for r in dialog.checks.rows())
    with qtbot.waitSignal(w.operation_finished, timeout=60000, check_params_cb=lambda o: o.name == "deploy") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert b.args[0].ok, b.args[0].error
    # the deploy's own snapshot now includes the hand-made index: clean
    assert w.drift_button.text() == "Schema: no drift"
    assert w.snapshot.by_id[MORE].status == "applied"
    starts = [h for h in w.loaded.history if h.action == "deploy_start"]
    assert "drift_accepted" in (starts[-1].details or {})


def test_accept_as_the_new_schema_makes_it_clean(qtbot, make_window, sample_copy, url):
    w = make_window(sample_copy, url)
    assert deploy_by_clicking(qtbot, w).ok
    hand_change(url, "DROP INDEX ix_users_display_name" + (" ON users" if "mysql" in url else ""))
    check_again(qtbot, w)
    assert groups(w.drift_view) == {"Removed (1)": [("users.ix_users_display_name", "index")]}
    w.show_drift_view()
    qtbot.mouseClick(w.drift_view.accept_button, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, w)
    assert [dialog.changes.item(i).text() for i in range(dialog.changes.count())] == [
        str(c) for c in w.drift.changes]
    with qtbot.waitSignal(w.operation_finished, timeout=30000, check_params_cb=lambda o: o.name == "snapshot") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert b.args[0].ok and b.args[0].error is None
    assert w.drift_button.text() == "Schema: no drift"
    assert "No drift" in w.drift_view.empty.text()
    assert w.loaded.history[-1].action == "snapshot"


def test_cancelling_accept_changes_nothing(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    hand_change(f"sqlite:///{db_file}", "CREATE TABLE scratch (id INTEGER)")
    check_again(qtbot, w)
    rows = len(w.loaded.history)
    qtbot.mouseClick(w.drift_view.accept_button, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, w)
    dialog.reject()
    qtbot.waitUntil(lambda: w.active_dialog is None)
    check_again(qtbot, w)
    assert w.drift_button.text() == "Schema: 1 change" and len(w.loaded.history) == rows


def test_repair_dialog_shows_the_schema_drift(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    f = sample_copy / f"{API_TOKENS}.sql"  # a drifted migration file: something to repair
    f.write_text(f.read_text(encoding="utf-8").replace("CREATE TABLE api_tokens", "CREATE TABLE  api_tokens", 1),
                 encoding="utf-8")
    hand_change(f"sqlite:///{db_file}", "ALTER TABLE users ADD COLUMN nickname VARCHAR(40)")
    check_again(qtbot, w)
    w.select_migration(API_TOKENS, "table")
    click_action(qtbot, w, "repair")
    dialog = wait_dialog(qtbot, w)
    assert dialog.schema_view.isVisible() and dialog.schema_label.isVisible()
    assert "added column users.nickname" in dialog.schema_view.toPlainText()
    assert "1 change(s) made outside Nexo" in dialog.schema_label.text()
    dialog.reject()


def test_a_database_that_cannot_be_reflected_says_so(qtbot):
    """The view's words for every verdict, including one the worker could not compute."""
    from nexo_studio.core.drift import DriftVerdict
    from nexo_studio.qt.drift import DriftView

    view = DriftView()
    qtbot.addWidget(view)
    view.set_verdict(DriftVerdict("unknown", reason="NotImplementedError: no reflector"))
    assert "Drift not checked" in view.empty.text() and "no reflector" in view.empty.text()
    assert not view.accept_button.isEnabled()
    view.set_verdict(None, connected=False)
    assert "Not connected" in view.status_label.text() and not view.refresh_button.isEnabled()


def test_a_production_window_asks_twice_before_accepting(qtbot, make_window, sample_copy, db_file):
    from nexo_studio.qt.window.production import WindowProduction

    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    hand_change(f"sqlite:///{db_file}", "CREATE TABLE scratch (id INTEGER)")
    w.profile_name = "Billing prod"
    WindowProduction.apply_look(w, True)
    check_again(qtbot, w)
    assert "white" in w.drift_button.styleSheet()  # readable on the red production status bar
    qtbot.mouseClick(w.drift_view.accept_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wait_dialog(qtbot, w).ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.active_dialog is not None and w.active_dialog.objectName() == "production_confirm",
                    timeout=10000)
    confirm = w.active_dialog
    qtbot.keyClicks(confirm.name_edit, "Billing prod")
    with qtbot.waitSignal(w.operation_finished, timeout=30000, check_params_cb=lambda o: o.name == "snapshot"):
        qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
    assert w.drift_button.text() == "Schema: no drift"


def test_the_read_only_view_of_another_tool_checks_no_drift(qtbot, qt_loop, make_db, tmp_path):
    """`--from TOOL`: nexo keeps no snapshot there; the view says why, and offers no accept."""
    from nexo_studio.qt.main_window import MainWindow
    from tests.qt.qt_helpers import SAMPLE
    from tests.adopt.test_golang_migrate import migrate_up, write_project

    url = make_db("sqlite")
    migrate_up(url, "sqlite", write_project(tmp_path)[1])
    w = MainWindow(None, url)
    qtbot.addWidget(w)
    w.show()
    w.open_read_only("golang-migrate", SAMPLE, url)
    qtbot.waitUntil(lambda: w.loaded is not None and w.loaded.connected and not w.worker.busy, timeout=20000)
    assert w.drift_button.text() == "Schema: not checked"
    assert "read-only view of the database as golang-migrate recorded it" in w.drift_view.empty.text()
    assert not w.drift_view.accept_button.isEnabled()
    w.ask_before_abort = False
    w.close()
