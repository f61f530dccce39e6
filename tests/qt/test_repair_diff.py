"""The Repair dialog for a drifted migration shows the unified diff between the ``up`` text as
applied (kept in ``__Migrations.metadata``) and the file now; accepting records the new text."""

from __future__ import annotations

import json
import sqlite3

from PySide6.QtCore import Qt

from tests.qt.qt_helpers import click_action, deploy_by_clicking, statuses, wait_dialog

ROLES = "2025.01.26.094500_user_roles"


def up_text(db) -> str:
    with sqlite3.connect(db) as conn:
        (meta,) = conn.execute('SELECT metadata FROM "__Migrations" WHERE id = ?', (ROLES,)).fetchone()
    return json.loads(meta)["up_text"]


def test_repair_shows_the_drift_diff(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    assert "CREATE TABLE roles" in up_text(db_file)
    f = sample_copy / f"{ROLES}.sql"
    f.write_text(f.read_text(encoding="utf-8").replace("CREATE TABLE roles", "CREATE TABLE roles /* edited */", 1),
                 encoding="utf-8")
    with qtbot.waitSignal(w.operation_finished, timeout=20000):
        click_action(qtbot, w, "refresh")
    assert statuses(w)[ROLES] == "drifted"
    w.select_migration(ROLES, "test")
    click_action(qtbot, w, "repair")
    dialog = wait_dialog(qtbot, w)
    diff = dialog.diff_view.toPlainText()
    assert dialog.diff_view.isVisible()
    assert "-CREATE TABLE roles (" in diff.replace(" (\n", " (\n") or "-CREATE TABLE roles" in diff
    assert "+CREATE TABLE roles /* edited */" in diff
    assert f"{ROLES}.sql (applied)" in diff
    with qtbot.waitSignal(w.operation_finished, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok and statuses(w)[ROLES] == "applied"
    assert "/* edited */" in up_text(db_file)  # the accepted text is the one kept now
