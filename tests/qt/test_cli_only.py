"""What only the CLI could do, from the window by real clicks: File → New migration… (name
checked as typed, heads preselected, written like `nexo new`, opened in the SQL view),
Database → Baseline… (on the worker) and File → Export graph as DOT… (the same DOT as `nexo graph`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from tests.qt.qt_helpers import click_menu_item, recorded, statuses, wait_dialog

REPO = Path(__file__).resolve().parents[2]


def open_menu_item(qtbot, w, title: str, name: str) -> None:
    menu = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == title)
    w.activateWindow()
    menu.popup(w.mapToGlobal(w.rect().center()))
    click_menu_item(qtbot, menu, name)


def test_new_migration_dialog(qtbot, make_window, sample_copy):
    w = make_window(sample_copy)
    heads = set(w.project.graph.heads())
    open_menu_item(qtbot, w, "File", "new_migration")
    dialog = wait_dialog(qtbot, w)
    qtbot.keyClicks(dialog.name_edit, "Add Invoices")
    assert not dialog.ok_button.isEnabled() and "not a valid name" in dialog.reason.text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "add_invoices")
    assert dialog.ok_button.isEnabled()
    assert set(dialog.depends()) == heads
    # pick one more dependency by clicking its check box
    item = dialog.deps.findItems("2025.01.26.093000_initial_schema", Qt.MatchFlag.MatchExactly)[0]
    rect = dialog.deps.visualItemRect(item)
    qtbot.mouseClick(dialog.deps.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if item.checkState() != Qt.CheckState.Checked:
        item.setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(i.endswith("_add_invoices") for i in w.project.migrations), timeout=10000)
    new = next(i for i in w.project.migrations if i.endswith("_add_invoices"))
    path = sample_copy / f"{new}.sql"
    text = path.read_text(encoding="utf-8")
    for dep in heads | {"2025.01.26.093000_initial_schema"}:
        assert dep in text
    qtbot.waitUntil(lambda: w.selected_id == new, timeout=10000)
    assert w.tabs.currentWidget() is w.sql and "-- +up" in w.sql.code.toPlainText()
    assert statuses(w)[new] == "pending"


def test_baseline_from_the_menu(qtbot, make_window, db_file):
    w = make_window()
    target = "2025.01.26.094500_user_roles"
    open_menu_item(qtbot, w, "Database", "baseline")
    dialog = wait_dialog(qtbot, w)
    dialog.to_box.setCurrentIndex(dialog.to_box.findData(target))
    assert "2 migration(s)" in dialog.summary.text()
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "baseline") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert b.args[0].ok
    rows = recorded(db_file)
    assert rows == {"2025.01.26.093000_initial_schema": "applied", target: "applied"}
    assert statuses(w)[target] == "applied"


def test_export_graph_as_dot_equals_nexo_graph(qtbot, make_window, db_file, tmp_path):
    w = make_window()
    out = tmp_path / "graph.dot"
    open_menu_item(qtbot, w, "File", "export_dot")
    dialog = wait_dialog(qtbot, w)
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    edit.clear()
    qtbot.keyClicks(edit, str(out))
    save = dialog.findChild(QDialogButtonBox, "buttonBox").button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(out.exists, timeout=10000)
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    cli = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{db_file}",
                          "--migrations", str(REPO / "migrations"), "graph"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert out.read_text(encoding="utf-8") == cli.stdout
