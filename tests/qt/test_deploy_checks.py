"""The deploy dialog shows, before confirmation, what the deploy would meet (validation errors,
irreversible migrations, the lock holder, lint risks), read on the worker, and disables Deploy
with the reason when the engine would refuse it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import click_action, deploy_by_clicking, recorded, tables, wait_dialog

DROP = "2025.04.01.000000_drop_projects"


def open_deploy(qtbot, w):
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    qtbot.waitUntil(lambda: not dialog.checking, timeout=20000)
    return dialog


def test_risky_deploy_is_disabled_until_allowed(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    write_sql(sample_copy, DROP, "DROP TABLE api_tokens;", depends=["2025.03.18.150000_api_tokens"])
    dialog = open_deploy(qtbot, w)
    rows = dialog.checks.rows()
    assert any("[drop_table]" in r and DROP in r for r in rows), rows
    assert any(r.startswith("Irreversible: " + DROP) for r in rows), rows
    assert any(r == "Deploy lock: free" for r in rows), rows
    assert not dialog.ok_button.isEnabled()
    assert "risk" in dialog.checks.reason.text() and "risk" in dialog.ok_button.toolTip()
    qtbot.mouseClick(dialog.risky_box, Qt.MouseButton.LeftButton)
    assert dialog.risky_box.isChecked() and dialog.ok_button.isEnabled()
    assert dialog.options().allow_risky
    with qtbot.waitSignal(w.operation_finished, timeout=60000, check_params_cb=lambda o: o.name == "deploy") as b:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert b.args[0].ok
    assert recorded(db_file)[DROP] == "applied" and "api_tokens" not in tables(db_file)


def test_validation_errors_disable_deploy(qtbot, make_window, sample_copy):
    w = make_window(sample_copy)
    write_sql(sample_copy, "2025.04.02.000000_broken", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;",
              depends=["2025.01.01.000000_not_there"])
    dialog = open_deploy(qtbot, w)
    assert any(r.startswith("Validation error:") and "not_there" in r for r in dialog.checks.rows())
    assert not dialog.ok_button.isEnabled() and "Validation failed" in dialog.ok_button.toolTip()
    qtbot.mouseClick(dialog.risky_box, Qt.MouseButton.LeftButton)
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_lock_holder_is_shown(qtbot, make_window, sample_copy, db_file):
    from nexo_studio.core.state.locks import lock_for
    from nexo_studio.core.target import Target

    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    write_sql(sample_copy, "2025.04.03.000000_more", "CREATE TABLE more_t (id INTEGER);", "DROP TABLE more_t;")
    lock = lock_for(Target(f"sqlite:///{db_file}").engine)
    lock.acquire(5)
    try:
        dialog = open_deploy(qtbot, w)
        assert any(r.startswith("Deploy lock held by") for r in dialog.checks.rows()), dialog.checks.rows()
        dialog.reject()
    finally:
        lock.release()



def test_long_disabled_reason_wraps_and_shows_all_of_it(qtbot, make_window, sample_copy):
    """A long "Deploy is disabled: …" reason wraps over as many lines as it needs (issue #16)."""
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    write_sql(sample_copy, DROP, "DROP TABLE api_tokens;", depends=["2025.03.18.150000_api_tokens"])
    dialog = open_deploy(qtbot, w)
    label = dialog.checks.reason
    assert not dialog.ok_button.isEnabled() and "Allow risky statements" in label.text()
    qtbot.waitUntil(lambda: label.isVisible())
    dialog.resize(400, 200)  # as small as the dialog goes: the lists give way, not the reason
    qtbot.wait(50)
    needed = label.heightForWidth(label.width())
    assert label.wordWrap() and needed >= 2 * label.fontMetrics().height(), (needed, label.text())
    assert label.height() >= needed, (label.height(), needed, label.text())
    dialog.reject()
