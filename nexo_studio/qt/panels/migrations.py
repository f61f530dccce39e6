"""The migrations table with its search field and status filter."""

from __future__ import annotations


from PySide6.QtCore import QEvent, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Snapshot
from ..models import ID_ROLE, StateFilterProxy, StateTableModel
from ..models.state import StateRecord
from ..palette import STATUS_COLOURS, STATUS_LABELS
from ..theme import icon
from .common import _table


STATUS_FILTERS = (
    ("All statuses", None),
    ("Pending", ("pending",)),
    ("Applied", ("applied",)),
    ("Needs attention", ("failed", "dirty", "drifted", "missing")),
)


class MigrationsPane(QWidget):
    """Search box + status filter over the state table."""

    migration_selected = Signal(str)
    context_menu_requested = Signal(str, QPoint)
    migration_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = StateTableModel(self)
        self.proxy = StateFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        title = QLabel("<b>Migrations</b>")
        bar.addWidget(title)
        self.count_label = QLabel()
        self.count_label.setObjectName("counts")
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Filter by id or description  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(self.proxy.set_search)
        bar.addWidget(self.search)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status_filter")
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, statuses)
        self.status_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_statuses(self.status_filter.currentData()))
        bar.addWidget(self.status_filter)
        layout.addLayout(bar)
        self.view = _table(QTableView())
        self.view.setObjectName("state_table")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # apply order until the user sorts
        self.view.setIconSize(QSize(16, 16))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.installEventFilter(self)  # the keyboard's menu key: see eventFilter
        self.view.doubleClicked.connect(lambda i: self.migration_activated.emit(i.data(ID_ROLE)))
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        hh = self.view.horizontalHeader()
        widths = {StateTableModel.STATUS: 100, StateTableModel.VERSION: 136, StateTableModel.NAME: 178,
                  StateTableModel.APPLIED_AT: 142, StateTableModel.BY: 70, StateTableModel.DURATION: 72,
                  StateTableModel.CHECKSUM: 74}
        for col, w in widths.items():
            hh.resizeSection(col, w)
        hh.setSectionResizeMode(StateTableModel.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        hh.setMinimumSectionSize(60)
        layout.addWidget(self.view, 1)
        self._silent = False

    def set_snapshot(self, snap: Snapshot | None, records: tuple[StateRecord, ...] | None = None) -> None:
        """``records``: the rows already built from ``snap`` (on the worker), or None."""
        current = self.current_id()
        self._silent = True
        self.model.set_snapshot(snap, records)
        self._silent = False
        counts: dict[str, int] = {}
        for r in self.model.records():
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = [f"<span style='color:{STATUS_COLOURS.get(s, '#888')}'>●</span> {n} {STATUS_LABELS.get(s, s).lower()}"
                 for s, n in sorted(counts.items(), key=lambda kv: list(STATUS_COLOURS).index(kv[0])
                                    if kv[0] in STATUS_COLOURS else 99)]
        self.count_label.setText("&nbsp;&nbsp;".join(parts))
        if current:
            self.select(current)

    def reset(self) -> None:
        """Another project or database: no rows, no selection, no search text, all statuses."""
        self._silent = True
        try:
            self.search.clear()
            self.status_filter.setCurrentIndex(0)
            self.view.selectionModel().clear()
            self.model.set_snapshot(None)
        finally:
            self._silent = False
        self.count_label.clear()

    def current_id(self) -> str | None:
        idx = self.view.currentIndex()
        return idx.data(ID_ROLE) if idx.isValid() else None

    def select(self, migration_id: str | None) -> None:
        """Select a row without emitting ``migration_selected``."""
        self._silent = True
        try:
            row = self.model.row_of(migration_id) if migration_id else None
            if row is None:
                self.view.clearSelection()
                return
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                self.view.setCurrentIndex(idx)
                self.view.scrollTo(idx)
        finally:
            self._silent = False

    def _current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if not self._silent and current.isValid():
            self.migration_selected.emit(current.data(ID_ROLE))

    def eventFilter(self, watched, event) -> bool:  # noqa: ANN001
        """The menu key (or Shift+F10) asks for a menu at the middle of the view: open the menu of
        the selected row, at that row, and leave the selection where it is."""
        if (watched is self.view and event.type() == QEvent.Type.ContextMenu
                and event.reason() != QContextMenuEvent.Reason.Mouse):
            idx = self.view.currentIndex()
            if idx.isValid():
                self.view.scrollTo(idx)
                rect = self.view.visualRect(idx)
                pos = QPoint(rect.left() + 24, rect.center().y())
                self.context_menu_requested.emit(idx.data(ID_ROLE), self.view.viewport().mapToGlobal(pos))
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.view.indexAt(pos)
        if idx.isValid():
            self.view.setCurrentIndex(idx)
            self.context_menu_requested.emit(idx.data(ID_ROLE), self.view.viewport().mapToGlobal(pos))
