"""User actions are coroutines (qasync): dialog, await the job, refresh, report, and react to the
error class: DatabaseNeedsRepair opens the repair dialog, LockTimeout names the lock's holder."""

from __future__ import annotations

import sqlite3

import pytest

from PySide6.QtCore import Qt

from nexo_studio.qt.dialogs import DeployDialog, RepairDialog
from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import click_action, deploy_by_clicking, wait_dialog

NEW = "2025.04.01.000000_new_table"


def test_the_window_has_no_callback_table(make_window):
    w = make_window()
    assert not hasattr(w, "_after")
    import inspect

    for name in ("deploy", "rollback", "repair", "backup", "restore", "accept_history", "validate", "open_project",
                 "export", "refresh_async"):
        assert inspect.iscoroutinefunction(getattr(w, name)), name
    from nexo_studio.qt.dialogs import ConnectionDialog, DeployDialog, ExportDialog

    for cls, name in ((DeployDialog, "preview"), (ExportDialog, "preview"), (ExportDialog, "export"),
                      (ConnectionDialog, "test_connection")):
        assert inspect.iscoroutinefunction(getattr(cls, name)), (cls, name)
        assert not hasattr(cls, "run_job")


def test_deploy_refused_for_repair_opens_the_repair_dialog(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    dirty = "2025.03.18.150000_api_tokens"
    with sqlite3.connect(db_file) as conn:
        conn.execute('UPDATE "__Migrations" SET status = \'dirty\' WHERE id = ?', (dirty,))
    write_sql(sample_copy, NEW, "CREATE TABLE new_table (id INTEGER);", "DROP TABLE new_table;", depends=[dirty])
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    assert isinstance(dialog, DeployDialog)
    dialog.ok_button.setEnabled(True)  # the dialog may already warn; the engine must refuse anyway
    with qtbot.waitSignal(w.operation_finished, timeout=30000, check_params_cb=lambda o: o.name == "deploy") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    from nexo_studio.errors import DatabaseNeedsRepair

    assert isinstance(b.args[0].error, DatabaseNeedsRepair)
    qtbot.waitUntil(lambda: isinstance(w.active_dialog, RepairDialog) and w.active_dialog.isVisible(), timeout=10000)
    repair = w.active_dialog
    assert repair.which.currentData() == dirty  # opened on the migration the engine named
    assert w.last_message is None  # no error box on top of the repair dialog
    repair.reject()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_lock_timeout_names_the_holder(qtbot, make_window, make_db, db_file, dialect):
    import sqlalchemy as sa

    from nexo_studio.core.state.locks import FileLock, holder_label, lock_for

    if dialect == "sqlite":
        w = make_window()
        lock = FileLock(db_file)
        db_file.touch()
    else:
        url = make_db(dialect)
        w = make_window(url=url)
        engine = sa.create_engine(url)
        lock = lock_for(engine)
    lock.acquire(1)
    try:
        click_action(qtbot, w, "deploy")
        dialog = wait_dialog(qtbot, w)
        dialog.lock_spin.setValue(0.3)
        with qtbot.waitSignal(w.operation_finished, timeout=30000, check_params_cb=lambda o: o.name == "deploy"):
            qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    finally:
        lock.release()
        if dialect != "sqlite":
            engine.dispose()
    assert w.last_message is not None
    text = w.last_message.text()
    # the holder as the engine names it: the process (file lock, PostgreSQL application_name) or
    # MariaDB's connection id and client address
    named = holder_label() if dialect != "mysql" else "connection "
    assert "lock is held by" in text and named in text, text
