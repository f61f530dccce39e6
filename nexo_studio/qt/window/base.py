"""What MainWindow's mixins share, declared once for the type checker.

Every mixin in :mod:`nexo_studio.qt.window` derives from :class:`WindowBase`. For mypy it is a
``QMainWindow`` that declares the attributes and the methods one mixin uses from another (or
from :class:`~nexo_studio.qt.main_window.MainWindow` itself); at run time it is an empty class,
so the mixins' MRO, and so the window's behaviour, is what it was: MainWindow still lists
``QMainWindow`` last and every declaration here is implemented by exactly one mixin or by
MainWindow (mypy checks each implementation against its declaration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Coroutine
    from pathlib import Path
    from typing import Any

    from PySide6.QtCore import QByteArray, QPoint, SignalInstance
    from PySide6.QtGui import QAction, QFont
    from PySide6.QtWidgets import (
        QDialog,
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

    from ...app.types import HistoryRow
    from ...core.project import Finding, Project, Snapshot
    from ..drift.view import DriftView
    from ..graph import GraphView
    from ..panels import DetailsPane, FindingsPane, HistoryPane, LogPane, MigrationsPane, SqlPane
    from ..worker import Job, JobOutcome, Loaded, Worker
    from .notice import CompletionNotice

    _Window = QMainWindow
else:
    _Window = object


class WindowBase(_Window):
    """The main window as its mixins see it (declarations only; see the module's docstring)."""

    # -- MainWindow.__init__ -------------------------------------------------------------------
    quiet: bool
    migrations_dir: Path | None
    url: str | None
    loaded: Loaded | None
    project: Project | None
    snapshot: Snapshot | None
    selected_id: str | None
    active_dialog: QWidget | None
    last_message: QMessageBox | None
    worker: Worker
    _graph_key: tuple | None
    _graph_font: QFont
    _splitter_restored: bool
    _default_state: QByteArray
    _default_splitters: tuple[QByteArray, QByteArray]
    #: set by File → Open project (WindowOperations.open_project); read with getattr before
    profile_name: str | None
    _opened_by_dialog: bool
    #: set by WindowProduction.apply_look
    production: bool

    # -- WindowLayout --------------------------------------------------------------------------
    migrations: MigrationsPane
    graph: GraphView
    history: HistoryPane
    sql: SqlPane
    tabs: QTabWidget
    splitter: QSplitter
    connection_banner: QLabel
    sample_banner: QLabel
    notice: CompletionNotice
    log: LogPane
    findings: FindingsPane
    details: DetailsPane
    log_dock: QDockWidget
    findings_dock: QDockWidget
    details_dock: QDockWidget

    # -- WindowDrift ---------------------------------------------------------------------------
    drift_view: DriftView
    drift_button: QToolButton

    # -- WindowActions -------------------------------------------------------------------------
    actions_by_name: dict[str, QAction]
    accept_history_tool: QAction
    toolbar: QToolBar
    conn_label: QLabel
    dialect_label: QLabel
    version_label: QLabel
    pending_label: QLabel
    busy_label: QLabel
    progress: QProgressBar
    cancel_button: QToolButton

    if TYPE_CHECKING:
        # MainWindow's signals (class attributes there), as an instance sees them
        refreshed: SignalInstance
        operation_finished: SignalInstance

        # -- MainWindow ------------------------------------------------------------------------
        def set_connection(self, migrations_dir: Path, url: str) -> None: ...
        def apply_loaded(self, loaded: Loaded) -> None: ...
        def select_migration(self, migration_id: str | None, source: str = "") -> None: ...
        def show_context_menu(self, migration_id: str, pos: QPoint) -> None: ...
        def open_finding(self, finding: Finding) -> None: ...
        def _activate(self, migration_id: str) -> None: ...
        def _event_selected(self, h: HistoryRow) -> None: ...
        def _focus_search(self) -> None: ...
        def _set_idle_label(self) -> None: ...
        def _about(self) -> None: ...

        # -- WindowLayout ----------------------------------------------------------------------
        def save_layout(self) -> None: ...
        def reset_layout(self) -> None: ...

        # -- WindowActions ---------------------------------------------------------------------
        def _update_actions(self, *_args: object) -> None: ...
        def _action(self, name: str, text: str, slot: Callable, shortcut: Any = None,
                    icon_name: str | None = None, tip: str = "") -> QAction: ...

        # -- WindowAdopt (qt/adopt/window.py) ----------------------------------------------------
        read_only_tool: str | None
        def _lock_read_only(self) -> None: ...
        def leave_read_only(self) -> None: ...

        # -- WindowOperations ------------------------------------------------------------------
        def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task: ...
        def trigger(self, slot: Callable[[], object]) -> None: ...
        async def _job(self, job: Job) -> JobOutcome | None: ...
        async def _dialog(self, dialog: QDialog) -> bool: ...
        def _ready(self) -> tuple[Project, Snapshot] | None: ...
        def refresh(self) -> bool: ...
        async def refresh_async(self) -> JobOutcome | None: ...
        def history_tampered(self) -> bool: ...
        async def open_project(self) -> None: ...
        async def validate(self) -> JobOutcome | None: ...
        async def deploy(self, target_id: str | None = None) -> JobOutcome | None: ...
        async def rollback(self, migration_id: str | None, with_dependents: bool) -> JobOutcome | None: ...
        async def repair(self, migration_id: str | None = None) -> JobOutcome | None: ...
        async def accept_history(self) -> JobOutcome | None: ...
        async def backup(self) -> JobOutcome | None: ...
        async def restore(self) -> JobOutcome | None: ...
        async def export(self) -> None: ...

        # -- WindowProjectOperations -----------------------------------------------------------
        async def new_migration(self) -> Path | None: ...
        async def baseline(self) -> JobOutcome | None: ...
        async def export_dot(self) -> Path | None: ...

        # -- WindowFeedback --------------------------------------------------------------------
        def log_message(self, level: str, message: str, source: str = "nexo") -> None: ...
        async def _finish(self, title: str, outcome: JobOutcome | None) -> JobOutcome | None: ...
        def show_error(self, title: str, text: str) -> None: ...
        def show_info(self, title: str, text: str) -> None: ...

        # -- WindowThemes ----------------------------------------------------------------------
        def _build_theme_menu(self, view_menu: QMenu) -> None: ...

        # -- WindowAbort -----------------------------------------------------------------------
        async def cancel(self) -> None: ...

        # -- WindowDrift (qt/drift/window.py) --------------------------------------------------
        @property
        def drift(self) -> Any: ...
        def show_drift_view(self) -> None: ...
        def show_drift(self, verdict: Any, connected: bool = True) -> None: ...
        def apply_drift(self, loaded: Loaded) -> None: ...
        def _build_drift(self) -> None: ...
        async def accept_schema(self) -> JobOutcome | None: ...

        # -- WindowUnreachable -----------------------------------------------------------------
        @property
        def connected(self) -> bool: ...
