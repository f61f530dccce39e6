"""The real window, driven by clicks: open, deploy, roll back, cancel, failures, validate, repair,
backup/restore, export, selection sync, layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.helpers.projects import write_sql

from tests.qt.qt_helpers import (
    SAMPLE,
    click_action,
    click_menu_item,
    deploy_by_clicking,
    recorded,
    right_click_node,
    slow_project,
    statuses,
    answer_stop_question,
    tables,
    wait_dialog,
)

SAMPLE_IDS = sorted(p.stem for p in SAMPLE.iterdir() if p.suffix in (".sql", ".py"))
SAMPLE_TABLES = {"organizations", "users", "roles", "user_roles", "projects", "plans", "subscriptions",
                 "api_tokens"}


def test_opens_the_sample_project_all_pending(make_window, db_file):
    w = make_window()
    assert sorted(statuses(w)) == SAMPLE_IDS
    assert set(statuses(w).values()) == {"pending"}
    assert set(w.graph.nodes) == set(SAMPLE_IDS)
    assert "pending" in w.pending_label.text() and str(len(SAMPLE_IDS)) in w.pending_label.text()
    assert w.loaded.connected and w.dialect_label.text().startswith("SQLite")
    # read-only: opening creates nothing, not even the SQLite file
    assert not db_file.exists()


def test_deploy_by_clicking_applies_everything(qtbot, make_window, db_file):
    w = make_window()
    outcome = deploy_by_clicking(qtbot, w)
    assert outcome.ok, outcome
    assert set(statuses(w).values()) == {"applied"}
    assert {n.status for n in w.graph.nodes.values()} == {"applied"}
    assert SAMPLE_TABLES <= tables(db_file)
    assert set(recorded(db_file).values()) == {"applied"}
    # the history tab and the timeline show the deployment
    actions = {h.action for h in w.history.model.all_rows()}
    assert {"deploy_start", "backup", "apply", "verify", "deploy_end"} <= actions
    assert w.history.model.rowCount() == len(w.history.model.all_rows())
    assert "0 pending" in w.pending_label.text()
    log = w.log.text(selected_only=False)
    assert "deployment" in log and "apply ok" in log


def test_deploy_dialog_preview_is_a_dry_run(qtbot, make_window, db_file):
    w = make_window()
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    assert dialog.plan_view.count() == len(SAMPLE_IDS)
    with qtbot.waitSignal(dialog.job_done, timeout=20000):
        qtbot.mouseClick(dialog.preview_btn, Qt.MouseButton.LeftButton)
    text = dialog.sql_view.toPlainText()
    assert "CREATE TABLE organizations" in text and "2025.01.26.093000_initial_schema" in text
    assert "Dry run" in dialog.preview_note.text()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not db_file.exists() or "__Migrations" not in tables(db_file)  # the preview changed nothing


def test_right_click_node_roll_back_to_here(qtbot, make_window, db_file):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    target = "2025.02.04.110000_audit_columns"
    menu = right_click_node(qtbot, w, target)
    click_menu_item(qtbot, menu, "menu_rollback_to")
    dialog = wait_dialog(qtbot, w)
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    # exactly what rollback_plan says: everything newer than the target that it does not need,
    # plus their dependents, dependents first
    listed = [dialog.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.list.count())]
    from nexo_studio.core.planner import rollback_plan

    expected = list(rollback_plan(w.project, w.snapshot, to=target).ids)
    assert listed == expected
    assert target not in listed and "2025.01.26.093000_initial_schema" not in listed
    assert "2025.02.25.103000_performance_indexes" in listed
    assert dialog.ok_button.isEnabled() and not dialog.blocked
    with qtbot.waitSignal(w.operation_finished, timeout=60000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok
    st = statuses(w)
    for mid in expected:
        assert st[mid] == "pending"
        assert w.graph.nodes[mid].status == "pending"
    assert st[target] == "applied" and st["2025.01.26.093000_initial_schema"] == "applied"
    left = tables(db_file)
    assert not ({"projects", "plans", "subscriptions", "api_tokens", "organization_overview"} & left)
    assert {"organizations", "users", "roles", "user_roles"} <= left


def test_table_row_roll_back_with_dependents(qtbot, make_window, db_file):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    target = "2025.01.26.094500_user_roles"
    view = w.migrations.view
    row = w.migrations.proxy.mapFromSource(w.migrations.model.index(w.migrations.model.row_of(target), 2))
    rect = view.visualRect(row)
    view.customContextMenuRequested.emit(rect.center())
    menu = w.active_menu
    qtbot.waitUntil(menu.isVisible)
    assert w.selected_id == target
    click_menu_item(qtbot, menu, "menu_rollback_with_dependents")
    dialog = wait_dialog(qtbot, w)
    listed = [dialog.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.list.count())]
    assert listed[-1] == target  # dependents first
    assert "2025.03.04.120000_backfill_member_role" in listed
    assert "2025.01.26.093000_initial_schema" not in listed
    with qtbot.waitSignal(w.operation_finished, timeout=60000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok
    assert all(statuses(w)[m] == "pending" for m in listed)
    assert "roles" not in tables(db_file) and "users" in tables(db_file)


def test_rollback_dialog_blocks_irreversible_by_name(qtbot, make_window, tmp_path):
    d = tmp_path / "irrev"
    write_sql(d, "2025.01.01.000001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    write_sql(d, "2025.01.01.000002_b", "CREATE TABLE b (id INTEGER);", None, depends=["2025.01.01.000001_a"])
    write_sql(d, "2025.01.01.000003_c", "CREATE TABLE c (id INTEGER);", "DROP TABLE c;", depends=["2025.01.01.000002_b"])
    w = make_window(d)
    assert deploy_by_clicking(qtbot, w).ok
    w.select_migration("2025.01.01.000001_a", "test")
    click_action(qtbot, w, "rollback_to")
    dialog = wait_dialog(qtbot, w)
    assert dialog.blocked == ["2025.01.01.000002_b"]
    assert "2025.01.01.000002_b" in dialog.blocked_label.text()
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_cancel_a_long_deploy(qtbot, make_window, tmp_path, db_file):
    d = tmp_path / "slow"
    ids = slow_project(d, 200)
    w = make_window(d)
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    dialog.backup_box.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.progress.isVisible() and w.progress.maximum() == 200 and w.progress.value() >= 3,
                    timeout=60000)
    assert w.cancel_button.isVisible()
    qtbot.mouseClick(w.cancel_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(w.operation_finished, timeout=60000) as blocker:
        answer_stop_question(qtbot, w, "stop_button")
    outcome = blocker.args[0]
    assert outcome.cancelled and not outcome.ok
    rec = recorded(db_file)
    present = tables(db_file)
    applied = [m for m in ids if rec.get(m) == "applied"]
    assert 3 <= len(applied) < 200
    for i, mid in enumerate(ids, 1):
        # either applied and recorded, or absent: nothing half-done
        assert (f"slow_{i}" in present) == (rec.get(mid) == "applied"), mid
        assert rec.get(mid) in (None, "applied")
    st = statuses(w)
    assert [m for m in ids if st[m] == "applied"] == applied
    assert any(h.status == "cancelled" for h in w.history.model.all_rows())
    assert "cancel" in w.log.text(selected_only=False)


def test_failing_deploy_shows_error_and_automatic_rollback(qtbot, make_window, sample_copy, db_file):
    write_sql(sample_copy, "2025.04.01.000000_broken", "CREATE TABLE broken_ok (id INTEGER);\nSELEC nonsense;",
              "DROP TABLE broken_ok;", depends=["2025.03.18.150000_api_tokens"])
    w = make_window(sample_copy)
    outcome = deploy_by_clicking(qtbot, w)
    assert not outcome.ok and outcome.result.status == "rolled_back"
    # the error and the automatic rollback are in the log ...
    w.log.level_box.setCurrentIndex(0)
    log = w.log.text(selected_only=False)
    assert "2025.04.01.000000_broken" in log and "SELEC" in log
    assert "rollback: started" in log and "Automatic rollback undid" in log
    # ... in the message shown to the user ...
    assert w.last_message is not None and "failed" in w.last_message.text()
    # ... and in the timeline / history table
    rows = w.history.model.all_rows()
    assert any(h.action == "apply" and h.status == "failed" and h.migration_id == "2025.04.01.000000_broken"
               for h in rows)
    assert sum(1 for h in rows if h.action == "rollback" and h.status == "ok") == 9
    assert w.history.timeline is not None
    # the failed one is shown as failed (retryable: nothing of it was left behind), the rest pending
    st = statuses(w)
    assert st.pop("2025.04.01.000000_broken") == "failed"
    assert set(st.values()) == {"pending"}
    assert w.graph.nodes["2025.04.01.000000_broken"].status == "failed"
    assert not (SAMPLE_TABLES & tables(db_file))


def test_validate_findings_open_the_file_at_the_line(qtbot, make_window, sample_copy):
    bad = sample_copy / "2025.05.01.000000_bad_header.sql"
    bad.write_text("-- description: x\n-- colour: blue\n-- +up\nSELECT 1;\n", encoding="utf-8")
    w = make_window(sample_copy)
    with qtbot.waitSignal(w.operation_finished, timeout=20000):
        click_action(qtbot, w, "validate")
    assert w.findings_dock.isVisible()
    model = w.findings.model
    errors, warnings = model.counts()
    assert errors >= 1
    row = next(i for i in range(model.rowCount()) if model.finding(i).code == "file_error")
    finding = model.finding(row)
    view = w.findings.view
    rect = view.visualRect(model.index(row, 3))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.tabs.currentWidget() is w.sql
    assert "colour" in w.sql.code.toPlainText()
    if finding.line:
        assert w.sql.code.current_marked_line() == finding.line
    # deploy is blocked by the validation error
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    assert not dialog.ok_button.isEnabled() and "Validation failed" in dialog.ok_button.toolTip()
    dialog.ok_button.setEnabled(True)  # the engine refuses it anyway
    with qtbot.waitSignal(w.operation_finished, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].ok and "validation failed" in str(blocker.args[0].error)


def test_repair_a_drifted_migration(qtbot, make_window, sample_copy):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    f = sample_copy / "2025.01.26.094500_user_roles.sql"
    f.write_text(f.read_text(encoding="utf-8").replace("-- +up\n", "-- +up\n-- edited after deploy\n", 1),
                 encoding="utf-8")
    with qtbot.waitSignal(w.operation_finished, timeout=20000):
        click_action(qtbot, w, "refresh")
    assert statuses(w)["2025.01.26.094500_user_roles"] == "drifted"
    assert w.migrations.model.record(w.migrations.model.row_of("2025.01.26.094500_user_roles")).checksum == "changed"
    w.select_migration("2025.01.26.094500_user_roles", "test")
    click_action(qtbot, w, "repair")
    dialog = wait_dialog(qtbot, w)
    assert dialog.which.currentData() == "2025.01.26.094500_user_roles"
    assert dialog.action_group.checkedButton().property("repair") == "accept-checksum"
    with qtbot.waitSignal(w.operation_finished, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok
    assert statuses(w)["2025.01.26.094500_user_roles"] == "applied"
    assert any(h.action == "repair" for h in w.history.model.all_rows())


def test_backup_then_restore_from_the_list(qtbot, make_window, db_file, data_dir):
    w = make_window()
    with qtbot.waitSignal(w.operation_finished, timeout=30000) as blocker:
        click_action(qtbot, w, "backup")
    assert blocker.args[0].ok
    backup_path = Path(blocker.args[0].result)
    assert backup_path.is_file() and data_dir in backup_path.parents
    assert deploy_by_clicking(qtbot, w).ok
    assert "organizations" in tables(db_file)
    click_action(qtbot, w, "restore")  # lists the backups on the worker, then opens the dialog
    dialog = wait_dialog(qtbot, w)
    assert dialog is not None and dialog.table.rowCount() >= 2  # the manual and the deploy backups
    for r in range(dialog.table.rowCount()):
        if dialog.backups[r]["path"] == str(backup_path):
            dialog.table.selectRow(r)
    assert not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.understand, Qt.MouseButton.LeftButton, pos=dialog.understand.rect().bottomLeft() / 2)
    dialog.understand.setChecked(True)
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(w.operation_finished, timeout=30000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok, blocker.args[0].error
    assert set(statuses(w).values()) == {"pending"}
    assert "organizations" not in tables(db_file)
    assert any(h.action == "restore" for h in w.history.model.all_rows())


def test_export_dialog_preview_and_export(qtbot, make_window, tmp_path):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    click_action(qtbot, w, "export")
    dialog = wait_dialog(qtbot, w)
    with qtbot.waitSignal(dialog.job_done, timeout=30000):
        qtbot.mouseClick(dialog.preview_btn, Qt.MouseButton.LeftButton)
    text = dialog.preview_text
    assert dialog.pdf.pageCount() >= 1
    assert "2025.01.26.093000_initial_schema" in text
    for fmt in ("html", "pdf"):  # the PDF is drawn with Qt on the worker thread
        dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
        out = tmp_path / f"report.{fmt}"
        dialog.out_edit.setText(str(out))
        with qtbot.waitSignal(dialog.job_done, timeout=60000):
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.exported == out and out.is_file() and out.stat().st_size > 1000, dialog.status_label.text()
    assert out.read_bytes().startswith(b"%PDF")
    dialog.reject()


def test_selection_is_synchronised(qtbot, make_window):
    w = make_window()
    mid = "2025.02.11.140000_projects"
    model = w.migrations.model
    idx = w.migrations.proxy.mapFromSource(model.index(model.row_of(mid), 1))
    qtbot.mouseClick(w.migrations.view.viewport(), Qt.MouseButton.LeftButton, pos=w.migrations.view.visualRect(idx).center())
    assert w.selected_id == mid
    assert w.graph.selected_id == mid
    assert mid in w.sql.title.text()
    assert "CREATE TABLE projects" in w.sql.code.toPlainText()
    other = "2025.01.26.094500_user_roles"
    qtbot.mouseClick(w.graph.viewport(), Qt.MouseButton.LeftButton, pos=w.graph.node_viewport_pos(other))
    assert w.selected_id == other
    assert w.migrations.current_id() == other
    # the SQL tab's sections for the dialect in use
    w.sql.parts.setCurrentIndex(2)
    assert "DROP TABLE" in w.sql.code.toPlainText()
    assert w.sql.code.first_line > 1


def test_search_and_status_filter(qtbot, make_window):
    w = make_window()
    qtbot.keyClicks(w.migrations.search, "roles")
    assert w.migrations.proxy.rowCount() >= 1
    ids = {w.migrations.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1) for r in range(w.migrations.proxy.rowCount())}
    expected = {s.id for s in w.snapshot.states if "roles" in s.id.lower() or "roles" in s.description.lower()}
    assert "2025.01.26.094500_user_roles" in ids and ids == expected
    assert "2025.02.11.140000_projects" not in ids
    w.migrations.search.clear()
    w.migrations.status_filter.setCurrentIndex(2)  # Applied
    assert w.migrations.proxy.rowCount() == 0


def test_layout_is_saved_and_reset(qtbot, make_window, data_dir):
    w = make_window()
    w.details_dock.hide()
    w.save_layout()
    assert (data_dir / "nexo-studio.ini").is_file()
    w.reset_layout()
    assert w.details_dock.isVisible() and w.log_dock.isVisible()


def test_shortcuts_for_every_action(make_window):
    w = make_window()
    for name in ("open", "refresh", "validate", "deploy", "rollback_to", "rollback_with_dependents", "repair",
                 "backup", "restore", "export", "cancel", "fit", "find"):
        assert not w.actions_by_name[name].shortcut().isEmpty(), name


def test_connection_failure_is_shown_not_raised(qtbot, make_window, tmp_path):
    w = make_window(SAMPLE, "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert not w.loaded.connected
    assert "secret" not in w.conn_label.text() and "not connected" in w.conn_label.text()
    assert set(statuses(w)) == set(SAMPLE_IDS)


def test_nothing_is_cut_off_at_1280x800(qtbot, make_window):
    from PySide6.QtWidgets import QToolButton

    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    w.resize(1280, 800)
    qtbot.wait(50)
    assert w.size().width() == 1280 and w.size().height() == 800
    ext = w.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert ext is None or not ext.isVisible()  # every toolbar button fits
    for label in (w.dialect_label, w.version_label, w.pending_label, w.busy_label):
        assert label.isVisible() and label.width() >= label.sizeHint().width(), label.objectName()
    header = w.migrations.view.horizontalHeader()
    fm = header.fontMetrics()
    for col, title in enumerate(w.migrations.model.COLUMNS):
        assert header.sectionSize(col) >= fm.horizontalAdvance(title) + 8, title
    # every row of the sample project is visible without scrolling
    assert w.migrations.view.verticalScrollBar().maximum() == 0


def test_closing_during_a_deploy_cancels_it_cleanly(qtbot, make_window, tmp_path, db_file):
    from nexo_studio.core.pipeline import DeployOptions
    from nexo_studio.qt.worker import running_threads

    d = tmp_path / "slow"
    ids = slow_project(d, 50)
    w = make_window(d)
    w.spawn(w.run_deploy(DeployOptions(backup=False)))
    qtbot.waitUntil(lambda: w.progress.maximum() == 50 and w.progress.value() >= 1, timeout=60000)
    w.close()  # asks first
    answer_stop_question(qtbot, w, "stop_button")
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=60000)  # cancelled, waited for the worker, closed
    assert not running_threads()
    rec = recorded(db_file)
    present = tables(db_file)
    for i, mid in enumerate(ids, 1):
        assert (f"slow_{i}" in present) == (rec.get(mid) == "applied")
