"""Connection dialog: form fields per dialect, Test connection on the worker, profiles without
passwords, passwords in the keyring (or only in memory when there is no keyring)."""

from __future__ import annotations

import json

import keyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from nexo_studio.core.config import KEYRING_SERVICE
from nexo_studio.qt.connections import ConnectionFields, Passwords, ProfileStore
from tests.qt.qt_helpers import SAMPLE, click_action, wait_dialog


def open_dialog(qtbot, window):
    click_action(qtbot, window, "open")
    dialog = wait_dialog(qtbot, window)
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_test_connection_and_open_another_database(qtbot, make_window, tmp_path):
    w = make_window()
    dialog = open_dialog(qtbot, w)
    assert dialog.dialect_box.currentData() == "sqlite"
    other = tmp_path / "other.db"
    other.touch()  # an empty file is an empty SQLite database (a missing one is not created)
    dialog.file_edit.setText(str(other))
    with qtbot.waitSignal(dialog.job_done, timeout=20000):
        qtbot.mouseClick(dialog.test_btn, Qt.MouseButton.LeftButton)
    assert "Connected" in dialog.test_result.text() and "SQLite" in dialog.test_result.text()
    with qtbot.waitSignal(w.refreshed, timeout=20000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)
    assert w.url.endswith("other.db") and w.loaded.display_url.endswith("other.db")
    store = ProfileStore.load()
    assert store.recent and store.recent[0]["url"].endswith("other.db")


def test_test_connection_failure_names_host_not_password(qtbot, make_window):
    w = make_window()
    dialog = open_dialog(qtbot, w)
    dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("postgresql"))
    dialog.host_edit.setText("127.0.0.1")
    dialog.port_spin.setValue(1)
    dialog.db_edit.setText("nothing")
    dialog.user_edit.setText("nobody")
    dialog.password_edit.setText("hunter2")
    assert dialog.file_row.isHidden() and not dialog.host_edit.isHidden()
    with qtbot.waitSignal(dialog.job_done, timeout=30000):
        qtbot.mouseClick(dialog.test_btn, Qt.MouseButton.LeftButton)
    text = dialog.test_result.text()
    assert text.startswith("✗") and "127.0.0.1" in text and "hunter2" not in text
    dialog.reject()


def test_profiles_never_store_passwords(qtbot, make_window, memory_keyring, data_dir):
    w = make_window()
    dialog = open_dialog(qtbot, w)
    dialog.dir_edit.setText(str(SAMPLE))
    dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("mssql"))
    for edit, value in ((dialog.host_edit, "sql.example.com"), (dialog.db_edit, "prod"),
                        (dialog.user_edit, "dba"), (dialog.password_edit, "s3cret!")):
        edit.setText(value)
    dialog.driver_edit.setCurrentText("FreeTDS")
    assert not dialog.driver_edit.isHidden()
    dialog.save_profile("prod")
    text = (data_dir / "profiles.json").read_text()
    assert "s3cret" not in text
    profile = json.loads(text)["profiles"][0]
    assert profile["name"] == "prod" and profile["url"].startswith("mssql+pyodbc://dba@sql.example.com:1433/prod")
    assert "driver=FreeTDS" in profile["url"]
    key = Passwords.key(profile["url"])
    assert memory_keyring.get_password(KEYRING_SERVICE, key) == "s3cret!"
    # loading the profile again fills the password from the keyring
    dialog.password_edit.clear()
    dialog.profile_box.setCurrentIndex(0)
    dialog.profile_box.setCurrentIndex(dialog.profile_box.findData("prod"))
    assert dialog.password_edit.text() == "s3cret!"
    from sqlalchemy.engine import make_url

    assert make_url(dialog.url()).password == "s3cret!"
    dialog.reject()


def test_no_keyring_backend_keeps_the_password_in_memory(qtbot, make_window, data_dir):
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())
    w = make_window()
    dialog = open_dialog(qtbot, w)
    dialog.dialect_box.setCurrentIndex(dialog.dialect_box.findData("postgresql"))
    dialog.host_edit.setText("db.example.com")
    dialog.db_edit.setText("app")
    dialog.user_edit.setText("me")
    dialog.password_edit.setText("pw-123")
    dialog.save_profile("nokeyring")
    assert dialog.keyring_note.isVisibleTo(dialog)
    assert "not saved" in dialog.keyring_note.text() and "memory" in dialog.keyring_note.text()
    assert "pw-123" not in (data_dir / "profiles.json").read_text()
    assert Passwords.lookup("postgresql+psycopg://me@db.example.com:5432/app") == "pw-123"
    dialog.reject()


def test_fields_round_trip_urls():
    f = ConnectionFields("mariadb", host="h", port=None, database="d", user="u", password="p")
    url = f.url()
    assert url.drivername == "mariadb+pymysql" and url.port == 3306
    back = ConnectionFields.from_url(url.render_as_string(hide_password=False))
    assert (back.dialect, back.host, back.database, back.user, back.password) == ("mariadb", "h", "d", "u", "p")
    assert ConnectionFields("sqlite", file="/tmp/x.db").url().render_as_string() == "sqlite:////tmp/x.db"
