"""The graph view's input and change events: tooltips, zoom, pan, hover, keyboard, palette
changes. A mixin of :class:`~nexo_studio.qt.graph.view.GraphView` (which holds the state)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip

from .base import GraphViewBase
from .items import _LIT_EDGE_WIDTH, _colours


class GraphEvents(GraphViewBase):
    """Event handlers; ``super()`` reaches QGraphicsView through GraphView's bases."""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            mid = self.node_at(event.pos())
            if mid is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_for(mid), self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        if self._fitted and self.nodes:
            self.fit()  # still showing the whole graph: keep showing all of it
        self._place_legend()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._update_minimap()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._setup_fonts()
            self._colours = _colours(self.palette())
            self._apply_background()
            self._veil.setBrush(self._colours.veil)
            for item in self.nodes.values():
                item._elided = None
                item.update()
            lit = set(map(id, self._lit_edges))
            strong = self._edge_pen(self._colours.edge_strong, _LIT_EDGE_WIDTH)
            red = self._red_edges()
            for key, e in self.edges.items():
                e.setPen(strong if id(e) in lit and key not in red else self._pen_for_edge(key))
            self._overview.update()
            self._legend.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        self.zoom_by(1.0015 ** delta)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_F:
            self.fit()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_0:
            self.zoom_by(1.0 / self.zoom)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_id:
            self.migration_activated.emit(self.selected_id)
        elif key == Qt.Key.Key_Menu and self.selected_id:
            pos = self.viewport().mapToGlobal(self.node_viewport_pos(self.selected_id))
            self.context_menu_requested.emit(self.selected_id, pos)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mid = self.node_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.RightButton:
            if mid is not None:
                self.select(mid, centre=False)
                self.migration_selected.emit(mid)
                self.context_menu_requested.emit(mid, event.globalPosition().toPoint())
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self._panning = True
            if mid is not None:
                self.select(mid, centre=False)
                self.migration_selected.emit(mid)
        super().mousePressEvent(event)  # starts the hand drag (pan)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        mid = self.node_at(event.position().toPoint())
        if mid is not None and event.button() == Qt.MouseButton.LeftButton:
            self.migration_activated.emit(mid)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self._panning and event.buttons() & Qt.MouseButton.LeftButton:
            self._fitted = False
        if not self._panning:
            self.highlight(self.node_at(event.position().toPoint()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._panning = False

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self.highlight(None)

    def contextMenuEvent(self, event) -> None:  # noqa: ANN001
        # right-clicks are handled on press; this covers the keyboard's menu key
        if event.reason() != event.Reason.Mouse and self.selected_id:
            pos = self.viewport().mapToGlobal(self.node_viewport_pos(self.selected_id))
            self.context_menu_requested.emit(self.selected_id, pos)
        event.accept()

