"""The connection dialog a DBA trusts: dialect defaults follow the type, the URL page is never
stale, Test creates nothing, recents name the project and hold only connections that opened."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from nexo_studio.qt.connections import ProfileStore
from tests.qt.qt_helpers import SAMPLE
from tests.qt.test_connection_dialog import open_dialog


def choose(qtbot, combo, label: str) -> None:
    """Pick a combo item with the keyboard, as a user would."""
    combo.setFocus()
    key = Qt.Key.Key_Down if combo.findText(label) > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(combo.count()):
        if combo.currentText() == label:
            break
        qtbot.keyClick(combo, key)
    assert combo.currentText() == label


def test_switching_postgresql_to_mariadb_takes_its_port_and_user(qtbot, make_window):
    dialog = open_dialog(qtbot, make_window())
    dialog.set_url("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    dialog.form_radio.click()
    choose(qtbot, dialog.dialect_box, "MariaDB")
    assert dialog.port_spin.value() == 3306 and dialog.user_edit.text() == "root"
    assert dialog.host_edit.text() == "127.0.0.1" and dialog.db_edit.text() == "test"
    # a port or user the user typed is theirs: kept
    dialog.port_spin.setValue(3307)
    dialog.user_edit.setText("dba")
    choose(qtbot, dialog.dialect_box, "PostgreSQL")
    assert dialog.port_spin.value() == 3307 and dialog.user_edit.text() == "dba"
    dialog.reject()


def test_url_page_shows_the_fields_and_test_connects_to_them(qtbot, make_window, tmp_path):
    dialog = open_dialog(qtbot, make_window())
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    first.touch()
    second.touch()
    dialog.file_edit.setText(str(first))
    qtbot.mouseClick(dialog.url_radio, Qt.MouseButton.LeftButton)
    assert dialog.url_edit.text().endswith("first.db")
    qtbot.mouseClick(dialog.form_radio, Qt.MouseButton.LeftButton)
    dialog.file_edit.clear()
    qtbot.keyClicks(dialog.file_edit, str(second))
    qtbot.mouseClick(dialog.url_radio, Qt.MouseButton.LeftButton)
    assert dialog.url_edit.text().endswith("second.db")
    assert dialog.url().endswith("second.db")
    # and back: an edited URL fills the fields
    dialog.url_edit.setText("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    qtbot.mouseClick(dialog.form_radio, Qt.MouseButton.LeftButton)
    assert dialog.dialect_box.currentData() == "postgresql" and dialog.db_edit.text() == "test"
    dialog.reject()


def test_test_on_a_missing_sqlite_file_creates_nothing(qtbot, make_window, tmp_path):
    dialog = open_dialog(qtbot, make_window())
    target = tmp_path / "not-yet.db"
    dialog.file_edit.setText(str(target))
    qtbot.mouseClick(dialog.test_btn, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    assert not target.exists()
    assert "does not exist yet" in dialog.test_result.text() and str(target) in dialog.test_result.text()
    dialog.reject()


def open_with(qtbot, w, folder, setup) -> None:
    dialog = open_dialog(qtbot, w)
    dialog.dir_edit.setText(str(folder))
    setup(dialog)
    with qtbot.waitSignal(w.refreshed, timeout=30000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)


def test_recents_name_the_project_and_skip_failed_connections(qtbot, make_window, tmp_path, data_dir):
    import shutil

    shop = tmp_path / "shop" / "migrations"
    shutil.copytree(SAMPLE, shop)
    w = make_window()

    def unreachable(d):
        d.dialect_box.setCurrentIndex(d.dialect_box.findData("postgresql"))
        d.host_edit.setText("127.0.0.1")
        d.port_spin.setValue(1)
        d.db_edit.setText("nothing")

    open_with(qtbot, w, shop, unreachable)
    assert not w.loaded.connected
    assert all(":1/" not in r["url"] for r in ProfileStore.load().recent)  # a failed one is not recent
    good = tmp_path / "shop.db"

    def sqlite(d):
        d.dialect_box.setCurrentIndex(d.dialect_box.findData("sqlite"))
        d.file_edit.setText(str(good))

    open_with(qtbot, w, shop, sqlite)
    assert w.loaded.connected
    recent = ProfileStore.load().recent
    assert recent[0]["url"].endswith("shop.db") and len(recent) == 1
    assert w.windowTitle().startswith("shop/migrations — ")
    dialog = open_dialog(qtbot, w)
    assert dialog.recent_box.itemText(1).startswith("shop/migrations — sqlite:///")
    dialog.reject()


def test_window_title_is_the_profile_name(qtbot, make_window, tmp_path, data_dir):
    w = make_window()
    dialog = open_dialog(qtbot, w)
    dialog.dir_edit.setText(str(SAMPLE))
    dialog.file_edit.setText(str(tmp_path / "p.db"))
    dialog.save_profile("Billing staging")
    with qtbot.waitSignal(w.refreshed, timeout=30000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)
    assert w.windowTitle().startswith("Billing staging — ")


def test_test_can_be_cancelled_and_leaves_the_worker_free(qtbot, make_window):
    import socket

    silent = socket.socket()  # accepts connections and never answers: a hanging server
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        w = make_window()
        dialog = open_dialog(qtbot, w)
        dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("postgresql"))
        dialog.host_edit.setText("127.0.0.1")
        dialog.port_spin.setValue(silent.getsockname()[1])
        dialog.db_edit.setText("test")
        qtbot.mouseClick(dialog.test_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.test_result.text() == "Connecting…", timeout=2000)
        qtbot.wait(300)
        assert not w.worker.busy  # the window stays usable while a test hangs
        assert dialog.test_btn.isEnabled() and dialog.test_btn.text() == "Cancel"
        with qtbot.waitSignal(dialog.job_done, timeout=1000):
            qtbot.mouseClick(dialog.test_btn, Qt.MouseButton.LeftButton)
        assert dialog.test_result.text() == "Test cancelled."
        assert dialog.test_btn.text() == "Test connection"
        dialog.reject()
    finally:
        silent.close()


def test_production_profile_colours_the_window_and_deploy_asks_twice(qtbot, make_window, tmp_path, data_dir):
    from tests.qt.qt_helpers import click_action, tables, wait_dialog

    db = tmp_path / "prod.db"
    w = make_window()
    dialog = open_dialog(qtbot, w)
    dialog.dir_edit.setText(str(SAMPLE))
    dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("sqlite"))
    dialog.file_edit.setText(str(db))
    qtbot.mouseClick(dialog.production_box, Qt.MouseButton.LeftButton)
    dialog.save_profile("Billing prod")
    assert ProfileStore.load().get("Billing prod").production
    with qtbot.waitSignal(w.refreshed, timeout=30000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)
    assert w.windowTitle().startswith("PRODUCTION — Billing prod — ")
    assert "b71c1c" in w.statusBar().styleSheet()
    before = tables(db) if db.exists() else set()

    def second_question():
        click_action(qtbot, w, "deploy")
        first = wait_dialog(qtbot, w)
        qtbot.mouseClick(first.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.active_dialog is not None and w.active_dialog.objectName() == "production_confirm",
                        timeout=10000)
        return w.active_dialog

    confirm = second_question()
    qtbot.keyClicks(confirm.name_edit, "Billing")
    assert not confirm.ok_button.isEnabled()  # the name, exactly
    qtbot.keyClick(confirm.name_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.active_dialog is None and not w.worker.busy, timeout=10000)
    assert (tables(db) if db.exists() else set()) == before  # said no: nothing changed
    confirm = second_question()
    qtbot.keyClicks(confirm.name_edit, "Billing prod")
    with qtbot.waitSignal(w.operation_finished, timeout=60000, check_params_cb=lambda o: o.name == "deploy"):
        qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
    assert len(tables(db)) > len(before)
