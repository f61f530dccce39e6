"""Smaller things a DBA notices (brief item 11), each by real clicks on the real window."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import click_action, deploy_by_clicking, wait_dialog


def test_a_completed_deploy_leaves_a_notice_with_a_way_to_the_history(qtbot, make_window):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    notice = w.notice
    assert notice.isVisible() and w.last_message is None  # non-modal
    text = notice.label.text()
    assert "Deploy finished" in text and "9 migration(s) applied" in text, text
    w.tabs.setCurrentIndex(0)
    qtbot.mouseClick(notice.history_button, Qt.MouseButton.LeftButton)
    assert w.tabs.currentWidget() is w.history
    newest = max(h.seq for h in w.history.model.all_rows())
    assert w.history.view.currentIndex().row() == w.history.model.row_of_seq(newest)
    assert f"#{newest}" in w.details.toPlainText()
    qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()


def visible_rows(view) -> int:
    return view.viewport().height() // view.verticalHeader().defaultSectionSize()


def test_the_log_shows_several_rows_by_default(qtbot, make_window):
    w = make_window()
    for i in range(20):
        w.log_message("info", f"line {i}")
    qtbot.wait(50)
    assert w.log_dock.isVisible()
    assert visible_rows(w.log.view) >= 5, visible_rows(w.log.view)


def same_line(browser, text: str, nth: int = 1) -> bool:
    """Whether the ``nth`` ``text`` in the browser's document is laid out on one line."""
    found = browser.document().find(text)
    for _ in range(nth - 1):
        found = browser.document().find(text, found)
    assert not found.isNull(), text
    start, end = found.selectionStart(), found.selectionEnd()
    from PySide6.QtGui import QTextCursor

    a, b = QTextCursor(browser.document()), QTextCursor(browser.document())
    a.setPosition(start)
    b.setPosition(end)
    return browser.cursorRect(a).top() == browser.cursorRect(b).top()


def test_details_never_wrap_inside_a_value(qtbot, make_window):
    w = make_window()
    target = "2025.01.26.094500_user_roles"
    row = w.migrations.model.row_of(target)
    idx = w.migrations.proxy.mapFromSource(w.migrations.model.index(row, 1))
    qtbot.mouseClick(w.migrations.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=w.migrations.view.visualRect(idx).center())
    assert w.selected_id == target
    for width in (300, 200):  # the default dock, then as narrow as it goes
        w.resizeDocks([w.details_dock], [width], Qt.Orientation.Horizontal)
        qtbot.wait(50)
        for nth in (1, 2, 3):  # the title, the Version row, the File row
            assert same_line(w.details, "2025.01.26.094500", nth), f"a version is split across lines ({nth}, {width})"


def arrow_points_down(header, section: int) -> bool:
    """Render the header and look at the sort arrow at the right end of ``section``: a ▼ has
    its wide side on top, a ▲ at the bottom."""
    from PySide6.QtGui import QColor

    image = header.grab().toImage()
    x1 = header.sectionViewportPosition(section) + header.sectionSize(section) - 1
    background = QColor(image.pixel(x1 - 2, 1)).lightness()
    dark = []
    for x in range(x1 - 16, x1 - 1):
        for y in range(1, image.height() - 2):
            if abs(QColor(image.pixel(x, y)).lightness() - background) > 60:
                dark.append(y)
    assert dark, "no sort arrow drawn"

    top, bottom = min(dark), max(dark)
    middle = (top + bottom) / 2
    upper = sum(1 for y in dark if y < middle)
    lower = sum(1 for y in dark if y > middle)
    return upper > lower


def test_sort_arrows_point_the_way_the_rows_go(qtbot, make_window):
    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    w.tabs.setCurrentWidget(w.history)
    header = w.history.view.horizontalHeader()
    qtbot.waitExposed(w.history.view)
    seqs = [w.history.model.rows()[r].seq for r in range(w.history.model.rowCount())]
    assert seqs == sorted(seqs, reverse=True)  # newest first ...
    assert arrow_points_down(header, 0)  # ... so ▼
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionSize(0) // 2, header.height() // 2))
    seqs = [w.history.model.rows()[r].seq for r in range(w.history.model.rowCount())]
    assert seqs == sorted(seqs) and not arrow_points_down(header, 0)  # oldest first: ▲


