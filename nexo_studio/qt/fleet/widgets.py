"""The Fleet view's parts: the matrix table and the inline confirmation bar."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFrame, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QToolTip, QVBoxLayout, QWidget)

from ..aio import qt_loop
from .delegate import FleetCellDelegate
from .frozen import FrozenColumns, matrix_view_setup
from .model import CELL_WIDTH, COL_MIGRATIONS, COL_SUMMARY, COL_TARGET, FleetMatrixModel
from .options import RunOptionsRow

if TYPE_CHECKING:
    from ...app.fleet.runner import FleetOptions

ROW_HEIGHT = 20


def tick_labels(n: int, width_of: Callable[[str], int], section_width: int) -> list[tuple[int, str]]:
    """(x, text) of the migration numbers over the matrix column, x from the section's left edge:
    1, every fifth, and the last migration, each left-aligned on its cell. A label that would
    run past the section's right edge ends at that edge instead (it was clipped there), and a
    fifth whose label would touch the last one's is left out."""
    out: list[tuple[int, str]] = []
    if n <= 0:
        return out
    last_text = str(n)
    last_x = max(0, min((n - 1) * CELL_WIDTH, section_width - width_of(last_text) - 2))
    gap = width_of("0")
    for i in range(n - 1):
        if i == 0 or (i + 1) % 5 == 0:
            x = i * CELL_WIDTH
            if x + width_of(str(i + 1)) + gap <= last_x:
                out.append((x, str(i + 1)))
    out.append((last_x, last_text))
    return out


class MatrixHeader(QHeaderView):
    """The horizontal header; over the migrations column, the migration numbers (1, every fifth,
    the last), none clipped at the right edge (``tick_labels``)."""

    def paintSection(self, painter: QPainter, rect: QRect, logical: int) -> None:
        if logical != COL_MIGRATIONS:
            super().paintSection(painter, rect, logical)
            return
        painter.save()
        super().paintSection(painter, rect, logical)
        painter.restore()
        model = self.model()
        n = len(getattr(model, "matrix").migrations) if model is not None else 0
        painter.save()
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        visible = self.viewport().rect()
        metrics = self.fontMetrics()
        for x, text in tick_labels(n, metrics.horizontalAdvance, rect.width()):
            left = rect.left() + x
            if left > visible.right() or left + 4 * CELL_WIDTH < visible.left():
                continue
            painter.drawText(QRect(left, rect.top(), metrics.horizontalAdvance(text) + 2, rect.height()),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        painter.restore()


class FleetTable(QTableView):
    """The matrix: uniform rows, fixed-width migration columns, group headers spanning the row."""

    def __init__(self, model: FleetMatrixModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleet_table")
        self.setModel(model)
        self.cells = FleetCellDelegate(model, self)
        self.setItemDelegate(self.cells)
        matrix_view_setup(self, ROW_HEIGHT)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        h = MatrixHeader(Qt.Orientation.Horizontal, self)
        self.setHorizontalHeader(h)
        h.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        h.setMinimumSectionSize(CELL_WIDTH)
        h.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        h.setHighlightSections(False)
        model.modelReset.connect(self._after_reset)
        # Target and Summary stay in view while the migrations scroll sideways (issue #16)
        self.frozen = FrozenColumns(self)

    def paintEvent(self, event) -> None:
        self.cells.begin(self.palette())
        super().paintEvent(event)

    def _after_reset(self) -> None:
        model = self.model()
        assert isinstance(model, FleetMatrixModel)
        self.clearSpans()
        for row in model.group_rows():
            self.setSpan(row, 0, 1, model.columnCount())
        h = self.horizontalHeader()
        h.resizeSection(COL_TARGET, max(150, min(260, self._name_width(model))))
        h.resizeSection(COL_SUMMARY, 230)
        h.resizeSection(COL_MIGRATIONS, max(CELL_WIDTH, CELL_WIDTH * len(model.matrix.migrations) + 4))
        self.frozen.sync()

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        """A click on the frozen Target / Summary moves the current index there: scroll to the
        row only, never back to the left edge (those columns are always in view)."""
        keep = self.horizontalScrollBar().value()
        super().scrollTo(index, hint)
        if index.column() != COL_MIGRATIONS:
            self.horizontalScrollBar().setValue(keep)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.frozen.place()

    def migration_at(self, pos) -> tuple[int, int] | None:
        """(row, migration index) under a viewport position, or None."""
        index = self.indexAt(pos)
        if not index.isValid() or index.column() != COL_MIGRATIONS:
            return None
        i = (pos.x() - self.visualRect(index).left()) // CELL_WIDTH
        model = self.model()
        assert isinstance(model, FleetMatrixModel)
        return (index.row(), i) if 0 <= i < len(model.matrix.migrations) else None

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.migration_at(event.pos())
            model = self.model()
            if hit is not None and isinstance(model, FleetMatrixModel):
                row, i = hit
                status = model.cell(row, i)
                if status is not None:
                    target = model.target_at(row)
                    QToolTip.showText(event.globalPos(), f"{target.name if target else ''}\n{i + 1}. "
                                      f"{model.matrix.migrations[i]}: {status or 'unknown'}", self)
                    return True
        return super().viewportEvent(event)

    def _name_width(self, model: FleetMatrixModel) -> int:
        names = [t.name for t in model.matrix.targets]
        longest = max(names, key=len, default="")
        return self.fontMetrics().horizontalAdvance(longest + "MM") + 12


class ConfirmBar(QFrame):
    """Asks inline (no modal dialog): ``await bar.ask(text, verb, rollback_choices, options)`` ->
    True on Confirm; below the question, the run's options (``options``: :class:`RunOptionsRow`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleet_confirm")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(8, 4, 8, 4)
        rows.setSpacing(4)
        lay = QHBoxLayout()
        rows.addLayout(lay)
        self.options = RunOptionsRow(self)
        rows.addWidget(self.options)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.to_label = QLabel("to")
        self.to_box = QComboBox()
        self.to_box.setObjectName("fleet_rollback_to")
        self.to_box.setMinimumWidth(260)
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setObjectName("fleet_confirm_button")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("fleet_confirm_cancel")
        lay.addWidget(self.label, 1)
        lay.addWidget(self.to_label)
        lay.addWidget(self.to_box)
        lay.addWidget(self.confirm_button)
        lay.addWidget(self.cancel_button)
        self._future: asyncio.Future | None = None
        self.confirm_button.clicked.connect(lambda: self._answer(True))
        self.cancel_button.clicked.connect(lambda: self._answer(False))
        self.hide()

    def ask(self, text: str, verb: str, choices: list[tuple[str, str]] | None = None,
            options: "FleetOptions | None" = None) -> "asyncio.Future[bool]":
        self._answer(False)  # a question still open is answered No
        self.label.setText(text)
        self.options.setVisible(options is not None)
        if options is not None:
            self.options.show_options(options)
        self.confirm_button.setText(verb)
        self.to_box.clear()
        for label, value in choices or []:
            self.to_box.addItem(label, value)
        if choices:
            self.to_box.setCurrentIndex(max(0, len(choices) - 2))
        self.to_label.setVisible(bool(choices))
        self.to_box.setVisible(bool(choices))
        self._future = qt_loop().create_future()
        self.show()
        self.confirm_button.setFocus()
        return self._future

    def _answer(self, yes: bool) -> None:
        future, self._future = self._future, None
        self.hide()
        if future is not None and not future.done():
            future.set_result(yes)

    def choice(self) -> str | None:
        return self.to_box.currentData()
