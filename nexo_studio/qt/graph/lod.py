"""Labels by level of detail: when the view is zoomed out past the node items, the overview item
still names as many nodes as fit on screen -- problems first, then heads, then the rest --
in a fixed pixel size, skipping any label that would overlap one already drawn."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTransform
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from .items import _Colours

LABEL_PX = 11
MAX_LABEL_W = 150.0
_CELL_W, _CELL_H = 40, 16


def _free(grid: set[tuple[int, int]], r: QRectF) -> list[tuple[int, int]] | None:
    cells = [(cx, cy) for cx in range(int(r.left() // _CELL_W), int(r.right() // _CELL_W) + 1)
             for cy in range(int(r.top() // _CELL_H), int(r.bottom() // _CELL_H) + 1)]
    return None if any(c in grid for c in cells) else cells


def paint_labels(painter: QPainter, labels: list[tuple[int, float, float, str]], colours: "_Colours",
                 widget: QWidget | None) -> int:
    """Draw the labels that fit (in device pixels); returns how many were drawn."""
    world: QTransform = painter.worldTransform()
    area = QRectF(widget.rect()) if widget is not None else QRectF(0, 0, 1e9, 1e9)
    font = QFont(widget.font() if widget is not None else QFont())
    font.setPixelSize(LABEL_PX)
    fm = QFontMetricsF(font)
    grid: set[tuple[int, int]] = set()
    bg = QColor(colours.base)
    bg.setAlphaF(0.85)
    drawn = 0
    painter.save()
    painter.resetTransform()
    painter.setFont(font)
    for rank, x, y, text in labels:
        p = world.map(QPointF(x, y))
        if not area.contains(p):
            continue
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, MAX_LABEL_W)
        w = fm.horizontalAdvance(shown) + 6
        r = QRectF(p.x() - w / 2, p.y() - fm.height() / 2 - 1, w, fm.height() + 2)
        cells = _free(grid, r)
        if cells is None:
            continue
        grid.update(cells)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(r, 3, 3)
        painter.setPen(colours.danger if rank == 0 else colours.text)
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, shown)
        drawn += 1
        if drawn >= 400:
            break
    painter.restore()
    return drawn
