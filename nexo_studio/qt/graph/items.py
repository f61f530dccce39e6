"""The graph's drawn pieces: node items, the zoomed-out overview item, edge paths, the status
legend, and the colours they share (derived from the view's palette)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ...core.project import STATUSES
from ..palette import STATUS_LABELS, is_dark, paint_status_disc, status_colour
from .layout import NODE_HEIGHT, NODE_WIDTH

if TYPE_CHECKING:
    from .view import GraphView

# stacking: lit items rise above the veil that dims everything else
_Z_EDGE, _Z_NODE, _Z_VEIL, _Z_LIT_EDGE, _Z_LIT_NODE = 0.0, 0.0, 5.0, 6.0, 7.0
_EDGE_WIDTH, _LIT_EDGE_WIDTH = 1.3, 2.2


@dataclass
class _Colours:
    base: QColor
    text: QColor
    muted: QColor
    edge: QColor
    edge_strong: QColor
    selection: QColor
    veil: QColor
    dark: bool
    #: missing dependencies and cycles
    danger: QColor = field(default_factory=lambda: QColor("#d32f2f"))
    fills: dict[str, QColor] = field(default_factory=dict)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """a*(1-t) + b*t"""
    return QColor.fromRgbF(a.redF() * (1 - t) + b.redF() * t, a.greenF() * (1 - t) + b.greenF() * t,
                           a.blueF() * (1 - t) + b.blueF() * t)


def _colours(palette: QPalette) -> _Colours:
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    veil = QColor(base)
    veil.setAlphaF(0.78)
    c = _Colours(base=base, text=text, muted=_mix(text, base, 0.4), edge=_mix(text, base, 0.62),
                 edge_strong=_mix(text, base, 0.12),
                 selection=palette.color(QPalette.ColorRole.Highlight), veil=veil, dark=dark,
                 danger=QColor("#ff5c5c") if dark else QColor("#d32f2f"))
    for s in STATUSES:
        c.fills[s] = _mix(base, status_colour(s), 0.30 if dark else 0.16)
    return c


ARROW = 9.0
#: the risk badge's disc (SPEC §11): red for an error-level lint finding, amber for a warning
RISK_COLOURS = {"error": QColor("#d32f2f"), "warning": QColor("#f59e0b")}


def paint_risk_badge(painter: QPainter, centre: QPointF, level: str, font: QFont) -> None:
    """A small "!" disc, outlined in white so it reads on any fill."""
    painter.setPen(QPen(QColor("white"), 1.2))
    painter.setBrush(RISK_COLOURS[level])
    painter.drawEllipse(centre, 7.0, 7.0)
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(centre.x() - 7, centre.y() - 7, 14, 14), Qt.AlignmentFlag.AlignCenter, "!")


class NodeItem(QGraphicsItem):
    """One migration: a rounded box with a status disc, the name and the version. It also draws
    the arrowhead of its incoming edges (they all end at the middle of its left side)."""

    H = NODE_HEIGHT

    def __init__(self, mid: str, version: str, name: str, status: str, view: "GraphView",
                 width: float = NODE_WIDTH, has_inputs: bool = False) -> None:
        super().__init__()
        self.W = width
        self.mid = mid
        self.version = version
        self.name = name
        self.status = status
        self.has_inputs = has_inputs
        self.selected = False
        self.hovered = False
        self.lit = False
        #: a missing dependency: drawn as a dashed red outline with no status
        self.ghost = False
        #: the pending up's highest lint level ("error", "warning" or "") and its rule codes
        self.risk = ""
        self.risk_rules: tuple[str, ...] = ()
        self._view = view
        self._elided: tuple[str, str] | None = None

    def boundingRect(self) -> QRectF:
        return QRectF(-self.W / 2 - ARROW - 2, -self.H / 2 - 5, self.W + ARROW + 7, self.H + 8)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addRoundedRect(QRectF(-self.W / 2, -self.H / 2, self.W, self.H), 7, 7)
        return p

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.update()

    def set_risk(self, level: str, rules: tuple[str, ...] = ()) -> None:
        if (level, tuple(rules)) != (self.risk, self.risk_rules):
            self.risk, self.risk_rules = level, tuple(rules)
            self.update()

    def set_selected(self, on: bool) -> None:
        if on != self.selected:
            self.selected = on
            self.update()

    def _texts(self) -> tuple[str, str]:
        if self._elided is None:
            v = self._view
            room = self.W - 40
            self._elided = (v._name_metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, room),
                            v._version_metrics.elidedText(self.version, Qt.TextElideMode.ElideRight, room))
        return self._elided

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = self._view._colours
        w, h = self.W, self.H
        if self.has_inputs:
            tip = -w / 2 - 1
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.edge_strong if self.lit else c.edge)
            painter.drawPolygon(QPolygonF([QPointF(tip, 0), QPointF(tip - ARROW, -ARROW * 0.5),
                                           QPointF(tip - ARROW, ARROW * 0.5)]))
        rect = QRectF(-w / 2, -h / 2, w, h)
        if self.ghost:
            self._paint_ghost(painter, rect, c)
            return
        status = status_colour(self.status)
        if self.selected:
            painter.setPen(QPen(c.selection, 3.0))
        elif self.hovered:
            painter.setPen(QPen(status.darker(115) if not c.dark else status.lighter(125), 2.6))
        else:
            painter.setPen(QPen(status, 1.6))
        painter.setBrush(c.fills.get(self.status, c.base))
        painter.drawRoundedRect(rect, 7, 7)
        paint_status_disc(painter, QPointF(rect.left() + 16, 0), 8.5, self.status)
        name, version = self._texts()
        left = rect.left() + 32
        painter.setPen(c.text)
        painter.setFont(self._view._name_font)
        painter.drawText(QRectF(left, rect.top() + 5, w - 40, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setPen(c.muted)
        painter.setFont(self._view._version_font)
        painter.drawText(QRectF(left, rect.top() + 24, w - 40, 17),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, version)
        if self.risk in RISK_COLOURS:
            paint_risk_badge(painter, QPointF(rect.right() - 4, rect.top() + 4), self.risk, self._view._version_font)

    def _paint_ghost(self, painter: QPainter, rect: QRectF, c: _Colours) -> None:
        pen = QPen(c.danger, 3.0 if self.selected else 1.8)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 7, 7)
        name, version = self._texts()
        painter.setPen(c.danger)
        painter.setFont(self._view._name_font)
        painter.drawText(QRectF(rect.left() + 12, rect.top() + 5, self.W - 20, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "missing")
        painter.setPen(c.muted)
        painter.setFont(self._view._version_font)
        painter.drawText(QRectF(rect.left() + 12, rect.top() + 24, self.W - 20, 17),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)


class _OverviewItem(QGraphicsItem):
    """All nodes (or the lit subset) as plain status-coloured boxes in one paint call: what the
    view shows when zoomed out too far for text, instead of thousands of node items."""

    def __init__(self, view: "GraphView") -> None:
        super().__init__()
        self._view = view
        # one path per status and one for all edges: a handful of objects, not thousands (fewer
        # objects for Python's garbage collector to walk)
        self._rects: dict[str, QPainterPath] = {}
        self._lines = QPainterPath()
        self._selected: QRectF | None = None
        self._bounds = QRectF()
        self.labels: list[tuple[int, float, float, str, str]] = []
        self._danger_lines = QPainterPath()
        #: how many labels the last paint drew (level of detail; tests read it)
        self.drawn_labels = 0

    def set_content(self, rects: dict[str, QPainterPath], lines: QPainterPath, bounds: QRectF,
                    labels: list | None = None, danger_lines: QPainterPath | None = None) -> None:
        """Boxes by status and edges as straight segments, computed while building; labels
        as (rank, x, y, text, status), best first, drawn as far as they fit (level of detail)."""
        self.prepareGeometryChange()
        self._rects, self._lines = rects, lines
        self.labels = labels or []
        self._danger_lines = danger_lines or QPainterPath()
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        self.update()

    def set_selected(self, rect: QRectF | None) -> None:
        self._selected = rect
        self.update()

    def set_nodes(self, items: Iterable[NodeItem]) -> None:
        self.prepareGeometryChange()
        rects: dict[str, QPainterPath] = {}
        bounds = QRectF()
        self._selected = None
        for it in items:
            p = it.pos()
            r = QRectF(p.x() - it.W / 2, p.y() - it.H / 2, it.W, it.H)
            if it.status not in rects:
                rects[it.status] = QPainterPath()
            rects[it.status].addRect(r)
            bounds = bounds.united(r) if not bounds.isNull() else r
            if it.selected:
                self._selected = r
        self._rects = rects
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = self._view._colours
        # boxes a few pixels wide gain nothing from antialiasing, and it is most of the cost
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, painter.worldTransform().m11() > 0.15)
        if not self._lines.isEmpty():
            pen = QPen(c.edge, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._lines)
        if not self._danger_lines.isEmpty():
            pen = QPen(c.danger, 1.6)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._danger_lines)
        for status, rects in self._rects.items():
            colour = status_colour(status)
            pen = QPen(colour, 1.0)
            pen.setCosmetic(True)  # at least a pixel, however far out
            painter.setPen(pen)
            painter.setBrush(colour)
            painter.drawPath(rects)
        if self._selected is not None:
            pen = QPen(c.selection, 3.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._selected)
        if self.labels:
            from .lod import paint_labels
            self.drawn_labels = paint_labels(painter, self.labels, c, widget)


def _edge_path(src: tuple[float, float], dst: tuple[float, float],
               via: Sequence[tuple[float, float]], w: float) -> QPainterPath:
    """From the right side of ``src`` through each routing slot (a straight run across the
    column) to the arrowhead's base at the left side of ``dst``, with S-shaped beziers in the
    gaps between columns (tangents horizontal, so all edges meet a node head-on)."""
    half = w / 2
    cx, cy = src[0] + half, src[1]
    path = QPainterPath(QPointF(cx, cy))
    stops: list[tuple[float, float, float | None]] = [(x - half, y, x + half) for x, y in via]
    stops.append((dst[0] - half - ARROW, dst[1], None))
    for ex, ey, out in stops:
        dx = ex - cx
        if dx > 0:
            k = max(dx * 0.5, 24.0)
            path.cubicTo(cx + k, cy, ex - k, ey, ex, ey)
        else:  # back edge (cyclic project): loop out right, below, and come in from the left
            k = 60.0 + abs(dx) * 0.15
            path.cubicTo(cx + k, cy + 50, ex - k, ey + 50, ex, ey)
        if out is not None:
            path.lineTo(out, ey)
            cx, cy = out, ey
    return path


class _Legend(QWidget):
    """Status legend, floating in the view's bottom-left corner (not part of the scene, so it
    never scales and never needs the scene to repaint)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.statuses: list[str] = ["pending", "applied"]

    def set_statuses(self, statuses: Iterable[str]) -> None:
        # only what the graph shows: no "Applied" on a database where nothing is applied
        present = set(statuses) or {"applied", "pending"}
        self.statuses = [s for s in (*STATUSES, "unknown") if s in present]
        self.resize(self.sizeHint())
        self.update()

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        width = 12 + sum(22 + fm.horizontalAdvance(STATUS_LABELS[s]) + 10 for s in self.statuses)
        return QSize(int(width), int(fm.height() + 14))

    def paintEvent(self, event) -> None:  # noqa: ANN001
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        bg = QColor(pal.color(QPalette.ColorRole.Base))
        bg.setAlphaF(0.92)
        border = _mix(pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base), 0.8)
        p.setPen(QPen(border, 1))
        p.setBrush(bg)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        fm = self.fontMetrics()
        x = 10.0
        cy = self.height() / 2
        for s in self.statuses:
            paint_status_disc(p, QPointF(x + 7, cy), 7, s)
            p.setPen(pal.color(QPalette.ColorRole.Text))
            label = STATUS_LABELS[s]
            p.drawText(QRectF(x + 18, 0, fm.horizontalAdvance(label) + 4, self.height()),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            x += 22 + fm.horizontalAdvance(label) + 10
        p.end()

