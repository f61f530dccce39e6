"""Small helpers for driving the real window with clicks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from tests.helpers.projects import write_sql

SAMPLE = Path(__file__).resolve().parents[2] / "migrations"


def click_action(qtbot, window, name: str) -> None:
    """Click the toolbar button of an action (a real mouse click on a real button)."""
    button = window.toolbar.widgetForAction(window.actions_by_name[name])
    assert button is not None and button.isEnabled(), f"{name} button missing or disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def deploy_by_clicking(qtbot, window, timeout: int = 60000):
    click_action(qtbot, window, "deploy")
    dialog = wait_dialog(qtbot, window)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    wait_checked(qtbot, dialog)
    with qtbot.waitSignal(window.operation_finished, timeout=timeout,
                          check_params_cb=lambda o: o.name == "deploy") as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def wait_checked(qtbot, dialog, timeout: int = 20000) -> None:
    """The deploy dialog's read-only checks (worker) have ended (Deploy is disabled meanwhile)."""
    if hasattr(dialog, "checking"):
        qtbot.waitUntil(lambda: not dialog.checking, timeout=timeout)


def click_menu_item(qtbot, menu: QMenu, object_name: str) -> None:
    action = next(a for a in menu.actions() if a.objectName() == object_name)
    assert action.isEnabled(), f"{object_name} is disabled"
    qtbot.waitUntil(menu.isVisible)
    rect = menu.actionGeometry(action)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=rect.center())


def statuses(window) -> dict[str, str]:
    return {r.id: r.status for r in window.migrations.model.records()}


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                           "AND name NOT LIKE 'sqlite_%'")}


def recorded(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        try:
            return dict(conn.execute('SELECT id, status FROM "__Migrations"'))
        except sqlite3.OperationalError:
            return {}


def right_click_node(qtbot, window, migration_id: str) -> QMenu:
    """Right-click a graph node; returns the context menu the window pops up."""
    graph = window.graph
    window.tabs.setCurrentWidget(graph)
    graph.select(migration_id)  # centres the node so it is inside the viewport
    pos: QPoint = graph.node_viewport_pos(migration_id)
    qtbot.mouseClick(graph.viewport(), Qt.MouseButton.RightButton, pos=pos)
    qtbot.waitUntil(lambda: getattr(window, "active_menu", None) is not None and window.active_menu.isVisible())
    return window.active_menu


def slow_project(directory: Path, n: int, loops: int = 200000) -> list[str]:
    """``n`` chained migrations, each creating a table and running a slow recursive count."""
    from datetime import datetime, timedelta

    ids = []
    base = datetime(2025, 1, 1)
    for i in range(1, n + 1):
        mid = f"{base + timedelta(minutes=i):%Y.%m.%d.%H%M%S}_slow_{i}"
        up = (f"CREATE TABLE slow_{i} (id INTEGER PRIMARY KEY);\n"
              f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {loops}) "
              "SELECT count(*) FROM c;")
        write_sql(directory, mid, up, f"DROP TABLE slow_{i};", depends=[ids[-1]] if ids else [])
        ids.append(mid)
    return ids


def wait_dialog(qtbot, window, timeout: int = 20000):
    """The dialog a user action opened (actions are coroutines: it opens on the next loop turn)."""
    qtbot.waitUntil(lambda: window.active_dialog is not None and window.active_dialog.isVisible(), timeout=timeout)
    wait_checked(qtbot, window.active_dialog, timeout)
    return window.active_dialog


def answer_stop_question(qtbot, window, button: str):
    """Click ``stop_button`` or ``keep_button`` in the "Stop the operation?" question; returns its text."""
    from PySide6.QtWidgets import QPushButton

    qtbot.waitUntil(lambda: window.active_question is not None and window.active_question.isVisible(), timeout=10000)
    box = window.active_question
    text = box.text()
    qtbot.mouseClick(box.findChild(QPushButton, button), Qt.MouseButton.LeftButton)
    return text
