"""Smaller things a DBA notices (brief item 11), each by real clicks on the real window."""

from __future__ import annotations

from PySide6.QtCore import Qt

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
