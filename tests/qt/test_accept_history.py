"""Accepting a tampered history from the GUI (``repair --accept-history``), by clicks, on a real
SQLite file whose history was edited by hand: the action is offered only while the history is
tampered, the confirmation shows exactly which rows are accepted, the work runs on the worker,
and afterwards the chain verifies and the acceptance is itself in the history."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from nexo_studio.qt.dialogs import AcceptHistoryDialog
from tests.qt.qt_helpers import SAMPLE, click_action, deploy_by_clicking, statuses

REPO = Path(__file__).resolve().parents[2]


def edit_history(db: Path, sql: str, *params) -> None:
    """Change the history behind the tool's back, as someone with SQL access could."""
    with sqlite3.connect(db) as conn:
        conn.execute(sql, params)


def audit_verify(db: Path, migrations: Path) -> subprocess.CompletedProcess:
    """The real `nexo audit verify`, in its own process (the GUI thread never connects)."""
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{db}",
                           "--migrations", str(migrations), "audit", "verify"],
                          capture_output=True, text=True, env=env, timeout=120)


def refresh_by_clicking(qtbot, w) -> None:
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")


def open_accept_dialog(qtbot, w) -> AcceptHistoryDialog:
    """Click the toolbar's Accept history button; the worker reads the problems, then the dialog opens."""
    button = w.toolbar.widgetForAction(w.accept_history_tool)
    assert button is not None and button.isEnabled()
    qtbot.waitUntil(button.isVisible)  # the toolbar lays the button out on its next event pass
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(w.active_dialog, AcceptHistoryDialog) and w.active_dialog.isVisible(),
                    timeout=20000)
    return w.active_dialog


def confirm(qtbot, w, dialog: AcceptHistoryDialog):
    assert not dialog.ok_button.isEnabled()  # nothing is accepted without the explicit tick
    qtbot.mouseClick(dialog.understand, Qt.MouseButton.LeftButton, pos=dialog.understand.rect().bottomLeft() / 2)
    dialog.understand.setChecked(True)
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "repair") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return b.args[0]


def test_accept_a_hand_edited_history_row_by_clicking(qtbot, make_window, db_file):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    accept = w.actions_by_name["accept_history"]
    assert not accept.isEnabled() and not w.accept_history_tool.isVisible()  # nothing to accept
    seq = next(h.seq for h in w.history.model.all_rows() if h.action == "apply")
    rows_before = len(w.history.model.all_rows())
    edit_history(db_file, 'UPDATE "__MigrationHistory" SET operator = ? WHERE seq = ?', "mallory", seq)

    refresh_by_clicking(qtbot, w)
    assert accept.isEnabled() and w.accept_history_tool.isVisible()
    assert "history tampered" in w.pending_label.text()
    assert any(f.code == "tampered" and f"seq {seq}" in f.message for f in w.findings.model._rows)
    assert set(statuses(w).values()) == {"applied"}  # __Migrations agrees: only the history row changed

    dialog = open_accept_dialog(qtbot, w)
    model = dialog.model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == str(seq) and "edited" in model.index(0, 1).data()
    assert model.index(0, model.COLUMNS.index("Operator")).data() == "mallory"  # the row as it is now
    assert "mallory" in dialog.details.toPlainText()
    recorded = dialog.recorded_note.text()
    assert f"seq {seq}" in recorded and "recorded in the history" in recorded
    assert dialog.findChild(type(dialog.recorded_note), "remaining") is None  # nothing left to repair

    outcome = confirm(qtbot, w, dialog)
    assert outcome.ok, outcome.error
    assert outcome.result.seq == rows_before + 1
    last = max(w.history.model.all_rows(), key=lambda h: h.seq)
    details = last.details_dict()
    assert (last.seq, last.action, last.status) == (rows_before + 1, "repair", "ok")
    assert details["repair"] == "accept-history" and [b["seq"] for b in details["chain_breaks"]] == [seq]
    assert f"recorded in the history as seq {last.seq}" in w.log.text(selected_only=False)
    # the chain verifies again, the edited row is kept as found, and the action is no longer offered
    verdict = w.loaded.snapshot.chain
    assert verdict.ok and [(b.seq, b.accepted_at) for b in verdict.accepted] == [(seq, last.seq)]
    assert not accept.isEnabled() and not w.accept_history_tool.isVisible()
    assert "history tampered" not in w.pending_label.text()
    with sqlite3.connect(db_file) as conn:
        assert conn.execute('SELECT operator FROM "__MigrationHistory" WHERE seq = ?', (seq,)).fetchone() == ("mallory",)
    result = audit_verify(db_file, SAMPLE)
    assert result.returncode == 0 and "intact" in result.stdout, result.stdout + result.stderr


def test_deleted_history_rows_show_what_is_left_to_repair(qtbot, make_window, db_file):
    """A deleted apply row: the break is accepted, and the dialog says the migration the history
    no longer applied still needs Repair (accepting the history does not decide that)."""
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    gone = next(h for h in w.history.model.all_rows() if h.action == "apply")
    edit_history(db_file, 'DELETE FROM "__MigrationHistory" WHERE seq = ?', gone.seq)
    refresh_by_clicking(qtbot, w)
    assert statuses(w)[gone.migration_id] == "dirty"

    dialog = open_accept_dialog(qtbot, w)
    assert dialog.model.index(0, 0).data() == str(gone.seq + 1)
    assert f"seq {gone.seq} deleted" in dialog.model.index(0, 1).data()
    remaining = dialog.findChild(type(dialog.recorded_note), "remaining")
    assert remaining is not None and gone.migration_id in remaining.text()
    outcome = confirm(qtbot, w, dialog)
    assert outcome.ok, outcome.error
    assert w.loaded.snapshot.chain.ok
    assert statuses(w)[gone.migration_id] == "dirty"  # still to repair, as the dialog said
    assert w.actions_by_name["repair"].isEnabled()


def test_accept_refuses_when_the_history_changed_after_it_was_shown(qtbot, make_window, db_file):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    applies = [h.seq for h in w.history.model.all_rows() if h.action == "apply"]
    edit_history(db_file, 'UPDATE "__MigrationHistory" SET host = ? WHERE seq = ?', "elsewhere", applies[0])
    refresh_by_clicking(qtbot, w)
    dialog = open_accept_dialog(qtbot, w)
    edit_history(db_file, 'UPDATE "__MigrationHistory" SET host = ? WHERE seq = ?', "elsewhere", applies[1])
    w.quiet = True  # the error box
    outcome = confirm(qtbot, w, dialog)
    assert not outcome.ok and type(outcome.error).__name__ == "HistoryChanged"
    assert not any(h.action == "repair" for h in w.history.model.all_rows())  # nothing recorded
    assert sorted(b.seq for b in w.loaded.snapshot.chain.breaks) == applies[:2]


def test_history_problem_model(qtmodeltester):
    from nexo_studio.core.state.chain import ChainBreak
    from nexo_studio.qt.models import HistoryProblemModel

    model = HistoryProblemModel()
    model.set_problems([ChainBreak(3, "row content does not match its hash (edited)", "a" * 64),
                        ChainBreak(7, "seq follows 5: row(s) missing before it (seq 6 deleted)", "b" * 64)], [])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 2 and model.index(1, 0).data() == "7" and model.index(1, 2).data() == ""
