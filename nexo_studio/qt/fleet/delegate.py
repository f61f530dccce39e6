"""Paints the Fleet matrix: a coloured block per migration cell, a state chip, text and a
progress bar in the summary column, a band for group headers. One delegate for the whole view,
no widget per cell; colours come from :mod:`..palette` so they match the other views."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..palette import STATUS_COLOURS, UNKNOWN_COLOUR, is_dark
from .model import (CELL_ROLE, COL_SUMMARY, COL_TARGET, DONE, FAILED, KIND_ROLE, RUN_ROLE, RUNNING, STATE_ROLE,
                    WAITING, RunState)

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
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        kind = index.data(KIND_ROLE)
        col = index.column()
        if kind == "group":
            self._group(painter, option, index)
        elif col == COL_TARGET:
            super().paint(painter, option, index)
        elif col == COL_SUMMARY:
            self._summary(painter, option, index)
        else:
            self._cell(painter, option, index.data(CELL_ROLE) or "")

    def _selected_background(self, painter: QPainter, option: QStyleOptionViewItem) -> bool:
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[operator]
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
            return True
        return False

    def _cell(self, painter: QPainter, option: QStyleOptionViewItem, status: str) -> None:
        self._selected_background(painter, option)
        dark = is_dark(option.palette)
        r = option.rect.adjusted(1, 2, -1, -2)
        if status:
            painter.fillRect(r, _colour(STATUS_COLOURS.get(status, UNKNOWN_COLOUR), dark))
        else:  # the target did not answer: a faint block, so the row still reads as a row
            painter.fillRect(r, _colour(UNKNOWN_COLOUR, dark, faint=True))

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
        dark = is_dark(option.palette)
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
