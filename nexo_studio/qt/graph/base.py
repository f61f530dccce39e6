"""What :class:`~nexo_studio.qt.graph.events.GraphEvents` uses of the view, declared once for
the type checker: a ``QGraphicsView`` for mypy, an empty class at run time (so GraphView's MRO,
``GraphEvents`` then ``QGraphicsView``, is what it was). GraphView implements every declaration
and mypy checks each implementation against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint, SignalInstance
    from PySide6.QtGui import QColor, QPen
    from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QGraphicsView

    from .items import NodeItem, _Colours, _Legend, _OverviewItem

    _View = QGraphicsView
else:
    _View = object


class GraphViewBase(_View):
    """The graph view as its event handlers see it (declarations only)."""

    nodes: dict[str, NodeItem]
    edges: dict[tuple[str, str], QGraphicsPathItem]
    selected_id: str | None
    _fitted: bool
    _panning: bool
    _colours: _Colours
    _veil: QGraphicsRectItem
    _overview: _OverviewItem
    _legend: _Legend
    _lit_edges: list[QGraphicsPathItem]

    if TYPE_CHECKING:
        # GraphView's signals (class attributes there), as an instance sees them
        migration_selected: SignalInstance
        context_menu_requested: SignalInstance
        migration_activated: SignalInstance

        @property
        def zoom(self) -> float: ...
        def zoom_by(self, factor: float) -> None: ...
        def fit(self) -> None: ...
        def select(self, migration_id: str | None, centre: bool = True) -> None: ...
        def highlight(self, migration_id: str | None) -> None: ...
        def node_at(self, pos: QPoint) -> str | None: ...
        def node_viewport_pos(self, migration_id: str) -> QPoint: ...
        def tooltip_for(self, mid: str) -> str: ...
        def _place_legend(self) -> None: ...
        def _update_minimap(self) -> None: ...
        def _setup_fonts(self) -> None: ...
        def _apply_background(self) -> None: ...
        def _red_edges(self) -> set[tuple[str, str]]: ...
        @staticmethod
        def _edge_pen(colour: QColor, width: float, dashed: bool = False) -> QPen: ...
        def _pen_for_edge(self, key: tuple[str, str], ghosts: frozenset[str] | None = None,
                          back: frozenset[tuple[str, str]] | None = None) -> QPen: ...
