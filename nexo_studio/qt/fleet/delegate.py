"""Paints the Fleet matrix: a coloured block per migration cell, a state chip, text and a
progress bar in the summary column, a band for group headers. One delegate for the whole view,
no widget per cell; colours come from :mod:`..palette` so they match the other views."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..palette import STATUS_COLOURS, UNKNOWN_COLOUR, is_dark
from .data import CELL_STATUSES
from .model import (CELL_WIDTH, COL_MIGRATIONS, COL_TARGET, DONE, FAILED, KIND_ROLE, RUN_ROLE, RUNNING, STATE_ROLE, WAITING,
                    RunState)

#: a target's state -> colour of its chip (SPEC §9 states)
STATE_COLOURS: dict[str, str] = {
    "up_to_date": STATUS_COLOURS["applied"],
    "pending": STATUS_COLOURS["pending"],
    "failed": STATUS_COLOURS["failed"],
    "dirty": STATUS_COLOURS["dirty"],
    "drifted": STATUS_COLOURS["drifted"],
    "tampered": "#9f1239",
    "locked": "#3b82f6",
    "unreachable": UNKNOWN_COLOUR,
}
RUN_COLOURS = {WAITING: "#94a3b8", RUNNING: "#3b82f6", DONE: STATUS_COLOURS["applied"],
               FAILED: STATUS_COLOURS["failed"]}


@lru_cache(maxsize=64)
def _colour(hex_: str, dark: bool, faint: bool = False) -> QColor:
    c = QColor(hex_)
    if faint:
        c.setAlpha(90 if dark else 70)
    return c


class FleetCellDelegate(QStyledItemDelegate):
    """``begin(palette)`` once per paint event (the view calls it) picks the colours; a migration
    cell is then painted from the model's row object directly (no ``data()`` round trip, one
    fill): a page of ~3,000 cells repaints in a few milliseconds."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.dark = False
        self._fills: list[QColor] = []

    def begin(self, palette: QPalette) -> None:
        self.dark = is_dark(palette)
        self._fills = [_colour(STATUS_COLOURS.get(s, UNKNOWN_COLOUR) if s else UNKNOWN_COLOUR, self.dark, not s)
                       for s in CELL_STATUSES]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        col = index.column()
        if col == COL_MIGRATIONS:  # the hot path: most of the screen, one call per row
            self._cells(painter, option, index.row())
            return
        if index.data(KIND_ROLE) == "group":
            self._group(painter, option, index)
        elif col == COL_TARGET:
            super().paint(painter, option, index)
        else:
            self._summary(painter, option, index)

    def _selected_background(self, painter: QPainter, option: QStyleOptionViewItem) -> bool:
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
            return True
        return False

    def _cells(self, painter: QPainter, option: QStyleOptionViewItem, row: int) -> None:
        cells = getattr(self.model.rows[row], "cells", None)
        if cells is None:
            return
        rect = option.rect
        view = option.widget
        visible = view.viewport().rect() if isinstance(view, QAbstractScrollArea) else rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect.intersected(visible), option.palette.color(QPalette.ColorRole.Highlight))
        left, top, h = rect.left(), rect.top() + 2, rect.height() - 4
        first = max(0, (visible.left() - left) // CELL_WIDTH)
        last = min(len(cells) - 1, (visible.right() - left) // CELL_WIDTH)
        fills, w = self._fills, CELL_WIDTH - 2
        for i in range(first, last + 1):
            painter.fillRect(left + i * CELL_WIDTH + 1, top, w, h, fills[cells[i]])

    def _group(self, painter: QPainter, option: QStyleOptionViewItem,
               index: QModelIndex | QPersistentModelIndex) -> None:
        pal = option.palette
        selected = self._selected_background(painter, option)
        if not selected:
            painter.fillRect(option.rect, pal.color(QPalette.ColorRole.AlternateBase).darker(108)
                             if not is_dark(pal) else pal.color(QPalette.ColorRole.AlternateBase).lighter(130))
        if index.column() != COL_TARGET:
            return
        font = option.font
        font.setBold(True)
        painter.save()
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText))
        rect = option.rect.adjusted(6, 0, -4, 0)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), index.data() or "")
        painter.restore()

    def _summary(self, painter: QPainter, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> None:
        selected = self._selected_background(painter, option)
        dark = self.dark
        run: RunState | None = index.data(RUN_ROLE)
        state = index.data(STATE_ROLE) or ""
        rect = option.rect
        chip = QRect(rect.left() + 4, rect.top() + 4, 10, rect.height() - 8)
        painter.fillRect(chip, _colour(STATE_COLOURS.get(state, UNKNOWN_COLOUR), dark))
        text_rect = rect.adjusted(20, 0, -4, 0)
        if run is not None and run.phase in (RUNNING, WAITING, DONE, FAILED):
            bar = QRect(text_rect.left(), rect.top() + 3, min(90, text_rect.width() // 2), rect.height() - 6)
            painter.fillRect(bar, _colour("#94a3b8", dark, faint=True))
            share = 1.0 if run.phase in (DONE, FAILED) else (run.index / run.total if run.total else 0.0)
            if share > 0:
                done = QRect(bar.left(), bar.top(), max(1, int(bar.width() * share)), bar.height())
                painter.fillRect(done, _colour(RUN_COLOURS[run.phase], dark))
            text_rect.setLeft(bar.right() + 6)
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText if selected
                                            else QPalette.ColorRole.Text))
        elided = option.fontMetrics.elidedText(index.data() or "", Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided)
        painter.restore()
