"""The Target and Summary columns kept in view while the matrix scrolls sideways (issue #16).

Qt's "Frozen Column" pattern: a second table view over the same model and the same selection
model, a child of the matrix laid over its left edge, showing only those two columns. It has no
scroll bars of its own: its vertical position follows the matrix's (and the other way round, for
the wheel over it), its column widths follow the matrix's header, so the two read as one table.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView

from .model import COL_MIGRATIONS, COL_SUMMARY, COL_TARGET


def matrix_view_setup(view: QTableView, row_height: int) -> None:
    """What the matrix and its frozen columns share: whole rows selected (several at once), no
    editing, no grid or wrapping, pixel scrolling, fixed rows without a row header."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    v = view.verticalHeader()
    v.setVisible(False)
    v.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    v.setDefaultSectionSize(row_height)


class FrozenColumns(QTableView):
    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.setObjectName("fleet_frozen")
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        self.setItemDelegate(table.itemDelegate())
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        matrix_view_setup(self, table.verticalHeader().defaultSectionSize())
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        h = self.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        h.setDefaultAlignment(table.horizontalHeader().defaultAlignment())
        h.setHighlightSections(False)
        h.setFixedHeight(table.horizontalHeader().sizeHint().height())
        self.setColumnHidden(COL_MIGRATIONS, True)
        table.viewport().stackUnder(self)
        self.verticalScrollBar().valueChanged.connect(table.verticalScrollBar().setValue)
        table.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        table.horizontalHeader().sectionResized.connect(self._section_resized)
        self.doubleClicked.connect(table.doubleClicked)
        self.show()

    def width_frozen(self) -> int:
        th = self.table.horizontalHeader()
        return th.sectionSize(COL_TARGET) + th.sectionSize(COL_SUMMARY)

    def _section_resized(self, logical: int, _old: int, size: int) -> None:
        if logical in (COL_TARGET, COL_SUMMARY):
            self.setColumnWidth(logical, size)
            self.place()

    def sync(self) -> None:
        """After a model reset: the matrix's spans and widths, then the geometry."""
        self.clearSpans()
        model = self.model()
        for row in range(model.rowCount()):
            span = self.table.columnSpan(row, COL_TARGET)
            if span > 1:
                self.setSpan(row, COL_TARGET, 1, span)
        for col in (COL_TARGET, COL_SUMMARY):
            self.setColumnWidth(col, self.table.columnWidth(col))
        self.setColumnHidden(COL_MIGRATIONS, True)
        self.place()

    def place(self) -> None:
        t = self.table
        f = t.frameWidth()
        self.horizontalHeader().setFixedHeight(t.horizontalHeader().height())
        self.setGeometry(f + t.verticalHeader().width(), f, self.width_frozen(),
                         t.viewport().height() + t.horizontalHeader().height())
        self.verticalScrollBar().setValue(t.verticalScrollBar().value())
