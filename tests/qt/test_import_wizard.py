"""File → Import from another tool…, driven by real clicks: a golang-migrate project whose
database golang-migrate migrated (its `schema_migrations` table written as its drivers write it)
goes through every page of the wizard to Adopt, on SQLite and on PostgreSQL; the window then
shows the adopted project, all applied, and the other tool's table is unchanged. The read-only
`--from` mode shows a database as the other tool recorded it, with every changing action off,
and writes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard

from tests.adopt.helpers import rows_of
from tests.adopt.test_golang_migrate import migrate_up, write_project
from tests.qt.qt_helpers import SAMPLE, click_menu_item, statuses


def _click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _open_wizard(qtbot, window):
    from nexo_studio.qt.adopt import ImportWizard

    menu = window.menuBar().actions()[0].menu()
    menu.popup(window.mapToGlobal(QPoint(10, 10)))
    click_menu_item(qtbot, menu, "import_tool")
    qtbot.waitUntil(lambda: isinstance(window.active_dialog, ImportWizard) and window.active_dialog.isVisible())
    return window.active_dialog


def _fill_source(qtbot, wizard, tool: str, src: Path) -> None:
    box = wizard.source_page.tool_box
    box.setCurrentIndex(box.findData(tool))
    wizard.source_page.source_edit.clear()
    qtbot.keyClicks(wizard.source_page.source_edit, str(src))
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))


def _set_text(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_wizard_imports_and_adopts_by_clicking(qtbot, make_window, make_db, tmp_path, dialect):
    from nexo_studio.qt.adopt.dialogs import AdoptConfirmDialog
    from nexo_studio.qt.adopt.pages import KIND_COLOURS

    url = make_db(dialect)
    src, steps = write_project(tmp_path)
    migrate_up(url, dialect, steps)
    foreign_before = rows_of(url, "schema_migrations")
    window = make_window(SAMPLE, url)
    wizard = _open_wizard(qtbot, window)
    next_button = wizard.button(QWizard.WizardButton.NextButton)

    _fill_source(qtbot, wizard, "golang-migrate", src)
    page = wizard.mapping_page
    assert wizard.currentPage() is page and page.model.rowCount() == 11
    assert page.model.item(0, 0).text() == "1" and page.model.item(10, 4).text() == "yes"
    _click(qtbot, next_button)

    into = tmp_path / "adopted"
    into.mkdir()
    first = wizard.preview.planned[0].filename
    (into / first).write_text("-- +up\nSELECT 1;\n")  # someone else's file of that name
    _set_text(qtbot, wizard.target_page.into_edit, str(into))
    assert "would be overwritten" in wizard.target_page.status.text() and first in wizard.target_page.status.text()
    assert not next_button.isEnabled()
    (into / first).unlink()
    _set_text(qtbot, wizard.target_page.into_edit, str(into))
    assert "11 new file(s)" in wizard.target_page.status.text()
    _click(qtbot, next_button)

    assert wizard.database_page.url_edit.text()  # the window's database, without a password
    _click(qtbot, next_button)

    rec_page = wizard.reconcile_page
    qtbot.waitUntil(lambda: rec_page.rec is not None or rec_page.error is not None, timeout=30000)
    assert rec_page.error is None
    model = rec_page.model
    assert model.rowCount() == 11
    assert {model.item(r, 0).text() for r in range(11)} == {"matched, applied"}
    assert model.item(0, 0).background().color().name() == KIND_COLOURS["matched-applied"]
    assert not list(into.iterdir())  # nothing written before Adopt
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.text() == "Adopt…"
    _click(qtbot, finish)

    qtbot.waitUntil(lambda: isinstance(window.active_dialog, AdoptConfirmDialog), timeout=10000)
    confirm = window.active_dialog
    from PySide6.QtWidgets import QLabel

    assert "11 migration(s)" in confirm.findChild(QLabel, "adopt_confirm_text").text()
    with qtbot.waitSignal(window.operation_finished, timeout=60000,
                          check_params_cb=lambda o: o.name == "adopt") as blocker:
        _click(qtbot, confirm.ok_button)
    assert blocker.args[0].error is None, blocker.args[0].error
    qtbot.waitUntil(lambda: window.migrations_dir == into and window.loaded is not None
                    and window.loaded.project.directory == into and not window.worker.busy, timeout=30000)
    got = statuses(window)
    assert len(got) == 11 and set(got.values()) == {"applied"}, got
    assert len(list(into.glob("*.sql"))) == 11
    assert rows_of(url, "schema_migrations") == foreign_before  # the other tool's table untouched
    assert window.worker.foreign_tool is None and not window.read_only_banner.isVisible()


def test_wizard_blocks_a_dirty_database_and_unsupported_items(qtbot, make_window, make_db, tmp_path):
    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps, dirty_last=True)
    (src / "seed.sql").write_text("INSERT INTO gm_t1 (id) VALUES (99);\n")  # not a golang-migrate name
    window = make_window(SAMPLE, url)
    wizard = _open_wizard(qtbot, window)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    _fill_source(qtbot, wizard, "golang-migrate", src)
    page = wizard.mapping_page
    assert page.unsupported.rowCount() == 1 and page.unsupported.item(0, 0).text() == "seed.sql"
    assert "cannot be converted" in page.summary.text() and not next_button.isEnabled()
    _click(qtbot, page.skip_box)  # --skip-unsupported
    _click(qtbot, next_button)
    _set_text(qtbot, wizard.target_page.into_edit, str(tmp_path / "adopted"))
    _click(qtbot, next_button)
    _click(qtbot, next_button)
    rec_page = wizard.reconcile_page
    qtbot.waitUntil(lambda: rec_page.rec is not None or rec_page.error is not None, timeout=30000)
    kinds = [rec_page.model.item(r, 0).text() for r in range(rec_page.model.rowCount())]
    assert kinds[-1] == "failed / dirty" and kinds.count("failed / dirty") == 1
    assert "Blocked" in rec_page.summary.text() and str(steps[-1][0]) in rec_page.summary.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    _click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: window.active_dialog is None)
    assert not (tmp_path / "adopted").exists()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert "__Migrations" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def _dump(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def test_read_only_from_mode_changes_nothing(qtbot, qt_loop, make_db, tmp_path):
    from nexo_studio.qt.adopt.window import CHANGING
    from nexo_studio.qt.main_window import MainWindow

    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps)
    db = url.removeprefix("sqlite:///")
    before = _dump(db)
    window = MainWindow(None, url)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.open_read_only("golang-migrate", SAMPLE, url)
    qtbot.waitUntil(lambda: window.loaded is not None and not window.worker.busy, timeout=20000)
    assert window.loaded.connected, window.loaded.error
    # no imported project: golang-migrate records only its current version
    assert statuses(window) == {str(steps[-1][0]): "applied"}
    from nexo_studio.app.adopt import import_files

    mig = tmp_path / "imported"
    import_files("golang-migrate", src, mig)
    window.open_read_only("golang-migrate", mig, url)  # with the imported files: every migration
    qtbot.waitUntil(lambda: window.loaded is not None and not window.worker.busy, timeout=20000)
    got = statuses(window)
    assert len(got) == 11 and set(got.values()) == {"applied"}, got
    assert "golang-migrate (read-only)" in window.windowTitle() and window.read_only_banner.isVisible()
    for name in CHANGING:
        assert not window.actions_by_name[name].isEnabled(), name
    menu = window.context_menu_for(sorted(got)[3])
    for a in menu.actions():
        if a.objectName().startswith("menu_") and a.objectName() != "menu_sql":
            assert not a.isEnabled(), a.objectName()
    with qtbot.waitSignal(window.refreshed, timeout=20000):
        window.refresh()  # F5 reads again, still as golang-migrate recorded it
    qtbot.waitUntil(lambda: not window.worker.busy)
    assert statuses(window) == got
    _click(qtbot, window.read_only_import)  # the way out: Import and adopt…
    from nexo_studio.qt.adopt import ImportWizard

    qtbot.waitUntil(lambda: isinstance(window.active_dialog, ImportWizard))
    assert window.active_dialog.tool == "golang-migrate"
    window.active_dialog.reject()
    qtbot.waitUntil(lambda: window.active_dialog is None)
    assert _dump(db) == before  # nothing written: not nexo's tables, not the tool's
    window.ask_before_abort = False
    window.close()


def test_open_database_as_another_tool_from_the_menu(qtbot, make_window, make_db, tmp_path):
    """File → Open database as another tool (read-only)…: pick the tool, give the URL, click."""
    from nexo_studio.qt.adopt.dialogs import ForeignOpenDialog

    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps)
    before = _dump(url.removeprefix("sqlite:///"))
    window = make_window(SAMPLE, f"sqlite:///{tmp_path / 'other.db'}")
    menu = window.menuBar().actions()[0].menu()
    menu.popup(window.mapToGlobal(QPoint(10, 10)))
    click_menu_item(qtbot, menu, "open_foreign")
    qtbot.waitUntil(lambda: isinstance(window.active_dialog, ForeignOpenDialog))
    dialog = window.active_dialog
    dialog.tool_box.setCurrentIndex(dialog.tool_box.findData("golang-migrate"))
    _set_text(qtbot, dialog.url_edit, url)
    with qtbot.waitSignal(window.refreshed, timeout=20000):
        _click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not window.worker.busy)
    assert window.read_only_tool == "golang-migrate" and window.read_only_banner.isVisible()
    assert statuses(window) == {str(steps[-1][0]): "applied"}
    assert not window.actions_by_name["deploy"].isEnabled()
    assert _dump(url.removeprefix("sqlite:///")) == before


def test_nexo_studio_from_flag_renders_read_only(tmp_path, make_db):
    """`nexo-studio --from TOOL --db URL --screenshot`: the real entry point, nothing written."""
    import os
    import subprocess
    import sys

    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps)
    before = _dump(url.removeprefix("sqlite:///"))
    shot = tmp_path / "ro.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NEXO_NO_KEYRING": "1"}
    r = subprocess.run([sys.executable, "-m", "nexo_studio.qt.app", "--from", "golang-migrate", "--db", url,
                        "--screenshot", str(shot), "--view", "state"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert shot.stat().st_size > 10000 and "warning" not in r.stderr
    assert _dump(url.removeprefix("sqlite:///")) == before


def test_read_only_without_a_project_shows_the_tools_last_version_and_what_was_opened(qtbot, qt_loop, make_db,
                                                                                      tmp_path):
    """No imported project: the status bar shows the version the tool applied last, in its own order
    (Flyway's "10" after "4", not the larger text), and the log names the tool and the database,
    not the sample folder the window happens to hold (issue #16)."""
    from nexo_studio.qt.main_window import MainWindow
    from tests.adopt.test_flyway import flyway_migrate
    from tests.adopt.test_flyway import write_project as write_flyway

    url = make_db("sqlite")
    flyway_migrate(url, "sqlite", write_flyway(tmp_path))
    window = MainWindow(None, url)
    qtbot.addWidget(window)
    window.show()
    window.open_read_only("flyway", SAMPLE, url)
    qtbot.waitUntil(lambda: window.loaded is not None and not window.worker.busy, timeout=20000)
    assert window.loaded.connected, window.loaded.error
    assert window.version_label.text() == "Schema 10", window.version_label.text()
    log = window.log.text(selected_only=False)
    assert str(SAMPLE) not in log, log
    assert "flyway" in log and Path(url.removeprefix("sqlite:///")).name in log, log
    window.ask_before_abort = False
    window.close()
