"""The window's actions, menus, toolbar and status bar, and which actions are enabled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QToolBar, QToolButton, QWidget

from ..dialogs import REPAIRS
from ..theme import icon
from . import TAB_GRAPH, TAB_HISTORY, TAB_SQL
from .base import WindowBase


class WindowActions(WindowBase):
    """Builds and enables the actions; a mixin of :class:`~nexo_studio.qt.main_window.MainWindow`."""

    def _action(self, name: str, text: str, slot: Callable, shortcut: Any = None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        a = QAction(text, self)
        a.setObjectName(name)
        if icon_name:
            a.setIcon(icon(icon_name))
            a.setProperty("icon_name", icon_name)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        label = text.replace("&", "").rstrip("…")
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        a.setToolTip(f"{tip or label}" + (f"  ({keys})" if keys else ""))
        a.setStatusTip(tip or label)
        a.triggered.connect(lambda _checked=False: self.trigger(slot))
        self.addAction(a)
        self.actions_by_name[name] = a
        return a

    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        A = self._action
        A("open", "&Open project…", self.open_project, QKeySequence.StandardKey.Open, "open",
          "Open a migrations folder and a database")
        A("refresh", "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh, "refresh",
          "Read status and history from the database")
        A("validate", "&Validate", self.validate, "F7", "validate", "Check files, dependencies and state")
        A("deploy", "&Deploy…", self.deploy, "Ctrl+D", "deploy", "Apply pending migrations")
        A("rollback_to", "Roll &back to here…", lambda: self.rollback(self.selected_id, False),
          "Ctrl+Shift+Z", "rollback", "Undo everything newer than the selected migration")
        A("rollback_with_dependents", "Roll back this and its &dependents…",
          lambda: self.rollback(self.selected_id, True), "Ctrl+Shift+Del", "rollback-dependents",
          "Undo the selected migration and everything that depends on it")
        A("repair", "Re&pair…", lambda: self.repair(self.selected_id), "Ctrl+R", "repair",
          "Resolve a dirty, failed, drifted or missing migration")
        A("accept_history", "Accept tampered &history…", self.accept_history, None, "warning",
          "Accept history rows that were edited or lost outside Nexo, as they are, on record")
        A("backup", "&Backup", self.backup, "Ctrl+B", "backup", "Back up the database now")
        A("restore", "Res&tore…", self.restore, "Ctrl+Shift+B", "restore", "Restore a recorded backup")
        A("export", "&Export report…", self.export, "Ctrl+E", "export", "Export an audit report")
        A("new_migration", "&New migration…", self.new_migration, "Ctrl+N", "open", "Write a new migration file")
        A("export_dot", "Export graph as &DOT…", self.export_dot, None, "graph", "The dependency graph as Graphviz DOT")
        A("baseline", "Base&line…", self.baseline, None, "repair",
          "Mark migrations as applied without running them (the schema already has them)")
        A("cancel", "&Cancel", self.cancel, "Esc", "cancel", "Cancel the running operation")
        A("fit", "&Fit graph", self.graph.fit, "Ctrl+0", "fit", "Show the whole graph")
        A("find", "&Find migration", self._focus_search, QKeySequence.StandardKey.Find, "search")
        A("fleet", "F&leet…", lambda: _fleet().open_fleet(self), None, "graph",
          "Every database of the project's fleet ([[targets]] in nexo.toml): status matrix, deploy, roll back")
        A("fleet_file", "Fleet from &targets file…", lambda: _fleet().choose_targets_file(self), None, "open",
          "Open the Fleet view on a targets file ([fleet], [[targets]])")
        A("reset_layout", "Reset &layout", self.reset_layout, None, "layout", "Restore the default window layout")
        A("view_graph", "&Graph", lambda: self.tabs.setCurrentIndex(TAB_GRAPH), "Ctrl+1", "graph")
        A("view_history", "&History", lambda: self.tabs.setCurrentIndex(TAB_HISTORY), "Ctrl+2", "history")
        A("view_sql", "&SQL", lambda: self.tabs.setCurrentIndex(TAB_SQL), "Ctrl+3", "sql")
        A("quit", "&Quit", self.close, QKeySequence.StandardKey.Quit, "quit")
        A("about", "&About Nexo Studio", self._about)

    def _build_menus_and_toolbar(self) -> None:
        a = self.actions_by_name
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for n in ("open", "new_migration", "refresh", None, "export", "export_dot", None, "quit"):
            m.addSeparator() if n is None else m.addAction(a[n])
        m = mb.addMenu("&Database")
        for n in ("validate", "deploy", "rollback_to", "rollback_with_dependents", "repair", "accept_history", "baseline", None,
                  "backup",
                  "restore", None, "cancel"):
            m.addSeparator() if n is None else m.addAction(a[n])
        m = mb.addMenu("&View")
        for n in ("view_graph", "view_history", "view_sql", None, "fleet", "fleet_file", None, "find", "fit", None):
            m.addSeparator() if n is None else m.addAction(a[n])
        for dock in (self.log_dock, self.findings_dock, self.details_dock):
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        self._build_theme_menu(m)
        m.addAction(a["reset_layout"])
        mb.addMenu("&Help").addAction(a["about"])

        tb = QToolBar("Main toolbar", self)
        tb.setObjectName("main_toolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for n in ("open", "refresh", None, "validate", "deploy", "rollback_to", "repair", None, "backup", "restore",
                  None, "export", None, "cancel"):
            tb.addSeparator() if n is None else tb.addAction(a[n])
            if n == "repair":
                # offered on the toolbar only while the history is tampered (always in the menu);
                # a button of its own, so hiding it leaves the menu entry alone
                button = QToolButton(tb)
                button.setObjectName("accept_history_button")
                button.setDefaultAction(a["accept_history"])
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
                self.accept_history_tool = tb.addWidget(button)
                self.accept_history_tool.setVisible(False)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.conn_label = QLabel("Not connected")
        self.conn_label.setObjectName("status_connection")
        self.dialect_label = QLabel()
        self.dialect_label.setObjectName("status_dialect")
        self.version_label = QLabel()
        self.version_label.setObjectName("status_version")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("status_pending")
        self.busy_label = QLabel("Idle")
        self.busy_label.setObjectName("status_busy")
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setFixedWidth(180)
        self.progress.setVisible(False)
        self.progress.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setDefaultAction(self.actions_by_name["cancel"])
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.setVisible(False)
        self.conn_label.setContentsMargins(6, 0, 6, 0)
        sb.addWidget(self.conn_label, 1)
        for w in (self.dialect_label, self.version_label, self.pending_label, self.busy_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(_separator())
            sb.addPermanentWidget(w)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)

    def _connect_views(self) -> None:
        self.migrations.migration_selected.connect(lambda mid: self.select_migration(mid, "table"))
        self.migrations.context_menu_requested.connect(self.show_context_menu)
        self.migrations.migration_activated.connect(self._activate)
        self.graph.migration_selected.connect(lambda mid: self.select_migration(mid, "graph"))
        self.graph.context_menu_requested.connect(self.show_context_menu)
        self.graph.migration_activated.connect(self._activate)
        self.findings.finding_activated.connect(self.open_finding)
        self.history.event_selected.connect(self._event_selected)
    def _update_actions(self, *_args) -> None:
        busy = self.worker.busy or not self.connected  # nothing to operate on until it answers
        snap = self.snapshot
        has = snap is not None
        st = snap.by_id.get(self.selected_id) if (snap is not None and self.selected_id) else None
        a = self.actions_by_name
        pending = bool(snap is not None and snap.with_status("pending", "failed"))
        a["refresh"].setEnabled(not self.worker.busy and bool(self.url))
        a["validate"].setEnabled(not self.worker.busy and bool(self.url))
        a["deploy"].setEnabled(not busy and pending)
        a["rollback_to"].setEnabled(not busy and bool(st and st.is_applied))
        a["rollback_with_dependents"].setEnabled(not busy and bool(st and st.is_applied))
        a["repair"].setEnabled(not busy and bool(snap is not None and snap.with_status(*REPAIRS)))
        tampered = self.history_tampered()
        a["accept_history"].setEnabled(not busy and tampered)
        self.accept_history_tool.setVisible(tampered)
        a["backup"].setEnabled(not busy and has)
        a["restore"].setEnabled(not busy and has)
        a["export"].setEnabled(not busy and has)
        a["open"].setEnabled(not self.worker.busy)
        a["new_migration"].setEnabled(has and self.migrations_dir is not None)
        a["export_dot"].setEnabled(has)
        a["baseline"].setEnabled(not busy and has)
        a["cancel"].setEnabled(self.worker.busy)
        a["fleet"].setEnabled(_fleet().fleet_available(getattr(self, "migrations_dir", None)))
        self._lock_read_only()  # --from TOOL: every changing action off (qt/adopt/window.py)


def _fleet():
    from .. import fleet

    return fleet


def _separator() -> QWidget:
    from PySide6.QtWidgets import QFrame

    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    line.setFixedHeight(16)
    return line
