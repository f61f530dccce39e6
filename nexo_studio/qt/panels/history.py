"""The History tab: the timeline above the history table, with filters."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...app.types import HistoryRow
from ..models import HistoryFilter, HistoryTableModel
from ..palette import ACTION_LABELS
from .common import _table


class HistoryPane(QWidget):
    """The timeline above a filterable table of the same events."""

    event_selected = Signal(object)  # HistoryRow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ..timeline import TimelineView

        self.model = HistoryTableModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("history_splitter")
        self.timeline = TimelineView()
        self.timeline.setObjectName("timeline")
        self.splitter.addWidget(self.timeline)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 4, 0, 0)
        ll.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 0)
        self.action_box = QComboBox()
        self.action_box.setObjectName("history_action")
        self.action_box.addItem("Any action", None)
        for a, label in ACTION_LABELS.items():
            self.action_box.addItem(label, a)
        self.status_box = QComboBox()
        self.status_box.setObjectName("history_status")
        self.status_box.addItem("Any result", None)
        for s in ("ok", "failed", "cancelled"):
            self.status_box.addItem(s, s)
        self.migration_edit = QLineEdit()
        self.migration_edit.setObjectName("history_migration")
        self.migration_edit.setPlaceholderText("Migration id contains…")
        self.migration_edit.setClearButtonEnabled(True)
        self.migration_edit.setMinimumWidth(220)
        self.in_view_box = QCheckBox("Only the time range in view")
        self.in_view_box.setObjectName("history_in_view")
        self.in_view_box.setToolTip("Zoom the timeline (wheel, or drag a range) to filter the table by date")
        self.count_label = QLabel()
        for w in (QLabel("Show:"), self.action_box, self.status_box, self.migration_edit, self.in_view_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        ll.addLayout(bar)
        self.view = _table(QTableView(), 22)
        self.view.setObjectName("history_table")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(HistoryTableModel.SEQ, Qt.SortOrder.DescendingOrder)
        hh = self.view.horizontalHeader()
        for col, width in enumerate((56, 140, 92, 70, 250, 70, 70, 70, 90)):
            hh.resizeSection(col, width)
        # the migration id gets the spare width, not an Error column that is mostly empty
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(HistoryTableModel.MIGRATION, QHeaderView.ResizeMode.Stretch)
        ll.addWidget(self.view, 1)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout.addWidget(self.splitter)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.timeline.event_selected.connect(self._timeline_selected)
        self.action_box.currentIndexChanged.connect(self._filter_changed)
        self.status_box.currentIndexChanged.connect(self._filter_changed)
        self.migration_edit.textChanged.connect(self._filter_changed)
        self.in_view_box.toggled.connect(self._filter_changed)
        self.timeline.range_changed.connect(self._range_changed)
        self._silent = False

    def set_rows(self, rows: tuple[HistoryRow, ...], timeline_data=None, broken: dict[int, str] | None = None) -> None:
        """Replace the events; ``timeline_data`` (``TimelineData.from_rows``, built on the worker)
        spares the GUI thread the indexing; ``broken`` (seq -> why) marks tampered rows."""
        self._silent = True
        self.model.set_rows(rows, broken)
        self.timeline.broken_seqs = frozenset(broken or ())
        self._silent = False
        if timeline_data is not None:
            self.timeline.set_data(timeline_data)
        else:
            self.timeline.set_events(rows)
        self._update_count()

    def reset(self) -> None:
        """Another database: no events, no selection, no filters."""
        self._silent = True
        try:
            for box in (self.action_box, self.status_box):
                box.setCurrentIndex(0)
            self.migration_edit.clear()
            self.in_view_box.setChecked(False)
            self.view.selectionModel().clear()
        finally:
            self._silent = False
        self.set_rows(())

    def _range_changed(self, *_args) -> None:
        if self.in_view_box.isChecked():
            self._filter_changed()

    def _update_count(self) -> None:
        total = len(self.model.all_rows())
        shown = self.model.rowCount()
        self.count_label.setText(f"{shown:,} of {total:,} events" if shown != total else f"{total:,} events")

    def _filter_changed(self, *_args) -> None:
        since = until = None
        if self.in_view_box.isChecked():
            start, end = self.timeline.visible_range()
            since, until = _naive_utc(start), _naive_utc(end)
        self.model.set_filter(HistoryFilter(self.action_box.currentData(), self.status_box.currentData(),
                                            self.migration_edit.text().strip(), since, until))
        self._update_count()

    def select_seq(self, seq: int) -> None:
        row = self.model.row_of_seq(seq)
        if row is not None:
            self._silent = True
            idx = self.model.index(row, 0)
            self.view.setCurrentIndex(idx)
            self.view.scrollTo(idx)
            self._silent = False

    def _row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if self._silent or not current.isValid():
            return
        h = self.model.rows()[current.row()]
        self.timeline.select(h.seq)
        self.event_selected.emit(h)

    def _timeline_selected(self, seq: int) -> None:
        self.select_seq(seq)
        h = next((r for r in self.model.all_rows() if r.seq == seq), None)
        if h is not None:
            self.event_selected.emit(h)


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt
