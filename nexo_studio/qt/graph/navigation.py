"""Finding your way in a big graph: a minimap (the whole graph, the visible part framed; click
or drag to move there), a search box (type, Return for the next match: the node is selected,
lit up and centred) and a banner that names what is broken (missing dependencies, cycles)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from ..palette import status_colour

if TYPE_CHECKING:
    from .view import GraphView


class Minimap(QWidget):
    """The whole graph in the view's top-right corner, with the visible area framed."""

    SIZE = QSize(200, 120)

    def __init__(self, view: "GraphView") -> None:
        super().__init__(view)
        self._view = view
        self._rects: dict[str, QPainterPath] = {}
        self._lines = QPainterPath()
        self._danger = QPainterPath()
        self._bounds = QRectF()
        self.setFixedSize(self.SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")

    def set_content(self, rects: dict[str, QPainterPath], lines: QPainterPath, danger: QPainterPath,
                    bounds: QRectF) -> None:
        self._rects, self._lines, self._danger, self._bounds = rects, lines, danger, bounds
        self.update()

    def _scale(self) -> tuple[float, float, float]:
        b = self._bounds
        if b.isEmpty():
            return 1.0, 0.0, 0.0
        k = min((self.width() - 8) / b.width(), (self.height() - 8) / b.height())
        return k, 4 - b.left() * k + (self.width() - 8 - b.width() * k) / 2, \
            4 - b.top() * k + (self.height() - 8 - b.height() * k) / 2

    def to_scene(self, p: QPointF) -> QPointF:
        k, dx, dy = self._scale()
        return QPointF((p.x() - dx) / k, (p.y() - dy) / k)

    def paintEvent(self, event) -> None:  # noqa: ANN001
        p = QPainter(self)
        pal = self.palette()
        bg = QColor(pal.color(QPalette.ColorRole.Base))
        bg.setAlphaF(0.93)
        p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        p.setBrush(bg)
        p.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        k, dx, dy = self._scale()
        p.translate(dx, dy)
        p.scale(k, k)
        for path, colour in ((self._lines, pal.color(QPalette.ColorRole.Mid)), (self._danger, QColor("#d32f2f"))):
            pen = QPen(colour, 1)
            pen.setCosmetic(True)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
        for status, path in self._rects.items():
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(status_colour(status))
            p.drawPath(path)
        visible = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        pen = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(visible.intersected(self._bounds.adjusted(-50, -50, 50, 50)))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._view.centre_on_scene(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._view.centre_on_scene(self.to_scene(event.position()))
        event.accept()


class SearchBox(QLineEdit):
    """Type part of an id or name; the first match is selected, lit up and centred, Return
    moves to the next one."""

    def __init__(self, view: "GraphView") -> None:
        super().__init__(view)
        self._view = view
        self.setPlaceholderText("Find migration…")
        self.setClearButtonEnabled(True)
        self.setFixedWidth(220)
        self.textEdited.connect(lambda text: view.find_node(text))
        self.returnPressed.connect(lambda: view.find_node(self.text(), after=view.selected_id))


class ProblemBanner(QLabel):
    """Says in words what the red parts of the graph are."""

    def __init__(self, view: "GraphView") -> None:
        super().__init__(view)
        self.setObjectName("graphProblems")
        self.setWordWrap(True)
        self.setStyleSheet("QLabel#graphProblems { background: #fdecea; color: #b71c1c; "
                           "border: 1px solid #d32f2f; border-radius: 4px; padding: 4px 8px; }")
        self.hide()

    def set_problems(self, missing: list[tuple[str, str]], cycle: list[str] | None) -> None:
        parts = []
        if missing:
            shown = ", ".join(f"{dep} (needed by {mid})" for mid, dep in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            parts.append(f"Missing dependency: {shown}{more}")
        if cycle:
            loop = cycle if len(cycle) <= 7 else cycle[:6] + ["…"]
            parts.append("Dependency cycle (each depends on the next): " + " → ".join(loop))
        self.setText("\n".join(parts))
        self.setVisible(bool(parts))

    def place(self, vp: QRect, corner: int, search_height: int) -> None:
        """Below the find box; as wide as its longest line allows (a word-wrapped label's
        adjustSize picks a narrow column) up to the minimap's ``corner``, as tall as the text
        then needs."""
        fm = self.fontMetrics()
        longest = max((fm.horizontalAdvance(line) for line in self.text().splitlines()), default=0)
        width = min(longest + 24, max(vp.width() - corner - 20, 120))
        self.resize(width, self.heightForWidth(width))
        self.move(vp.left() + 10, vp.top() + 10 + search_height + 6)
