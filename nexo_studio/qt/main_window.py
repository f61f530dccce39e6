"""The main window: wires panels, the graph, the worker and the operations together.

Layout: a toolbar; in the centre a splitter with the migrations table above a tab area (Graph,
History, SQL); docks for the log, the validation findings (bottom) and details (right). The
dock layout and splitters are saved per user (QSettings) and View → Reset layout restores the
defaults. Every database call is a :class:`~nexo_studio.qt.worker.Job` awaited by the user
action's coroutine (window/operations.py); when one finishes, the worker has already re-read
status and history and the window replaces every view's snapshot.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWidget

from ..core.project import BLOCKING, Project, Snapshot
from ..app.types import HistoryRow
from .dialogs import REPAIRS
from .palette import STATUS_COLOURS
from .theme import app_icon, icon
from .window import APP_NAME, LAYOUT_VERSION, TAB_GRAPH, TAB_HISTORY, TAB_SQL, VIEWS, settings  # noqa: F401 (re-exported)
from .drift.window import WindowDrift
from .adopt.window import WindowAdopt
from .window.abort import WindowAbort
from .window.actions import WindowActions
from .window.feedback import WindowFeedback
from .window.layout import WindowLayout
from .window.operations import WindowOperations
from .window.project_ops import WindowProjectOperations
from .window.themes import WindowThemes
from .window.unreachable import WindowUnreachable, unknown_snapshot
from ..app.foreign_view import last_applied
from .worker import Loaded, Worker

#: above this many migrations the graph scene is built in slices (GraphView.set_data_async)
ASYNC_GRAPH_NODES = 300


class MainWindow(WindowLayout, WindowActions, WindowOperations, WindowProjectOperations, WindowFeedback, WindowUnreachable,
                 WindowAbort, WindowThemes, WindowAdopt, WindowDrift, QMainWindow):
    """The window; its parts are the mixins in :mod:`nexo_studio.qt.window`."""

    #: a refresh from the database has been applied to every view
    refreshed = Signal()
    #: an operation ended (after the views were refreshed): JobOutcome
    operation_finished = Signal(object)

    def __init__(self, migrations_dir: Path | None = None, url: str | None = None) -> None:
        super().__init__()
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
        self._init_feedback()
        self.worker.event_emitted.connect(self._on_event)
        self.worker.job_started.connect(self._on_job_started)
        self.worker.job_finished.connect(self._on_job_finished)
        self.worker.progress_changed.connect(self._on_progress)
        self.worker.busy_changed.connect(self._update_actions)
        self._init_abort()
        self.worker.job_started.connect(self._reset_run)
        self.worker.event_emitted.connect(self._track_run)

        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._build_drift()
        self._connect_views()
        self._build_unreachable()
        self._build_adopt()  # File → Import from another tool…, the read-only --from mode
        self._graph_font = self.graph.font()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._default_splitters = (self.splitter.saveState(), self.history.splitter.saveState())
        self.restore_layout()
        self._update_actions()
        self._init_gc()
        from .window.first_frame import FirstFrame

        self.first_frame = FirstFrame(self)  # the first load starts after the first paint
        if self.migrations_dir and self.url:
            self.set_connection(self.migrations_dir, self.url)


    def _init_gc(self) -> None:
        """Freeze what start-up made; once a minute, while idle, reclaim what the frozen objects
        left in cycles (``gc_policy``: no long collector pass during a load or a deploy)."""
        from PySide6.QtCore import QTimer

        from . import gc_policy

        gc_policy.settle()
        self._gc_timer = QTimer(self)
        self._gc_timer.setInterval(60_000)
        self._gc_timer.timeout.connect(lambda: self.worker.busy or self.graph.building or gc_policy.reclaim())
        self._gc_timer.start()

    def closeEvent(self, event) -> None:  # noqa: ANN001 - QCloseEvent
        super().closeEvent(event)  # WindowAbort may keep the window open to ask first
        if event.isAccepted():
            from . import gc_policy

            self._gc_timer.stop()
            gc_policy.release()

    # ------------------------------------------------------------------------------------------
    # connection and refresh

    def set_connection(self, migrations_dir: Path, url: str) -> None:
        from ..core.db import redact

        self.migrations_dir, self.url = Path(migrations_dir), url
        self.worker.set_connection(url, self.migrations_dir)
        sample = " (throwaway sample)" if self._show_sample_notice() else ""
        from .connections import project_label

        name = project_label(self.migrations_dir, getattr(self, "profile_name", None))
        self.setWindowTitle(f"{name} — {redact(url)}{sample} — {APP_NAME}")
        self.conn_label.setText(f"● {redact(url)}")
        self.conn_label.setToolTip(f"Project: {self.migrations_dir}\nDatabase: {redact(url)}")
        self.forget_state()
        tool = getattr(self, "read_only_tool", None)
        self.log_message("info", f"opened {redact(url)} as {tool} recorded it (read-only)" if tool
                         else f"opened {self.migrations_dir} on {redact(url)}")
        self.refresh()

    def forget_state(self) -> None:
        """Another project or database: every view starts empty and is rebuilt from the next
        snapshot; nothing (selection, filters, details, SQL, chain verdict) is carried over."""
        self.loaded = self.project = self.snapshot = None
        self.selected_id = None
        self._graph_key = None
        self.migrations.reset()
        self.history.reset()
        self.graph.select(None)
        self.sql.set_context(None, None)
        self.sql.show_migration(None)
        self.details.show_hint()
        self.findings.set_findings(())
        self.show_drift(None, connected=False)
        for label in (self.dialect_label, self.version_label, self.pending_label):
            label.clear()
        self._update_actions()

    def _decorate(self, loaded: Loaded) -> None:
        """Worker thread: everything the views need that costs time (no Qt widgets here): the
        table's records, graph layout, timeline data, lint. The hash-chain verdict comes with the
        status (``snapshot.chain``), as the CLI's does."""
        from PySide6.QtGui import QFont, QFontMetricsF

        from .graph import graph_edges, layered_layout, with_inputs
        from .models.state import state_record

        snap = loaded.snapshot
        loaded.extra["records"] = tuple(state_record(s, snap.dialect) for s in snap.states)
        nodes, edges = graph_edges(loaded.project, snap)
        loaded.extra["graph_key"] = (tuple(nodes), tuple(sorted(edges)))
        font = QFont(self._graph_font)
        font.setBold(True)
        fm = QFontMetricsF(font)
        names = [s.name for s in snap.states]
        width = min(max(max((fm.horizontalAdvance(n) for n in names), default=0.0) + 46, 168.0), 260.0)
        loaded.extra["layout"] = with_inputs(layered_layout(nodes, edges, node_width=width), loaded.project, nodes, edges)
        from .timeline import TimelineData

        loaded.extra["timeline"] = TimelineData.from_rows(loaded.history)
        from .models.risk import pending_lint

        loaded.extra["lint"] = pending_lint(loaded.project, snap)
        from .gc_policy import settle

        settle()

    def apply_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        if loaded.connected and getattr(self, "_opened_by_dialog", False):
            from .connections import remember_opened

            self._opened_by_dialog = False  # recents hold only connections that opened
            remember_opened(self.migrations_dir, self.url)
        # not read from the database: every status is unknown, never "pending"
        snap = loaded.snapshot if loaded.connected else unknown_snapshot(loaded.snapshot)
        self.project, self.snapshot = loaded.project, snap
        self._show_reachability()
        self.migrations.set_snapshot(snap, loaded.extra.get("records") if loaded.connected else None)
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
        self.history.set_rows(loaded.history, loaded.extra.get("timeline"),
                              {b.seq: b.reason for b in snap.chain_breaks})
        self._show_findings(snap, loaded.extra.get("lint", ()))
        self.apply_drift(loaded)
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
        if not loaded.connected:
            self.version_label.setText("Schema ?")
            self.pending_label.setText(f"<span style='color:{STATUS_COLOURS['failed']}'>cannot connect</span>")
            if not self.worker.busy:
                self._set_idle_label()
            return
        version = last_applied(snap) if getattr(self, "read_only_tool", None) else snap.schema_version
        self.version_label.setText(f"Schema {version or '—'}")
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

    def _show_findings(self, snap: Snapshot, lint) -> None:
        """The chain's breaks included, as in `nexo status`; and the pending ups' lint risks."""
        from .models.risk import as_findings, risk_badges, risk_levels

        self.findings.set_findings([*snap.findings, *as_findings(lint)], self.connected)
        self.migrations.model.set_risks(risk_levels(lint))
        self.graph.set_risks(risk_badges(lint))

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
            self.details.show_migration(self.project, self.snapshot, migration_id,
                                        self.loaded.history if self.loaded else ())
        finally:
            self._syncing = False
        self._update_actions()

    def _activate(self, migration_id: str) -> None:
        self.select_migration(migration_id, "activate")
        self.tabs.setCurrentIndex(TAB_SQL)

    def _event_selected(self, h: HistoryRow) -> None:
        self.details.show_event(h, self.loaded.snapshot.chain if self.loaded else None)
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
        busy = self.worker.busy or not self.connected or bool(self.read_only_tool)
        applied = bool(st and st.is_applied)
        a = menu.addAction(icon("rollback"), "Roll back to here…",
                           lambda: self.spawn(self.rollback(migration_id, False)))
        a.setObjectName("menu_rollback_to")
        a.setEnabled(applied and not busy)
        b = menu.addAction(icon("rollback-dependents"), "Roll back this and its dependents…",
                           lambda: self.spawn(self.rollback(migration_id, True)))
        b.setObjectName("menu_rollback_with_dependents")
        b.setEnabled(applied and not busy)
        c = menu.addAction(icon("deploy"), "Deploy up to here…", lambda: self.spawn(self.deploy(migration_id)))
        c.setObjectName("menu_deploy_to")
        c.setEnabled(bool(st and st.status in ("pending", "failed")) and not busy)
        d = menu.addAction(icon("repair"), "Repair…", lambda: self.spawn(self.repair(migration_id)))
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

    def _about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>Versioned database schema migrations for DBAs.</p>"
                          f"<p>Qt {qt_version()} · Python {_python_version()}</p>")

    # ------------------------------------------------------------------------------------------


def qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()


def _python_version() -> str:
    import platform

    return platform.python_version()
