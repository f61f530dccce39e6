"""The window a DBA trusts, by real clicks and keys: nothing stale after opening another
database, an unreachable database never looks empty, Esc and closing ask before aborting a
deploy, the context-menu key acts on the selected row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import SAMPLE, click_action, deploy_by_clicking, wait_dialog

REPO = Path(__file__).resolve().parents[2]
EXTRA = "2025.04.01.000000_only_in_a"
SECOND = "2025.01.26.094500_user_roles"


def cli(db: Path, migrations: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{db}",
                           "--migrations", str(migrations), *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def click_row(qtbot, pane_view, model_row: int, proxy=None) -> None:
    idx = pane_view.model().index(model_row, 1) if proxy is None else proxy.mapFromSource(proxy.sourceModel().index(model_row, 1))
    rect = pane_view.visualRect(idx)
    qtbot.mouseClick(pane_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def press_shortcut(qtbot, w, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the user's focus is (shortcuts are matched from the focus widget)."""
    from PySide6.QtWidgets import QApplication

    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    qtbot.keyClick(QApplication.focusWidget() or w, key, modifier)


def open_by_keyboard(qtbot, w, migrations: Path, db: Path) -> None:
    """Ctrl+O, fill the SQLite file, click Open; returns when the new snapshot is in the views."""
    press_shortcut(qtbot, w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w)
    dialog.dir_edit.setText(str(migrations))
    dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("sqlite"))
    dialog.file_edit.setText(str(db))
    with qtbot.waitSignal(w.refreshed, timeout=20000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)


def test_nothing_stale_after_opening_another_database(qtbot, make_window, sample_copy, db_file, tmp_path):
    import sqlite3

    # database A: the sample plus a migration only project A has, deployed; history row 5 edited
    write_sql(sample_copy, EXTRA, "CREATE TABLE only_in_a (id INTEGER);", "DROP TABLE only_in_a;")
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    with sqlite3.connect(db_file) as conn:
        conn.execute('UPDATE "__MigrationHistory" SET operator = ? WHERE seq = 5', ("mallory",))
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    # database B: the sample on another file, two migrations applied
    other = tmp_path / "other.db"
    cli(other, SAMPLE, "deploy", "--to", SECOND, "--no-backup")

    w.history.view.selectRow(w.history.model.row_of_seq(5))
    assert "breaks the chain" in w.details.toPlainText()
    click_row(qtbot, w.migrations.view, w.migrations.model.row_of(EXTRA), w.migrations.proxy)
    assert w.selected_id == EXTRA and "Applied at" in w.details.toPlainText()
    qtbot.keyClicks(w.migrations.search, "only")
    w.migrations.status_filter.setCurrentIndex(w.migrations.status_filter.findText("Applied"))

    open_by_keyboard(qtbot, w, SAMPLE, other)

    assert w.loaded.display_url.endswith("other.db")
    text = w.details.toPlainText()
    assert EXTRA not in text and "chain" not in text and "Applied at" not in text
    assert w.selected_id is None and w.sql.migration_id is None
    assert "gone" not in w.sql.code.toPlainText()
    assert w.migrations.search.text() == "" and w.migrations.status_filter.currentIndex() == 0
    assert w.migrations.proxy.rowCount() == 9 and "7 pending" in w.pending_label.text()
    assert not w.history.view.selectionModel().hasSelection()
    # an applied row of B: selecting it enables Roll back to here
    click_row(qtbot, w.migrations.view, w.migrations.model.row_of(SECOND), w.migrations.proxy)
    assert w.selected_id == SECOND
    assert w.actions_by_name["rollback_to"].isEnabled()