def test_history_gives_the_migration_column_the_room_not_an_empty_error_column(qtbot, make_window):
    from nexo_studio.qt.models import HistoryTableModel

    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    w.tabs.setCurrentWidget(w.history)
    qtbot.waitExposed(w.history.view)
    view = w.history.view
    header = view.horizontalHeader()
    longest = max((h.migration_id or "" for h in w.history.model.all_rows()), key=len)
    needed = view.fontMetrics().horizontalAdvance(longest) + 12
    assert header.sectionSize(HistoryTableModel.MIGRATION) >= needed, (header.sectionSize(4), needed)
    assert header.sectionSize(HistoryTableModel.ERROR) < header.sectionSize(HistoryTableModel.MIGRATION)


def test_export_names_the_database_and_date_and_asks_before_overwriting(qtbot, make_window, tmp_path, db_file):
    from datetime import date

    w = make_window()
    assert deploy_by_clicking(qtbot, w).ok
    click_action(qtbot, w, "export")
    dialog = wait_dialog(qtbot, w)
    suggested = dialog.out_edit.text()
    assert suggested.endswith(f"nexo-audit-{db_file.stem}-{date.today():%Y-%m-%d}.html"), suggested
    out = tmp_path / "report.html"
    out.write_text("an earlier report", encoding="utf-8")
    dialog.out_edit.setText(str(out))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert out.read_text(encoding="utf-8") == "an earlier report"  # not overwritten without asking
    assert "exists" in dialog.status_label.text() and dialog.save_button.text() == "Replace"
    with qtbot.waitSignal(dialog.job_done, timeout=60000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # the explicit second click
    assert dialog.exported == out and out.read_text(encoding="utf-8") != "an earlier report"
    dialog.reject()


def test_a_failed_migrations_details_show_its_error(qtbot, make_window, sample_copy):
    broken = "2025.04.01.000000_broken"
    write_sql(sample_copy, broken, "CREATE TABLE broken_ok (id INTEGER);\nSELEC nonsense;", "DROP TABLE broken_ok;",
              depends=["2025.03.18.150000_api_tokens"])
    w = make_window(sample_copy)
    assert not deploy_by_clicking(qtbot, w).ok
    if w.last_message is not None:
        w.last_message.close()
    row = w.migrations.model.row_of(broken)
    idx = w.migrations.proxy.mapFromSource(w.migrations.model.index(row, 1))
    qtbot.mouseClick(w.migrations.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=w.migrations.view.visualRect(idx).center())
    assert w.selected_id == broken
    text = w.details.toPlainText()
    assert "Failed" in text and "Error" in text and "SELEC" in text, text


def test_view_theme_menu_switches_and_is_remembered(qtbot, make_window, qapp):
    from nexo_studio.qt.app import stored_theme
    from tests.qt.qt_helpers import click_menu_item

    palette = qapp.palette()
    style = qapp.style().name()
    w = make_window()
    try:
        menu = w.theme_menu
        menu.popup(w.mapToGlobal(w.rect().center()))
        click_menu_item(qtbot, menu, "theme_dark")
        assert qapp.palette().window().color().lightness() < 100
        assert w.actions_by_name["theme_dark"].isChecked()
        assert stored_theme() == "dark"  # the next start uses it (unless --theme says otherwise)
        menu.popup(w.mapToGlobal(w.rect().center()))
        click_menu_item(qtbot, menu, "theme_light")
        assert qapp.palette().window().color().lightness() > 150 and stored_theme() == "light"
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)


def test_the_first_window_uses_most_of_the_screen(qtbot, data_dir):
    from PySide6.QtCore import QSize

    from nexo_studio.qt.main_window import MainWindow
    from nexo_studio.qt.window.layout import first_size

    assert first_size(QSize(1600, 1000)) == QSize(1440, 900)
    assert first_size(QSize(3840, 2160)) == QSize(1680, 1050)  # not absurdly large on a 4K screen
    w = MainWindow()  # no saved geometry: a first start
    qtbot.addWidget(w)
    screen = w.screen().availableGeometry().size()
    expected = first_size(screen).expandedTo(w.minimumSize())
    assert w.size() == expected, (w.size(), screen)


def test_the_first_run_sample_says_it_is_a_throwaway_sample(qtbot, make_window, data_dir, tmp_path):
    from nexo_studio.qt.app import resolve_target

    migrations, url = resolve_target(None, None)  # what a start with no arguments opens
    w = make_window(migrations, url)
    banner = w.sample_banner
    assert banner.isVisible()
    text = banner.text().lower()
    assert "sample" in text and "throwaway" in text and "sample.db" in text
    assert "throwaway sample" in w.windowTitle().lower()
    # another database: the notice goes
    from tests.qt.test_window_trust import open_by_keyboard

    open_by_keyboard(qtbot, w, migrations, tmp_path / "mine.db")
    assert not banner.isVisible() and "throwaway" not in w.windowTitle().lower()
