"""The main window: wires panels, the graph, the worker and the operations together.

Layout: a toolbar; in the centre a splitter with the migrations table above a tab area (Graph,
History, SQL); docks for the log, the validation findings (bottom) and details (right). The
dock layout and splitters are saved per user (QSettings) and View → Reset layout restores the
defaults. Every database call is a :class:`~nexo_studio.qt.worker.Job`; when one finishes, the
worker has already re-read status and history and the window replaces every view's snapshot.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from ..core import events as ev
from ..core.config import DeploySettings, user_data_dir
from ..core.project import BLOCKING, Project, Snapshot, chain_findings
from ..core.state.store import HistoryRow
from .dialogs import (
    REPAIRS,
    AcceptHistoryDialog,
    ConnectionDialog,
    DeployDialog,
    ExportDialog,
    RepairDialog,
    RestoreDialog,
    RollbackDialog,
)
from .graph_view import GraphView
from .models import LogEntry
from .palette import STATUS_COLOURS
from .panels import DetailsPane, FindingsPane, HistoryPane, LogPane, MigrationsPane, SqlPane
from .theme import app_icon, icon
from .worker import Job, JobOutcome, Loaded, Worker

APP_NAME = "Nexo Studio"
TAB_GRAPH, TAB_HISTORY, TAB_SQL = range(3)
VIEWS = {"graph": TAB_GRAPH, "history": TAB_HISTORY, "sql": TAB_SQL, "state": TAB_GRAPH}
#: bump when the default dock layout changes, so old saved states are not restored onto it
LAYOUT_VERSION = 1


def settings() -> QSettings:
    """Per-user settings file beside the profiles (``NEXO_DATA_DIR`` moves both)."""
    return QSettings(str(user_data_dir() / "nexo-studio.ini"), QSettings.Format.IniFormat)


def _project_config(migrations_dir: Path):
    """``nexo.toml`` next to the migrations folder (the project folder), if any."""
    from ..core.config import load_config

    for candidate in (migrations_dir.parent / "nexo.toml", migrations_dir / "nexo.toml"):
        if candidate.is_file():
            try:
                return load_config(candidate, migrations=migrations_dir)
            except Exception:  # noqa: BLE001 - a broken nexo.toml: defaults, reported by the CLI
                return None
    return None

#: above this many migrations the graph scene is built in slices (GraphView.set_data_async)
ASYNC_GRAPH_NODES = 300


class MainWindow(QMainWindow):
    #: a refresh from the database has been applied to every view
    refreshed = Signal()
    #: an operation ended (after the views were refreshed): JobOutcome
    operation_finished = Signal(object)

    def __init__(self, migrations_dir: Path | None = None, url: str | None = None) -> None:
        super().__init__()
        self._after: dict[str, Callable[[JobOutcome], None]] = {}
        self.quiet = False  # no message boxes (screenshots)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setObjectName("main_window")
        self.setMinimumSize(960, 600)
        self.migrations_dir: Path | None = Path(migrations_dir) if migrations_dir else None
        self.url: str | None = url
        self.loaded: Loaded | None = None
        self.project: Project | None = None
        self.snapshot: Snapshot | None = None
        self.selected_id: str | None = None
        self.active_dialog: QWidget | None = None
        self.last_message: QMessageBox | None = None
        self._graph_key: tuple | None = None
        self._syncing = False
        self._splitter_restored = False

        self.worker = Worker(self)
        self.worker.decorate = self._decorate
        self.worker.event_emitted.connect(self._on_event)
        self.worker.job_started.connect(self._on_job_started)
        self.worker.job_finished.connect(self._on_job_finished)
        self.worker.progress_changed.connect(self._on_progress)
        self.worker.busy_changed.connect(self._update_actions)

        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect_views()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._default_splitters = (self.splitter.saveState(), self.history.splitter.saveState())
        self.restore_layout()
        self._update_actions()
        if self.migrations_dir and self.url:
            self.set_connection(self.migrations_dir, self.url)

    # ------------------------------------------------------------------------------------------
    # construction

    def _build_central(self) -> None:
        self.migrations = MigrationsPane()
        self.graph = GraphView()
        self.graph.setObjectName("graph")
        self.history = HistoryPane()
        self.sql = SqlPane()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.graph, icon("graph"), "Graph")
        self.tabs.addTab(self.history, icon("history"), "History")
        self.tabs.addTab(self.sql, icon("sql"), "SQL")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("central_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.migrations)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([260, 400])
        self.migrations.setMinimumHeight(130)
        self.tabs.setMinimumHeight(200)
        self.setCentralWidget(self.splitter)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.log = LogPane()
        self.findings = FindingsPane()
        self.details = DetailsPane()
        self.log_dock = self._dock("Log", "log_dock", self.log, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.findings_dock = self._dock("Findings", "findings_dock", self.findings, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.log_dock, self.findings_dock)
        self.log_dock.raise_()
        self.details_dock = self._dock("Details", "details_dock", self.details, Qt.DockWidgetArea.RightDockWidgetArea)
        self.details.setMinimumWidth(220)
        self.log.setMinimumHeight(90)
        self.resizeDocks([self.details_dock], [290], Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [120], Qt.Orientation.Vertical)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

    def _action(self, name: str, text: str, slot: Callable, shortcut: Any = None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        a = QAction(text, self)
        a.setObjectName(name)
        if icon_name:
            a.setIcon(icon(icon_name))
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        label = text.replace("&", "").rstrip("…")
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        a.setToolTip(f"{tip or label}" + (f"  ({keys})" if keys else ""))
        a.setStatusTip(tip or label)
        a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        self.actions_by_name[name] = a
        return a

    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        A = self._action
        A("open", "&Open project…", self.open_connection_dialog, QKeySequence.StandardKey.Open, "open",
          "Open a migrations folder and a database")
        A("refresh", "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh, "refresh",
          "Read status and history from the database")
        A("validate", "&Validate", self.validate, "F7", "validate", "Check files, dependencies and state")
        A("deploy", "&Deploy…", self.open_deploy_dialog, "Ctrl+D", "deploy", "Apply pending migrations")
        A("rollback_to", "Roll &back to here…", lambda: self.open_rollback_dialog(self.selected_id, False),
          "Ctrl+Shift+Z", "rollback", "Undo everything newer than the selected migration")
        A("rollback_with_dependents", "Roll back this and its &dependents…",
          lambda: self.open_rollback_dialog(self.selected_id, True), "Ctrl+Shift+Del", "rollback-dependents",
          "Undo the selected migration and everything that depends on it")
        A("repair", "Re&pair…", lambda: self.open_repair_dialog(self.selected_id), "Ctrl+R", "repair",
          "Resolve a dirty, failed, drifted or missing migration")
        A("accept_history", "Accept tampered &history…", self.open_accept_history_dialog, None, "warning",
          "Accept history rows that were edited or lost outside Nexo, as they are, on record")
        A("backup", "&Backup", self.backup, "Ctrl+B", "backup", "Back up the database now")
        A("restore", "Res&tore…", self.open_restore_dialog, "Ctrl+Shift+B", "restore", "Restore a recorded backup")
        A("export", "&Export report…", self.open_export_dialog, "Ctrl+E", "export", "Export an audit report")
        A("cancel", "&Cancel", self.cancel, "Esc", "cancel", "Cancel the running operation")
        A("fit", "&Fit graph", self.graph.fit, "Ctrl+0", "fit", "Show the whole graph")
        A("find", "&Find migration", self._focus_search, QKeySequence.StandardKey.Find, "search")
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
        for n in ("open", "refresh", None, "export", None, "quit"):
            m.addSeparator() if n is None else m.addAction(a[n])
        m = mb.addMenu("&Database")
        for n in ("validate", "deploy", "rollback_to", "rollback_with_dependents", "repair", "accept_history", None,
                  "backup",
                  "restore", None, "cancel"):
            m.addSeparator() if n is None else m.addAction(a[n])
        m = mb.addMenu("&View")
        for n in ("view_graph", "view_history", "view_sql", None, "find", "fit", None):
            m.addSeparator() if n is None else m.addAction(a[n])
        for dock in (self.log_dock, self.findings_dock, self.details_dock):
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
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

    # ------------------------------------------------------------------------------------------
    # layout persistence

    def restore_layout(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)
        for key, splitter in (("window/splitter", self.splitter), ("window/history_splitter", self.history.splitter)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                splitter.restoreState(value)
                if splitter is self.splitter:
                    self._splitter_restored = True
        level = s.value("log/level")
        if isinstance(level, str):
            i = self.log.level_box.findData(level)
            if i >= 0:
                self.log.level_box.setCurrentIndex(i)

    def save_layout(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/history_splitter", self.history.splitter.saveState())
        s.setValue("log/level", self.log.level_box.currentData())
        s.sync()

    def fit_table_rows(self, max_rows: int = 10) -> None:
        """Give the migrations table room for its rows (up to ``max_rows``), the tabs the rest."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        rows = min(max(self.migrations.model.rowCount(), 4), max_rows)
        header = self.migrations.view.horizontalHeader().height() or 24
        bar = self.migrations.search.sizeHint().height() + 10
        want = bar + header + rows * self.migrations.view.verticalHeader().defaultSectionSize() + 6
        want = min(want, int(total * 0.55))
        self.splitter.setSizes([want, total - want])

    def reset_layout(self) -> None:
        for dock in (self.log_dock, self.findings_dock, self.details_dock):
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self.splitter.restoreState(self._default_splitters[0])
        self.history.splitter.restoreState(self._default_splitters[1])
        self.fit_table_rows()
        self.log_dock.raise_()
        self.save_layout()

    # ------------------------------------------------------------------------------------------
    # connection and refresh

    def set_connection(self, migrations_dir: Path, url: str) -> None:
        from ..core.db import redact

        self.migrations_dir, self.url = Path(migrations_dir), url
        self.worker.set_connection(url, self.migrations_dir)
        self.setWindowTitle(f"{self.migrations_dir.name} — {redact(url)} — {APP_NAME}")
        self.conn_label.setText(f"● {redact(url)}")
        self.conn_label.setToolTip(f"Project: {self.migrations_dir}\nDatabase: {redact(url)}")
        self.selected_id = None
        self._graph_key = None
        self.log_message("info", f"opened {self.migrations_dir} on {redact(url)}")
        self.refresh()

    def _decorate(self, loaded: Loaded) -> None:
        """Worker thread: graph layout, hash-chain verdict, project config (no Qt widgets here)."""
        from PySide6.QtGui import QFont, QFontMetricsF

        from ..core.state.chain import verify_chain
        from .graph_view import graph_edges, layered_layout

        nodes, edges = graph_edges(loaded.project, loaded.snapshot)
        loaded.extra["graph_key"] = (tuple(nodes), tuple(sorted(edges)))
        font = QFont(self._graph_font)
        font.setBold(True)
        fm = QFontMetricsF(font)
        names = [s.name for s in loaded.snapshot.states]
        width = min(max(max((fm.horizontalAdvance(n) for n in names), default=0.0) + 46, 168.0), 260.0)
        loaded.extra["layout"] = layered_layout(nodes, edges, node_width=width)
        loaded.extra["verdict"] = verdict = verify_chain(h.__dict__ for h in loaded.history)
        loaded.extra["chain_findings"] = tuple(chain_findings(verdict))
        from .timeline_view import TimelineData

        loaded.extra["timeline"] = TimelineData.from_rows(loaded.history)
        if self.migrations_dir is not None:
            loaded.extra["config"] = _project_config(loaded.project.directory)

    def refresh(self) -> bool:
        if not self.url or not self.migrations_dir:
            return False
        self._graph_font = self.graph.font()
        return self._submit(Job("refresh", lambda ctx: None, label="Refreshing"))

    async def refresh_async(self) -> JobOutcome:
        """``await window.refresh_async()`` (qasync): the views are up to date when it returns."""
        self._graph_font = self.graph.font()
        outcome = await self.worker.run(Job("refresh", lambda ctx: None, label="Refreshing"))
        return outcome

    def apply_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.project, self.snapshot = loaded.project, loaded.snapshot
        snap = loaded.snapshot
        self.migrations.set_snapshot(snap)
        key = loaded.extra.get("graph_key")
        if key is None or key != self._graph_key:
            if len(snap.states) > ASYNC_GRAPH_NODES:
                # big graphs are built in slices so the GUI thread never stalls
                self.graph.set_data_async(loaded.project, snap, loaded.extra.get("layout"))
            else:
                self.graph.set_data(loaded.project, snap, loaded.extra.get("layout"))
            self._graph_key = key
        else:
            self.graph.update_statuses(snap)
        self.history.set_rows(loaded.history, loaded.extra.get("timeline"))
        chain = tuple(f for f in loaded.extra.get("chain_findings", ()) if f not in snap.findings)  # status has them
        self.findings.set_findings(snap.findings + chain)
        if not self._splitter_restored:
            self._splitter_restored = True
            self.fit_table_rows()
        self.sql.set_context(loaded.project, snap.dialect)
        self._update_status_bar()
        if self.selected_id not in snap.by_id:
            self.selected_id = None
        if self.selected_id:
            self.select_migration(self.selected_id, "refresh")
        elif not self.sql.migration_id:
            self.details.show_hint()
        self._update_actions()
        self.refreshed.emit()

    def _update_status_bar(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        snap = loaded.snapshot
        if loaded.connected:
            self.conn_label.setText(f"<span style='color:{STATUS_COLOURS['applied']}'>●</span> {html.escape(loaded.display_url)}")
            self.dialect_label.setText(loaded.server_version or loaded.dialect)
        else:
            self.conn_label.setText(f"<span style='color:{STATUS_COLOURS['failed']}'>●</span> "
                                    f"{html.escape(loaded.display_url)} — not connected: {html.escape(loaded.error or '')}")
            self.dialect_label.setText(loaded.dialect)
        self.version_label.setText(f"Schema {snap.schema_version or '—'}")
        pending = len(snap.with_status("pending", "failed"))
        problems = len(snap.with_status(*BLOCKING, "missing"))
        text = f"{pending} pending"
        if problems:
            text += f" · <span style='color:{STATUS_COLOURS['failed']}'>{problems} need repair</span>"
        if self.history_tampered():
            text += f" · <span style='color:{STATUS_COLOURS['failed']}'>history tampered</span>"
        self.pending_label.setText(text)
        if not self.worker.busy:
            self._set_idle_label()

    def _set_idle_label(self) -> None:
        holder = self.loaded.lock_holder if self.loaded else None
        if holder:
            self.busy_label.setText(f"🔒 Locked by {holder}")
            self.busy_label.setToolTip("Another operation holds the database lock")
        else:
            self.busy_label.setText("Idle · unlocked")
            self.busy_label.setToolTip("No operation holds the database lock")

    # ------------------------------------------------------------------------------------------
    # selection

    def select_migration(self, migration_id: str | None, source: str = "") -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.selected_id = migration_id
            if source != "table":
                self.migrations.select(migration_id)
            if source != "graph":
                self.graph.select(migration_id, centre=source != "refresh")
            if source != "finding":
                self.sql.show_migration(migration_id, keep_part=source == "refresh")
            self.details.show_migration(self.project, self.snapshot, migration_id)
        finally:
            self._syncing = False
        self._update_actions()

    def _activate(self, migration_id: str) -> None:
        self.select_migration(migration_id, "activate")
        self.tabs.setCurrentIndex(TAB_SQL)

    def _event_selected(self, h: HistoryRow) -> None:
        self.details.show_event(h, self.loaded.extra.get("verdict") if self.loaded else None)
        self.details_dock.raise_()

    def open_finding(self, finding) -> None:
        mid = next((i for i in finding.ids if self.snapshot and i in self.snapshot.by_id), None)
        if mid:
            self.select_migration(mid, "finding")
        self.sql.show_file_line(finding.path, finding.line, mid)
        self.tabs.setCurrentIndex(TAB_SQL)

    def _focus_search(self) -> None:
        self.migrations.search.setFocus()
        self.migrations.search.selectAll()

    def context_menu_for(self, migration_id: str) -> QMenu:
        """The menu of a graph node or table row (built, not shown: tests use it directly)."""
        self.select_migration(migration_id, "menu")
        st = self.snapshot.by_id.get(migration_id) if self.snapshot else None
        menu = QMenu(self)
        menu.setObjectName("migration_menu")
        busy = self.worker.busy
        applied = bool(st and st.is_applied)
        a = menu.addAction(icon("rollback"), "Roll back to here…",
                           lambda: self.open_rollback_dialog(migration_id, False))
        a.setObjectName("menu_rollback_to")
        a.setEnabled(applied and not busy)
        b = menu.addAction(icon("rollback-dependents"), "Roll back this and its dependents…",
                           lambda: self.open_rollback_dialog(migration_id, True))
        b.setObjectName("menu_rollback_with_dependents")
        b.setEnabled(applied and not busy)
        c = menu.addAction(icon("deploy"), "Deploy up to here…", lambda: self.open_deploy_dialog(migration_id))
        c.setObjectName("menu_deploy_to")
        c.setEnabled(bool(st and st.status in ("pending", "failed")) and not busy)
        d = menu.addAction(icon("repair"), "Repair…", lambda: self.open_repair_dialog(migration_id))
        d.setObjectName("menu_repair")
        d.setEnabled(bool(st and st.status in REPAIRS) and not busy)
        menu.addSeparator()
        menu.addAction(icon("sql"), "Show SQL", lambda: self._activate(migration_id))
        menu.addAction(icon("copy"), "Copy id", lambda: QGuiApplication.clipboard().setText(migration_id))
        return menu

    def show_context_menu(self, migration_id: str, pos: QPoint) -> None:
        menu = self.context_menu_for(migration_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_menu = menu
        menu.popup(pos)

    # ------------------------------------------------------------------------------------------
    # operations

    def _submit(self, job: Job) -> bool:
        if not self.worker.submit(job):
            self.statusBar().showMessage("Another operation is running.", 4000)
            return False
        return True

    def _deploy_defaults(self) -> DeploySettings:
        cfg = self.loaded.extra.get("config") if self.loaded else None
        return cfg.deploy if cfg is not None else DeploySettings()

    def _show_dialog(self, dialog: QWidget, on_accept: Callable[[], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _r: setattr(self, "active_dialog", None))
        self.active_dialog = dialog
        dialog.open()

    def _ready(self) -> bool:
        if self.worker.busy:
            self.statusBar().showMessage("Another operation is running.", 4000)
            return False
        if self.project is None or self.snapshot is None:
            self.statusBar().showMessage("Open a project first.", 4000)
            return False
        return True

    def open_connection_dialog(self) -> None:
        dialog = ConnectionDialog(self.worker, self.migrations_dir, self.url, parent=self)

        def opened() -> None:
            self.set_connection(dialog.result_dir, dialog.result_url)
            if dialog.keyring_message:
                self.log_message("warning", dialog.keyring_message)
                self.show_info("Password not saved", dialog.keyring_message)

        self._show_dialog(dialog, opened)

    def validate(self) -> None:
        def done(outcome: JobOutcome) -> None:
            self.findings_dock.show()
            self.findings_dock.raise_()
            if self.snapshot is not None:
                e, w = len(self.snapshot.errors), len(self.snapshot.warnings)
                self.log_message("error" if e else "info", f"validate: {e} error(s), {w} warning(s)")

        if self._submit(Job("validate", lambda ctx: None, label="Validating")):
            self._after["validate"] = done

    def open_deploy_dialog(self, target_id: str | None = None) -> None:
        if not self._ready():
            return
        dialog = DeployDialog(self.worker, self.project, self.snapshot, self._deploy_defaults(), target_id, self)
        self._show_dialog(dialog, lambda: self.deploy(dialog.options()))

    def deploy(self, opts) -> bool:
        from ..core.config import default_backup_dir
        from ..core.pipeline import deploy

        cfg = self.loaded.extra.get("config") if self.loaded else None
        if cfg is not None:
            opts.checks = cfg.deploy.checks
            opts.backup_dir = cfg.deploy.backup_dir

        def run(ctx):
            if opts.backup_dir is None:
                opts.backup_dir = default_backup_dir(ctx.target.url)
            return deploy(ctx.project, ctx.target, opts, ctx.cancel)

        return self._submit(Job("deploy", run, label="Deploying"))

    def open_rollback_dialog(self, migration_id: str | None, with_dependents: bool) -> None:
        if not migration_id or not self._ready():
            if not migration_id:
                self.statusBar().showMessage("Select an applied migration first.", 4000)
            return
        dialog = RollbackDialog(self.project, self.snapshot, migration_id, with_dependents, self)
        self._show_dialog(dialog, lambda: self.rollback(dialog.options()))

    def rollback(self, opts) -> bool:
        from ..core.pipeline import rollback

        return self._submit(Job("rollback", lambda ctx: rollback(ctx.project, ctx.target, opts, ctx.cancel),
                                label="Rolling back"))

    def open_repair_dialog(self, migration_id: str | None) -> None:
        if not self._ready():
            return
        dialog = RepairDialog(self.snapshot, migration_id, self)
        if not dialog.candidates:
            dialog.deleteLater()
            self.statusBar().showMessage("Nothing needs repair: no dirty, failed, drifted or missing migration.", 5000)
            return

        def go() -> None:
            choice = dialog.choice()
            if choice:
                self.repair(*choice)

        self._show_dialog(dialog, go)

    def repair(self, migration_id: str, kwargs: dict) -> bool:
        from ..core.operations import repair

        return self._submit(Job("repair", lambda ctx: repair(ctx.project, ctx.target, migration_id, **kwargs),
                                label="Repairing"))

    def history_tampered(self) -> bool:
        """The last refresh found history rows that break the hash chain, or lost rows/tables."""
        if self.loaded is None:
            return False
        verdict = self.loaded.extra.get("verdict")
        return bool(self.loaded.snapshot.tampered_tables or (verdict is not None and not verdict.ok))

    def open_accept_history_dialog(self) -> None:
        """Read what would be accepted (worker), show it for confirmation, then accept exactly that."""
        from ..core.operations import history_problems
        from ..core.state.store import operator_and_host

        if not self._ready():
            return

        def checked(outcome: JobOutcome) -> None:
            if outcome.error is not None:
                self.show_error("Accept history", f"Cannot read the history: {outcome.error}")
                return
            if not outcome.result:
                self.show_info("Accept history", "Nothing to accept: the history chain verifies and the state "
                                                 "tables are consistent.")
                return
            dialog = AcceptHistoryDialog(outcome.result, self.loaded.display_url if self.loaded else "",
                                         "@".join(operator_and_host()), self)
            self._show_dialog(dialog, lambda: self.accept_history(dialog.problems))

        if self._submit(Job("history-problems", lambda ctx: history_problems(ctx.target), refresh=False,
                            needs_project=False, label="Checking the history")):
            self._after["history-problems"] = checked

    def accept_history(self, problems) -> bool:
        """``repair --accept-history`` for exactly ``problems`` (what the user confirmed)."""
        from ..core.operations import repair

        return self._submit(Job("repair", lambda ctx: repair(ctx.project, ctx.target, None, accept_history=True,
                                                             expect=problems),
                                label="Accepting the history"))

    def backup(self) -> bool:
        from ..core.backups import backup
        from ..core.config import default_backup_dir

        if not self._ready():
            return False
        cfg = self.loaded.extra.get("config") if self.loaded else None
        backup_dir = cfg.deploy.backup_dir if cfg is not None else None
        return self._submit(Job("backup", lambda ctx: backup(ctx.target, backup_dir=backup_dir or default_backup_dir(ctx.target.url),
                                                             cancel=ctx.cancel), label="Backing up"))

    def open_restore_dialog(self) -> None:
        from ..core.backups import list_backups

        if not self._ready():
            return

        def listed(outcome: JobOutcome) -> None:
            if outcome.error is not None:
                self.show_error("Restore", f"Cannot list backups: {outcome.error}")
                return
            if not outcome.result:
                self.show_info("Restore", "No backup of this database is recorded yet. Use Backup (Ctrl+B) first.")
                return
            dialog = RestoreDialog(outcome.result, self.loaded.display_url if self.loaded else "", self)
            self._show_dialog(dialog, lambda: self.restore(Path(dialog.selected()["path"])))

        if self._submit(Job("list-backups", lambda ctx: list_backups(ctx.target), refresh=False,
                            needs_project=False, label="Listing backups")):
            self._after["list-backups"] = listed

    def restore(self, path: Path) -> bool:
        from ..core.backups import restore

        return self._submit(Job("restore", lambda ctx: restore(ctx.target, path, cancel=ctx.cancel), label="Restoring"))

    def open_export_dialog(self) -> None:
        if self.project is None:
            return
        dialog = ExportDialog(self.worker, Path.home(), self)
        self._show_dialog(dialog, lambda: None)

    def cancel(self) -> None:
        if self.worker.busy:
            self.worker.cancel()
            self.busy_label.setText("Cancelling…")
            self.log_message("warning", "cancel requested: stopping after the current statement")

    # ------------------------------------------------------------------------------------------
    # worker events

    def _on_job_started(self, name: str) -> None:
        job = self.worker.current
        label = job.label if job and job.label else name
        self.busy_label.setText(f"{label}…")
        self.busy_label.setToolTip("")
        if name not in ("refresh", "test-connection", "deploy-preview", "export-preview", "list-backups",
                        "history-problems"):
            self.log_message("info", f"{name} started")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(name in ("deploy", "rollback", "backup", "restore"))

    def _on_progress(self, index: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(index)
            self.progress.setFormat("%v / %m")

    def _on_event(self, event: ev.Event) -> None:
        entry = self._log_entry(event)
        if entry is not None:
            self.log.append([entry])
        if isinstance(event, ev.MigrationStarted) and event.action != "verify":
            job = self.worker.current
            label = job.label if job and job.label else "Working"
            self.busy_label.setText(f"{label}: {event.migration_id}")
        if isinstance(event, ev.MigrationFinished):
            status = {("apply", "ok"): "applied", ("rollback", "ok"): "pending",
                      ("apply", "failed"): "failed"}.get((event.action, event.status))
            if status:
                self.migrations.model.set_status(event.migration_id, status)
                node = self.graph.nodes.get(event.migration_id)
                if node is not None:
                    node.set_status(status)

    def _log_entry(self, event: ev.Event) -> LogEntry | None:
        now = datetime.now(timezone.utc).astimezone()
        if isinstance(event, ev.StatementExecuted):
            return LogEntry(now, "debug", event.migration_id, f"{event.action} line {event.line}: {event.sql.strip()}"
                            f"  ({event.duration_ms:.0f} ms)")
        if isinstance(event, ev.StageStarted):
            return LogEntry(now, "info", "nexo", f"{event.stage}: started" + (f" — {event.detail}" if event.detail else ""))
        if isinstance(event, ev.StageFinished):
            level = {"failed": "error", "cancelled": "warning"}.get(event.status, "info")
            return LogEntry(now, level, "nexo", f"{event.stage}: {event.status} ({event.duration_ms} ms)"
                            + (f" — {event.detail}" if event.detail else ""))
        if isinstance(event, ev.MigrationStarted):
            where = f" ({event.index}/{event.total})" if event.total else ""
            return LogEntry(now, "info", event.migration_id, f"{event.action}{where} …")
        if isinstance(event, ev.MigrationFinished):
            if event.status == "ok":
                return LogEntry(now, "info", event.migration_id, f"{event.action} ok ({event.duration_ms} ms)")
            text = f"{event.action} {event.status}: {event.error or ''}"
            if event.statement:
                text += f"\nstatement (line {event.line}): {event.statement}"
            return LogEntry(now, "error" if event.status == "failed" else "warning", event.migration_id, text)
        if isinstance(event, ev.BackupCreated):
            return LogEntry(now, "info", "nexo", f"backup written: {event.path} ({event.size:,} bytes, sha256 {event.sha256[:12]}…)")
        if isinstance(event, ev.Log):
            return LogEntry(now, event.level if event.level in ("debug", "info", "warning", "error") else "info",
                            "nexo", event.message)
        return None

    def log_message(self, level: str, message: str, source: str = "nexo") -> None:
        self.log.append([LogEntry(datetime.now(timezone.utc).astimezone(), level, source, message)])

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if outcome.loaded is not None:
            self.apply_loaded(outcome.loaded)
            if not outcome.loaded.connected:
                self.log_message("error", f"cannot read the database: {outcome.loaded.error}")
        if not self.worker.busy:
            self._set_idle_label()
        self._report(outcome)
        handler = self._after.pop(outcome.name, None)
        if handler is not None:
            handler(outcome)
        self._update_actions()
        self.operation_finished.emit(outcome)

    def _report(self, outcome: JobOutcome) -> None:
        from ..core.db import redact

        name = outcome.name
        if name in ("refresh", "validate", "test-connection", "deploy-preview", "export-preview", "list-backups", "export",
                    "history-problems"):
            if outcome.error is not None and name in ("refresh", "validate"):
                self.log_message("error", f"{name} failed: {redact(str(outcome.error))}")
            return
        title = {"deploy": "Deploy", "rollback": "Roll back", "repair": "Repair", "backup": "Backup",
                 "restore": "Restore"}.get(name, name)
        if outcome.error is not None:
            text = redact(str(getattr(outcome.error, "orig", None) or outcome.error))
            if outcome.cancelled:
                self.log_message("warning", f"{name} cancelled")
                self.statusBar().showMessage(f"{title} cancelled", 8000)
                return
            self.log_message("error", f"{name} failed: {text}")
            if outcome.traceback:
                self.log_message("debug", outcome.traceback)
            self.show_error(title, text)
            return
        result = outcome.result
        message = getattr(result, "message", None)
        if name == "backup":
            message = f"backup written: {result}"
        elif name == "restore":
            message = "restore finished"
        elif name == "repair" and result.action == "accept-history":
            message = f"history accepted: recorded in the history as seq {result.seq}"
        elif name == "repair":
            message = f"{result.migration_id}: {result.before} → {result.after}"
        ok = getattr(result, "ok", True)
        if not ok:
            level = "warning" if outcome.cancelled else "error"
            for line in (message or "").splitlines() or [f"{name} failed"]:
                self.log_message(level, line)
            if outcome.cancelled:
                self.statusBar().showMessage(f"{title} cancelled: {message}", 10000)
            else:
                self.show_error(title, message or f"{name} failed")
        else:
            self.log_message("info", message or f"{name} done")
            self.statusBar().showMessage(message or f"{title} done", 8000)

    def show_error(self, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Critical, title, text)

    def show_info(self, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Information, title, text)

    def _message(self, kind, title: str, text: str) -> None:
        if self.quiet:
            return
        box = QMessageBox(kind, title, text.splitlines()[0] if text else title, QMessageBox.StandardButton.Ok, self)
        if text and "\n" in text:
            box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_message = box
        box.finished.connect(lambda _r: setattr(self, "last_message", None))
        box.open()

    def _update_actions(self, *_args) -> None:
        busy = self.worker.busy
        has = self.snapshot is not None
        st = self.snapshot.by_id.get(self.selected_id) if (has and self.selected_id) else None
        a = self.actions_by_name
        pending = bool(has and self.snapshot.with_status("pending", "failed"))
        a["refresh"].setEnabled(not busy and bool(self.url))
        a["validate"].setEnabled(not busy and bool(self.url))
        a["deploy"].setEnabled(not busy and pending)
        a["rollback_to"].setEnabled(not busy and bool(st and st.is_applied))
        a["rollback_with_dependents"].setEnabled(not busy and bool(st and st.is_applied))
        a["repair"].setEnabled(not busy and bool(has and self.snapshot.with_status(*REPAIRS)))
        tampered = self.history_tampered()
        a["accept_history"].setEnabled(not busy and tampered)
        self.accept_history_tool.setVisible(tampered)
        a["backup"].setEnabled(not busy and has)
        a["restore"].setEnabled(not busy and has)
        a["export"].setEnabled(not busy and has)
        a["open"].setEnabled(not busy)
        a["cancel"].setEnabled(busy)

    def _about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>Versioned database schema migrations for DBAs.</p>"
                          f"<p>Qt {qt_version()} · Python {_python_version()}</p>")

    # ------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.worker.busy:
            self.worker.cancel()
            self.worker.wait_idle(60000)
            QApplication.processEvents()
        self.save_layout()
        super().closeEvent(event)


def _separator() -> QWidget:
    from PySide6.QtWidgets import QFrame

    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    line.setFixedHeight(16)
    return line


def qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()


def _python_version() -> str:
    import platform

    return platform.python_version()
