"""The window's layout: the central splitter and tabs, the docks, and their saved state
(QSettings per user; View → Reset layout restores the defaults)."""

from __future__ import annotations


from PySide6.QtCore import QByteArray, QPoint, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..graph import GraphView
from ..panels import DetailsPane, FindingsPane, HistoryPane, LogPane, MigrationsPane, SqlPane
from ..theme import icon
from . import LAYOUT_VERSION, TAB_HISTORY, settings
from .base import WindowBase


class WindowLayout(WindowBase):
    """Central widgets, docks and layout persistence; a mixin of MainWindow."""

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
        # the table keeps the height fit_table_rows gave it; the tabs take or give what changes
        # (a window resize, the completion notice or connection banner appearing)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 400])
        self.migrations.setMinimumHeight(130)
        self.tabs.setMinimumHeight(200)
        from .notice import CompletionNotice
        from .unreachable import connection_banner, sample_banner

        self.connection_banner = connection_banner()
        self.sample_banner = sample_banner()
        self.notice = CompletionNotice()
        self.notice.history_button.clicked.connect(self.show_latest_history)
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.sample_banner)
        box.addWidget(self.connection_banner)
        box.addWidget(self.notice)
        box.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def show_latest_history(self) -> None:
        """The History tab with the newest event selected (the completion notice's link)."""
        self.tabs.setCurrentIndex(TAB_HISTORY)
        model = self.history.model
        newest = max((h.seq for h in model.all_rows()), default=None)
        if newest is not None:
            for box in (self.history.action_box, self.history.status_box):
                box.setCurrentIndex(0)
            self.history.migration_edit.clear()
            row = model.row_of_seq(newest)
            if row is not None:
                self.history.view.selectRow(row)

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
        self.resizeDocks([self.details_dock], [290], Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [160], Qt.Orientation.Vertical)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

    def restore_layout(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:  # a first start: most of the screen, not Qt's default of two thirds
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                area = screen.availableGeometry()
                size = first_size(area.size()).expandedTo(self.minimumSize())
                self.resize(size)
                self.move(area.center() - QPoint(size.width() // 2, size.height() // 2))
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
        want = min(want, int(total * 0.6))
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


#: the first window: this share of the screen, up to MAX_FIRST
FIRST_SHARE = 0.9
MAX_FIRST = QSize(1680, 1050)


def first_size(available: QSize) -> QSize:
    """The window's size on a first start (no saved geometry) for a screen of ``available``."""
    return QSize(int(available.width() * FIRST_SHARE), int(available.height() * FIRST_SHARE)).boundedTo(MAX_FIRST)