UNREACHABLE = {
    "postgresql-port-closed": "postgresql+psycopg://nexo@127.0.0.1:1/x",
    "postgresql-no-database": "postgresql+psycopg://postgres@127.0.0.1:5432/nexo_gui_no_such_db",
    "mariadb-no-database": "mysql+pymysql://root@127.0.0.1:3306/nexo_gui_no_such_db",
}


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_an_unreachable_database_never_looks_empty(qtbot, make_window, url):
    from nexo_studio.qt.models import StateTableModel

    w = make_window(SAMPLE, url)
    assert not w.loaded.connected
    # said across the views, not only by a red dot
    assert w.connection_banner.isVisible() and "cannot connect" in w.connection_banner.text().lower()
    model = w.migrations.model
    shown = {model.index(r, StateTableModel.STATUS).data() for r in range(model.rowCount())}
    assert shown == {"Unknown"}, shown
    assert "pending" not in w.pending_label.text().lower() and "cannot connect" in w.pending_label.text().lower()
    assert {n.status for n in w.graph.nodes.values()} == {"unknown"}
    click_row(qtbot, w.migrations.view, 0, w.migrations.proxy)
    assert "Unknown" in w.details.toPlainText() and "Pending" not in w.details.toPlainText()
    # every operation is off until it answers; Refresh stays on to retry
    for name in ("deploy", "rollback_to", "repair", "backup", "restore", "export"):
        assert not w.actions_by_name[name].isEnabled(), name
    assert w.actions_by_name["refresh"].isEnabled()
    button = w.toolbar.widgetForAction(w.actions_by_name["deploy"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    press_shortcut(qtbot, w, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(100)
    assert w.active_dialog is None


def start_slow_deploy(qtbot, w, n: int):
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    dialog.backup_box.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.progress.maximum() == n and w.progress.value() >= 2, timeout=60000)


def test_esc_asks_before_aborting_a_deploy_and_says_what_is_rolled_back(qtbot, make_window, tmp_path, db_file):
    from tests.qt.qt_helpers import answer_stop_question, recorded, slow_project

    ids = slow_project(tmp_path / "slow", 200, loops=400000)
    w = make_window(tmp_path / "slow")
    outcomes = []
    w.operation_finished.connect(outcomes.append)
    start_slow_deploy(qtbot, w, 200)
    press_shortcut(qtbot, w, Qt.Key.Key_Escape)
    text = answer_stop_question(qtbot, w, "keep_button")
    assert "rolled back" in text and "stay" in text and "slow_" in text, text
    qtbot.wait(300)
    assert w.worker.busy and not w.worker.current.cancel.cancelled and not outcomes  # still deploying
    press_shortcut(qtbot, w, Qt.Key.Key_Escape)
    with qtbot.waitSignal(w.operation_finished, timeout=60000) as blocker:
        answer_stop_question(qtbot, w, "stop_button")
    assert blocker.args[0].cancelled
    applied = [m for m in ids if recorded(db_file).get(m) == "applied"]
    assert 2 <= len(applied) < 200


def test_closing_the_window_during_a_deploy_asks_first(qtbot, make_window, tmp_path, db_file):
    from nexo_studio.qt.worker import running_threads
    from tests.qt.qt_helpers import answer_stop_question, slow_project

    slow_project(tmp_path / "slow", 200, loops=400000)
    w = make_window(tmp_path / "slow")
    start_slow_deploy(qtbot, w, 200)
    w.close()
    text = answer_stop_question(qtbot, w, "keep_button")
    # it says what happens to the migration running now (rolled back), or, asked between two
    # migrations, that none is started; and that the deploy is recorded as cancelled
    assert "close the window" in text and "the history records the deploy as cancelled" in text
    assert ("is rolled back: none of its statements stay" in text) != ("the next one is not started" in text)
    qtbot.wait(200)
    assert w.isVisible() and w.worker.busy and not w.worker.current.cancel.cancelled
    w.close()
    answer_stop_question(qtbot, w, "stop_button")
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=60000)
    assert not running_threads()


def menu_key(widget) -> None:
    """The keyboard's menu key as Qt delivers it to the focus widget: a ContextMenu event with
    reason Keyboard at the widget's centre (the offscreen platform does not turn a Key_Menu press
    into one, so the test sends what the platform would)."""
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    centre = widget.rect().center()
    QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, centre,
                                                     widget.mapToGlobal(centre)))


