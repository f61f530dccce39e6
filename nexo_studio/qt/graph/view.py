"""The dependency graph widget: a QGraphicsView that draws a :class:`GraphLayout` --
status-coloured nodes, bezier edges with arrowheads (dependency -> dependent), wheel zoom under
the mouse, drag to pan, ``F`` to fit, hover to highlight a node's transitive dependencies and
dependents, a status legend.

What keeps 2,000 nodes cheap: zoomed out past readable text, the node and edge items are hidden
and one overview item draws every box and edge as a few painter paths (one Python paint call per
frame); zoomed in, node items paint into a device-coordinate cache, so panning only blits. Hover
moves items above a translucent veil instead of touching every item; hit tests use a per-column
index of the layout, not scene queries. ``set_data_async`` builds the scene in ~6 ms slices and
swaps it in, so a refresh never freezes the window.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Generator, Iterator

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView, QWidget

from ...core.project import Project, Snapshot
from .build import SceneParts, build_scene, tear_down
from .events import GraphEvents
from .items import (
    _EDGE_WIDTH,
    _LIT_EDGE_WIDTH,
    _Z_EDGE,
    _Z_LIT_EDGE,
    _Z_LIT_NODE,
    _Z_NODE,
    _Z_VEIL,
    NodeItem,
    _colours,
    _Legend,
    _OverviewItem,
)
from .layout import LAYER_GAP, NODE_HEIGHT, NODE_WIDTH, GraphLayout, graph_edges, layered_layout
from .tooltip import node_tooltip
from .navigation import Minimap, ProblemBanner, SearchBox


class GraphView(GraphEvents, QGraphicsView):
    """The migration dependency graph. Signals fire on user actions only (``select()`` called
    by code does not emit ``migration_selected``, so views can sync without loops)."""

    migration_selected = Signal(str)
    context_menu_requested = Signal(str, QPoint)
    migration_activated = Signal(str)
    #: a (re)build finished and the new scene is showing
    data_ready = Signal()

    MIN_SCALE = 0.02
    MAX_SCALE = 4.0
    #: below this zoom nodes are drawn as boxes without text, all in one item
    TEXT_SCALE = 0.4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        scene = QGraphicsScene(self)
        self.setScene(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(200, 150)
        self.nodes: dict[str, NodeItem] = {}
        self.risks: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.edges: dict[tuple[str, str], QGraphicsPathItem] = {}
        self.layout_result: GraphLayout | None = None
        self.selected_id: str | None = None
        self.hovered_id: str | None = None
        #: ids lit up by the hover: (dependencies, dependents), both transitive
        self.highlighted: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        self._project: Project | None = None
        self._snapshot: Snapshot | None = None
        self._deps: dict[str, list[str]] = {}
        self._dependents: dict[str, list[str]] = {}
        self._columns: dict[int, tuple[list[float], list[str]]] = {}
        self._step = NODE_WIDTH + LAYER_GAP
        self._node_width = NODE_WIDTH
        self._lit_nodes: list[NodeItem] = []
        self._lit_edges: list[QGraphicsPathItem] = []
        self._overview_mode: bool | None = None
        self._panning = False
        self._overview_refresh_pending = False
        self._legend = _Legend(self)
        self._ghosts: frozenset[str] = frozenset()
        self._lit_keys: list[tuple[str, str]] = []
        #: the user has not zoomed or panned since the last fit: a resize refits
        self._fitted = True
        self._minimap = Minimap(self)
        self._search = SearchBox(self)
        self._banner = ProblemBanner(self)
        self._setup_fonts()
        self._colours = _colours(self.palette())
        self._veil, self._overview, self._lit_overview = self._make_scene_fixtures(scene)
        self._apply_background()
        self._builder: Generator[None, None, None] | None = None
        self._slice_s = 0.012
        self._build_timer = QTimer(self)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_slice)

    # -- public API ----------------------------------------------------------------------------

    def set_data(self, project: Project, snapshot: Snapshot, layout: GraphLayout | None = None) -> None:
        """Rebuild the scene now. Pass ``layout`` (from :func:`project_layout`, e.g. computed on
        a worker) to skip the layout step here."""
        self._cancel_build()
        for _ in self._build(project, snapshot, layout):
            pass

    def set_data_async(self, project: Project, snapshot: Snapshot, layout: GraphLayout | None = None,
                       slice_ms: float = 6.0) -> None:
        """Rebuild in slices of about ``slice_ms`` on the event loop, so the GUI thread never
        stalls (2,000 nodes: ~30 slices). The old picture stays until the new scene is swapped
        in; ``data_ready`` fires then. Compute ``layout`` on a worker first for big projects
        (``project_layout(project, snapshot, view.node_width_for(project, snapshot))``)."""
        self._cancel_build()
        self._builder = self._build(project, snapshot, layout)
        self._slice_s = slice_ms / 1000
        self._build_timer.start(0)

    @property
    def building(self) -> bool:
        return self._builder is not None

    def _cancel_build(self) -> None:
        self._build_timer.stop()
        if self._builder is not None:
            self._builder.close()
            self._builder = None

    def _build_slice(self) -> None:
        if self._builder is None:
            self._build_timer.stop()
            return
        deadline = time.perf_counter() + self._slice_s
        try:
            while time.perf_counter() < deadline:
                next(self._builder)
        except StopIteration:
            self._builder = None
            self._build_timer.stop()

    def _build(self, project: Project, snapshot: Snapshot, layout: GraphLayout | None) -> Generator[None, None, None]:
        """Build a new scene (yielding between slices), swap it in, tear the old one down."""
        if layout is not None and layout.nodes:  # laid out on the worker, with its inputs
            nodes, edges = list(layout.nodes), list(layout.edges)
        else:
            nodes, edges = graph_edges(project, snapshot)
            if layout is None:
                layout = layered_layout(nodes, edges, node_width=self.node_width_for(project, snapshot))
            yield
        parts = yield from build_scene(self, project, snapshot, nodes, edges, layout)
        old = self.scene()
        self._swap_in(parts, project, snapshot)
        if old is None or old is parts.scene:
            return
        yield from tear_down(old)

    def _swap_in(self, parts: SceneParts, project: Project, snapshot: Snapshot) -> None:
        """From here on the view shows the new scene."""
        self.highlight(None)
        self.setScene(parts.scene)
        self.layout_result = parts.layout
        self._project, self._snapshot = project, snapshot
        self.nodes, self.edges = parts.nodes, parts.edges
        self._deps, self._dependents = parts.deps, parts.dependents
        self._node_width, self._step = parts.width, parts.step
        self._columns = parts.sorted_columns()
        self._veil, self._overview, self._lit_overview = parts.fixtures
        self._lit_nodes, self._lit_edges, self._lit_keys = [], [], []
        self._ghosts = parts.ghosts
        self.hovered_id = None
        self.highlighted = (frozenset(), frozenset())
        self._minimap.set_content(parts.rects, parts.lines, parts.danger_lines, parts.scene.sceneRect())
        missing, cycle = parts.layout.problems or (project.graph.missing(), project.graph.find_cycle())
        self._banner.set_problems(list(missing), list(cycle) if cycle else None)
        self._overview_mode = parts.overview
        self._overview.setVisible(parts.overview)
        self._legend.set_statuses(s.status for s in snapshot.states)
        self._place_legend()
        if self.selected_id in self.nodes:
            self.nodes[self.selected_id].set_selected(True)
            self._overview.set_selected(self._box(self.selected_id))
        else:
            self.selected_id = None
        self.fit()
        self.data_ready.emit()

    def node_width_for(self, project: Project, snapshot: Snapshot | None = None) -> float:
        """Node width that shows the longest name unelided, within 168..260 px (pass it to
        :func:`project_layout` when laying out on a worker)."""
        names = {m.name for m in project.migrations.values()}
        if snapshot is not None:
            names.update(s.name for s in snapshot.states)
        widest = max((self._name_metrics.horizontalAdvance(n) for n in names), default=0.0)
        return float(min(max(widest + 48, 168.0), 260.0))

    def update_statuses(self, snapshot: Snapshot) -> None:
        """Recolour nodes from a new snapshot without a new layout."""
        self._snapshot = snapshot
        for st in snapshot.states:
            item = self.nodes.get(st.id)
            if item is not None:
                item.set_status(st.status)
        self._overview.set_nodes(self.nodes.values())
        self._legend.set_statuses(s.status for s in snapshot.states)
        self._place_legend()

    def set_status(self, migration_id: str, status: str) -> None:
        """Recolour one node live (e.g. as a deploy progresses); the zoomed-out overview and the
        legend catch up once per event-loop turn, however many nodes change."""
        item = self.nodes.get(migration_id)
        if item is None or item.status == status:
            return
        item.set_status(status)
        if not self._overview_refresh_pending:
            self._overview_refresh_pending = True
            QTimer.singleShot(0, self._refresh_overview)

    def _refresh_overview(self) -> None:
        self._overview_refresh_pending = False
        self._overview.set_nodes(self.nodes.values())
        self._legend.set_statuses(item.status for item in self.nodes.values())
        self._place_legend()

    def select(self, migration_id: str | None, centre: bool = True) -> None:
        """Select a node (or none) and, with ``centre``, bring it into view; does not emit
        ``migration_selected``."""
        if self.selected_id in self.nodes:
            self.nodes[self.selected_id].set_selected(False)
        self.selected_id = migration_id if migration_id in self.nodes else None
        if self.selected_id is not None:
            item = self.nodes[self.selected_id]
            item.set_selected(True)
            if centre:
                self.centerOn(item)
        self._overview.set_selected(self._box(self.selected_id) if self.selected_id else None)

    def fit(self) -> None:
        """Whole graph in view, not blown up past 1.25; the legend, find box and banner cover
        no node (the view's scene rect gets room for them as a margin)."""
        rect, vp = self.scene().sceneRect(), self.viewport().rect()
        if not self.nodes or rect.isEmpty():
            return
        above = self._banner if self._banner.isVisibleTo(self) else self._search
        top, bottom = float(above.geometry().bottom() - self.viewport().geometry().top() + 6), float(self._legend.height())
        scale = min(vp.width() / rect.width(), max(vp.height() - top - bottom, 40.0) / rect.height(), 1.25)
        rect = rect.adjusted(0, -top / scale, 0, bottom / scale)
        self.setSceneRect(rect)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.25:
            self.setTransform(self.transform().fromScale(1.25, 1.25))
            self.centerOn(rect.center())
        self._update_lod()
        self._fitted = True
        self._update_minimap()

    def _update_minimap(self) -> None:
        """The minimap helps only while part of the graph is out of view: hidden while the whole
        graph shows (a small project fitted), so it never covers nodes for nothing."""
        vp = self.viewport().geometry()
        seen = self.mapToScene(self.viewport().rect()).boundingRect().adjusted(-2, -2, 2, 2)
        self._minimap.setVisible(bool(self.nodes) and vp.width() >= 2 * self._minimap.width() + 40
                                 and not seen.contains(self.sceneRect()))
        self._minimap.update()

    def centre_on_scene(self, point: QPointF) -> None:
        """Move the view (the minimap's clicks); the view is no longer 'fitted'."""
        self.centerOn(point)
        self._fitted = False
        self._update_minimap()

    def find_node(self, text: str, after: str | None = None) -> str | None:  # (QWidget.find: a window lookup)
        """Select, light up and centre the first node whose id or name contains ``text``
        (case-insensitive; with ``after``, the next one after that id, wrapping)."""
        needle = text.strip().lower()
        if not needle:
            return None
        ids = [m for m, item in self.nodes.items() if needle in m.lower() or needle in item.name.lower()]
        if not ids:
            return None
        mid = ids[(ids.index(after) + 1) % len(ids)] if after in ids else ids[0]
        if self.zoom < self.TEXT_SCALE:
            self.zoom_by(self.TEXT_SCALE * 1.5 / self.zoom)
        self.select(mid)
        self.highlight(mid)
        self._fitted = False
        self._update_minimap()
        return mid

    def zoom_by(self, factor: float) -> None:
        current = self.transform().m11()
        target = min(max(current * factor, min(self.MIN_SCALE, current)), self.MAX_SCALE)
        if target != current:
            self.scale(target / current, target / current)
            self._update_lod()
            self._fitted = False
            self._update_minimap()

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def node_at(self, pos: QPoint) -> str | None:
        """Migration id under a viewport position (a lookup in the layout's columns, not a
        scene query, so hover costs nothing at 2,000 nodes)."""
        sp = self.mapToScene(pos)
        k = int(sp.x() // self._step)
        if not 0.0 <= sp.x() - k * self._step <= self._node_width:
            return None
        column = self._columns.get(k)
        if not column:
            return None
        ys, ids = column
        half = NODE_HEIGHT / 2
        i = bisect_left(ys, sp.y() - half)
        if i < len(ys) and abs(ys[i] - sp.y()) <= half:
            return ids[i]
        return None

    def node_viewport_pos(self, migration_id: str) -> QPoint:
        """Viewport position of a node's centre (tests, context menus)."""
        return self.mapFromScene(self.nodes[migration_id].scenePos())

    def highlight(self, migration_id: str | None) -> None:
        """Light up a node with its transitive dependencies and dependents; everything else
        goes behind a translucent veil (``None`` restores). Touches only the lit items."""
        if migration_id not in self.nodes:
            migration_id = None
        if migration_id == self.hovered_id:
            return
        c = self._colours
        for item in self._lit_nodes:
            item.setZValue(_Z_NODE)
            item.lit = item.hovered = False
            item.update()
        for e, key in zip(self._lit_edges, self._lit_keys):
            e.setZValue(_Z_EDGE)
            e.setPen(self._pen_for_edge(key))
            if self._overview_mode:
                e.setVisible(False)  # the overview item draws the unlit edges
        self._lit_nodes, self._lit_edges, self._lit_keys = [], [], []
        self.hovered_id = migration_id
        if migration_id is None:
            self.highlighted = (frozenset(), frozenset())
            self._veil.hide()
            self._lit_overview.hide()
            return
        deps = frozenset(self._walk(migration_id, self._deps))
        dependents = frozenset(self._walk(migration_id, self._dependents))
        self.highlighted = (deps, dependents)
        up = deps | {migration_id}
        downward = dependents | {migration_id}
        lit_pen = self._edge_pen(c.edge_strong, _LIT_EDGE_WIDTH)
        red = self._red_edges()
        for group, inside in ((up, up), (downward, downward)):
            for a in group:
                for b in self._dependents[a]:
                    if b in inside:
                        e = self.edges[(a, b)]
                        e.setZValue(_Z_LIT_EDGE)
                        e.setPen(lit_pen if (a, b) not in red else self._pen_for_edge((a, b)))
                        e.setVisible(True)
                        self._lit_edges.append(e)
                        self._lit_keys.append((a, b))
        for mid in up | downward:
            item = self.nodes[mid]
            item.setZValue(_Z_LIT_NODE)
            item.lit = True
            item.hovered = mid == migration_id
            item.update()
            self._lit_nodes.append(item)
        self._veil.show()
        if self._overview_mode:
            self._lit_overview.set_nodes(self._lit_nodes)
            self._lit_overview.show()

    # -- helpers -------------------------------------------------------------------------------

    def _box(self, mid: str) -> QRectF:
        item = self.nodes[mid]
        p = item.pos()
        return QRectF(p.x() - item.W / 2, p.y() - item.H / 2, item.W, item.H)

    def _make_scene_fixtures(self, scene: QGraphicsScene) -> tuple[QGraphicsRectItem, "_OverviewItem", "_OverviewItem"]:
        """Items that live in every scene: the veil behind lit items, the zoomed-out boxes."""
        veil = QGraphicsRectItem(scene.sceneRect())
        veil.setPen(Qt.PenStyle.NoPen)
        veil.setBrush(self._colours.veil)
        veil.setZValue(_Z_VEIL)
        veil.hide()
        overview = _OverviewItem(self)
        overview.setZValue(_Z_NODE + 0.5)
        overview.hide()
        lit_overview = _OverviewItem(self)
        lit_overview.setZValue(_Z_LIT_NODE)
        lit_overview.hide()
        for item in (veil, overview, lit_overview):
            scene.addItem(item)
        return veil, overview, lit_overview

    @staticmethod
    def _edge_pen(colour: QColor, width: float, dashed: bool = False) -> QPen:
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def _pen_for_edge(self, key: tuple[str, str], ghosts: frozenset[str] | None = None,
                      back: frozenset[tuple[str, str]] | None = None) -> QPen:
        """Grey, or red for an edge from a missing dependency (solid) or closing a cycle
        (dashed)."""
        ghosts = self._ghosts if ghosts is None else ghosts
        if back is None:
            back = self.layout_result.back_edges if self.layout_result else frozenset()
        if key in back:
            return self._edge_pen(self._colours.danger, _LIT_EDGE_WIDTH, True)
        if key[0] in ghosts:
            return self._edge_pen(self._colours.danger, _LIT_EDGE_WIDTH)
        return self._edge_pen(self._colours.edge, _EDGE_WIDTH)

    def _red_edges(self) -> set[tuple[str, str]]:
        back = self.layout_result.back_edges if self.layout_result else frozenset()
        return set(back) | {e for e in self.edges if e[0] in self._ghosts}

    @staticmethod
    def _walk(start: str, edges: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        return seen

    def tooltip_for(self, mid: str) -> str:
        """Rich-text tooltip: name, version, status, description, id, neighbour counts, risks."""
        return node_tooltip(self, mid)

    def set_risks(self, risks: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        """Risk badges (id -> (level, rule codes)), kept for scenes built later."""
        self.risks = dict(risks)
        for mid, item in self.nodes.items():
            item.set_risk(*self.risks.get(mid, ("", ())))

    def _setup_fonts(self) -> None:
        base = QFont(self.font())
        self._name_font = QFont(base)
        self._name_font.setBold(True)
        self._version_font = QFont(base)
        size = base.pointSizeF()
        if size > 0:
            self._version_font.setPointSizeF(max(size - 1.0, 7.0))
        self._name_metrics = QFontMetricsF(self._name_font)
        self._version_metrics = QFontMetricsF(self._version_font)

    def _apply_background(self) -> None:
        self.setBackgroundBrush(QBrush(self._colours.base))

    def _update_lod(self) -> None:
        """Zoomed in: node items (cached per device, so panning only blits). Zoomed out past
        readable text: hide them and draw every box in one item."""
        overview = self.transform().m11() < self.TEXT_SCALE
        if overview == self._overview_mode:
            return
        self._overview_mode = overview
        for item in self.nodes.values():
            item.setVisible(not overview)
        lit = set(map(id, self._lit_edges))
        for e in self.edges.values():
            e.setVisible(not overview or id(e) in lit)
        self._overview.setVisible(overview)
        if overview and self._lit_nodes:
            self._lit_overview.set_nodes(self._lit_nodes)
        self._lit_overview.setVisible(overview and bool(self._lit_nodes))

    def _place_legend(self) -> None:
        self._legend.resize(self._legend.sizeHint())
        vp = self.viewport().geometry()
        self._legend.move(vp.left() + 10, vp.bottom() - self._legend.height() - 9)
        self._legend.setVisible(bool(self.nodes) and self._legend.width() + 20 <= vp.width())
        self._legend.raise_()
        self._search.move(vp.left() + 10, vp.top() + 10)
        self._minimap.move(vp.right() - self._minimap.width() - 9, vp.top() + 10)
        self._update_minimap()
        self._banner.place(vp, self._minimap.width() + 20 if self._minimap.isVisibleTo(self) else 0,
                           self._search.height())

