"""Labels by level of detail: when the view is zoomed out past the node items, the overview item
still names as many nodes as fit on screen -- problems first, then heads, then the rest --
in a fixed pixel size, each on its node in the node's status colours, skipping any label that would overlap one already drawn."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTransform
from PySide6.QtWidgets import QWidget

from ..palette import status_colour

if TYPE_CHECKING:
    from .items import _Colours

LABEL_PX = 11
MAX_LABEL_W = 150.0
_CELL_W, _CELL_H = 40, 16


def _free(grid: set[tuple[int, int]], r: QRectF) -> list[tuple[int, int]] | None:
    cells = [(cx, cy) for cx in range(int(r.left() // _CELL_W), int(r.right() // _CELL_W) + 1)
             for cy in range(int(r.top() // _CELL_H), int(r.bottom() // _CELL_H) + 1)]
    return None if any(c in grid for c in cells) else cells


_WIDTHS: dict[tuple[str, str], tuple[str, float]] = {}  # (font key, text) -> (shown, width)


def _measure(fm: QFontMetricsF, key: str, text: str) -> tuple[str, float]:
    hit = _WIDTHS.get((key, text))
    if hit is None:
        if len(_WIDTHS) > 20_000:
            _WIDTHS.clear()
        shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, MAX_LABEL_W)
        hit = _WIDTHS[(key, text)] = (shown, fm.horizontalAdvance(shown) + 6)
    return hit


def paint_labels(painter: QPainter, labels: list[tuple[int, float, float, str, str]], colours: "_Colours",
                 widget: QWidget | None) -> int:
    """Draw the labels that fit (in device pixels); returns how many were drawn."""
    world: QTransform = painter.worldTransform()
    area = QRectF(widget.rect()) if widget is not None else QRectF(0, 0, 1e9, 1e9)
    inverse, ok = world.inverted()
    seen = inverse.mapRect(area) if ok else QRectF(-1e12, -1e12, 2e12, 2e12)
    left, right, top, bottom = seen.left(), seen.right(), seen.top(), seen.bottom()
    font = QFont(widget.font() if widget is not None else QFont())
    font.setPixelSize(LABEL_PX)
    fm = QFontMetricsF(font)
    key, h = font.key(), fm.height() + 2
    grid: set[tuple[int, int]] = set()
    bg = QColor(colours.base)
    bg.setAlphaF(0.85)
    drawn = 0
    painter.save()
    painter.resetTransform()
    painter.setFont(font)
    m11, m22, dx, dy = world.m11(), world.m22(), world.dx(), world.dy()
    for rank, x, y, text, status in labels:
        if not (left <= x <= right and top <= y <= bottom):
            continue
        px, py = x * m11 + dx, y * m22 + dy  # the view only scales and translates
        if (int(px // _CELL_W), int(py // _CELL_H)) in grid:
            continue
        shown, w = _measure(fm, key, text)
        r = QRectF(px - w / 2, py - h / 2, w, h)
        if not area.contains(r):  # half a label at the edge reads as another name
            continue
        cells = _free(grid, r)
        if cells is None:
            continue
        grid.update(cells)
        # a small node: the status fill and outline, so a label never hides a box's status
        painter.setPen(status_colour(status))
        painter.setBrush(colours.fills.get(status, bg))
        painter.drawRoundedRect(r, 3, 3)
        painter.setPen(colours.danger if rank == 0 else colours.text)
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, shown)
        drawn += 1
        if drawn >= 400:
            break
    painter.restore()
    return drawn