def test_context_menu_key_opens_the_menu_of_the_selected_row(qtbot, make_window):
    w = make_window()
    view = w.migrations.view
    first = w.migrations.model.record(0).id
    click_row(qtbot, view, 0, w.migrations.proxy)
    assert w.selected_id == first
    middle = view.indexAt(view.viewport().rect().center())
    assert middle.isValid() and middle.row() != 0  # the key must not pick this one
    w.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    menu_key(view)
    qtbot.waitUntil(lambda: getattr(w, "active_menu", None) is not None and w.active_menu.isVisible())
    menu = w.active_menu
    assert w.selected_id == first and view.currentIndex().row() == 0
    # the menu sits at the selected row, not in the middle of the table
    row_rect = view.visualRect(view.currentIndex())
    at = view.viewport().mapFromGlobal(menu.pos())
    assert abs(at.y() - row_rect.center().y()) <= row_rect.height(), (at, row_rect)
    menu.close()


def test_rollback_dialog_says_no_file_in_this_project_for_a_missing_file(qtbot, make_window, tmp_path):
    d = tmp_path / "proj"
    write_sql(d, "2025.01.01.000001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    gone = write_sql(d, "2025.01.01.000002_b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")
    write_sql(d, "2025.01.01.000003_c", "CREATE TABLE c (id INTEGER);", None)
    w = make_window(d)
    assert deploy_by_clicking(qtbot, w).ok
    gone.unlink()
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    click_row(qtbot, w.migrations.view, w.migrations.model.row_of("2025.01.01.000001_a"), w.migrations.proxy)
    click_action(qtbot, w, "rollback_to")
    dialog = wait_dialog(qtbot, w)
    items = {dialog.list.item(i).data(Qt.ItemDataRole.UserRole): dialog.list.item(i).text()
             for i in range(dialog.list.count())}
    assert "no file in this project" in items["2025.01.01.000002_b"]
    assert "no down section" not in items["2025.01.01.000002_b"]
    assert "no down section" in items["2025.01.01.000003_c"]
    assert "no file in this project" in dialog.blocked_label.text()
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def cli_url(url: str, migrations: Path, *args: str) -> None:
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", url, "--migrations", str(migrations),
                           *args], capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr


def tamper_seq5(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            q = '"__MigrationHistory"' if url.startswith("postgresql") else "`__MigrationHistory`"
            conn.exec_driver_sql(f"UPDATE {q} SET operator = 'mallory' WHERE seq = 5")
    finally:
        engine.dispose()


@pytest.mark.parametrize("first, second", [("mysql", "postgresql"), ("postgresql", "mysql")],
                         ids=["mariadb-then-postgresql", "postgresql-then-mariadb"])
def test_nothing_stale_between_server_databases(qtbot, make_window, make_db, first, second):
    a, b = make_db(first), make_db(second)
    cli_url(a, SAMPLE, "deploy", "--no-backup")
    tamper_seq5(a)
    cli_url(b, SAMPLE, "deploy", "--to", SECOND, "--no-backup")
    w = make_window(SAMPLE, a)
    assert w.loaded.connected and w.history_tampered()
    w.history.view.selectRow(w.history.model.row_of_seq(5))
    assert "breaks the chain" in w.details.toPlainText()
    last = "2025.03.18.150000_api_tokens"
    click_row(qtbot, w.migrations.view, w.migrations.model.row_of(last), w.migrations.proxy)
    assert "Applied at" in w.details.toPlainText()
    w.migrations.status_filter.setCurrentIndex(w.migrations.status_filter.findText("Applied"))

    press_shortcut(qtbot, w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w)
    dialog.dir_edit.setText(str(SAMPLE))
    qtbot.mouseClick(dialog.url_radio, Qt.MouseButton.LeftButton)
    dialog.url_radio.setChecked(True)
    dialog.url_edit.setText(b)
    with qtbot.waitSignal(w.refreshed, timeout=30000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)

    assert w.loaded.dialect == ("postgresql" if second == "postgresql" else "mysql"), w.loaded.dialect
    assert not w.history_tampered() and "tampered" not in w.pending_label.text()
    text = w.details.toPlainText()
    assert "chain" not in text and "Applied at" not in text and last not in text
    assert w.migrations.status_filter.currentIndex() == 0 and w.migrations.proxy.rowCount() == 9
    assert "7 pending" in w.pending_label.text()
    click_row(qtbot, w.migrations.view, w.migrations.model.row_of(SECOND), w.migrations.proxy)
    assert w.actions_by_name["rollback_to"].isEnabled()
