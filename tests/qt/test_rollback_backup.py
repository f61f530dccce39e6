"""Rollback can take a backup first: "Back up first" is on by default when a down drops or
deletes, and the backup is taken (and recorded) before the first down runs."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.qt.qt_helpers import click_menu_item, deploy_by_clicking, right_click_node, wait_dialog


def test_rollback_backs_up_first_when_downs_drop(qtbot, make_window, db_file):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    menu = right_click_node(qtbot, w, "2025.01.26.094500_user_roles")
    click_menu_item(qtbot, menu, "menu_rollback_to")
    dialog = wait_dialog(qtbot, w)
    assert dialog.backup_box.isChecked() and dialog.destructive
    with qtbot.waitSignal(w.operation_finished, timeout=60000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert outcome.ok and outcome.result.backup is not None and outcome.result.backup.exists()
    actions = [r.action for r in w.loaded.history]
    first_down = actions.index("rollback")
    assert "backup" in actions[:first_down]
