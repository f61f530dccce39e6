"""Building the graph's scene in slices: generators that add a few hundred items per step, so
:meth:`GraphView.set_data_async` never stalls the event loop, and tear an old scene down the
same way."""
from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene

from ...core.project import Project, Snapshot
from .items import _EDGE_WIDTH, ARROW, NodeItem, _edge_path, _OverviewItem
from .layout import NODE_HEIGHT, GraphLayout, ghost_ids

if TYPE_CHECKING:
    from .view import GraphView

CHUNK = 50  # items added (or removed) between two yields (GraphView slices by time)


@dataclass
class SceneParts:
    """A new scene and the indexes the view keeps for it, ready to be swapped in."""

    scene: QGraphicsScene
    layout: GraphLayout
    overview: bool
    deps: dict[str, list[str]]
    dependents: dict[str, list[str]]
    unique_edges: list[tuple[str, str]]
    edges: dict[tuple[str, str], QGraphicsPathItem] = field(default_factory=dict)
    nodes: dict[str, NodeItem] = field(default_factory=dict)
    lines: QPainterPath = field(default_factory=QPainterPath)
    danger_lines: QPainterPath = field(default_factory=QPainterPath)
    rects: dict[str, QPainterPath] = field(default_factory=dict)
    columns: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    #: the veil and the two overview items, made by build_scene once the scene has its rect
    fixtures: tuple[QGraphicsRectItem, _OverviewItem, _OverviewItem] = field(init=False, repr=False)
    #: missing dependencies (ghost nodes) and the edges that close a cycle: drawn red
    ghosts: frozenset[str] = frozenset()
    labels: list[tuple[int, float, float, str, str]] = field(default_factory=list)

    @property
    def width(self) -> float:
        return self.layout.node_width

    @property
    def step(self) -> float:
        return self.layout.node_width + self.layout.layer_gap

    def sorted_columns(self) -> dict[int, tuple[list[float], list[str]]]:
        """Per layout column: node centres' y (sorted) and their ids, for hit tests."""
        out = {}
        for k, col in self.columns.items():
            col.sort()
            out[k] = ([y for y, _ in col], [m for _, m in col])
        return out


def _neighbours(nodes: list[str], edges: list[tuple[str, str]]
                ) -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, str]]]:
    deps: dict[str, list[str]] = {n: [] for n in nodes}
    dependents: dict[str, list[str]] = {n: [] for n in nodes}
    unique_edges = [(a, b) for a, b in dict.fromkeys(edges) if a in deps and b in deps]
    for a, b in unique_edges:
        deps[b].append(a)
        dependents[a].append(b)
    return deps, dependents, unique_edges


def _starts_zoomed_out(view: GraphView, layout: GraphLayout) -> bool:
    """Will the fitted view be zoomed out past text? Then the items are created hidden (the
    overview item draws them) instead of hiding thousands of them after the swap."""
    w = layout.node_width
    xs = [x for x, _ in layout.positions.values()] or [0.0]
    ys = [y for _, y in layout.positions.values()] or [0.0]
    vp = view.viewport().size()
    span_w = max(xs) - min(xs) + w + 100
    span_h = max(ys) - min(ys) + NODE_HEIGHT + 100 + view._legend.height()
    return min(vp.width() / span_w, vp.height() / span_h) < view.TEXT_SCALE


def _add_edges(view: GraphView, parts: SceneParts) -> Iterator[None]:
    """Edge items, and the straight segments the overview draws for them."""
    layout, half = parts.layout, parts.width / 2
    positions = layout.positions
    for k, (a, b) in enumerate(parts.unique_edges):
        item = QGraphicsPathItem(_edge_path(positions.get(a, (0.0, 0.0)), positions.get(b, (0.0, 0.0)),
                                            layout.routes.get((a, b), ()), parts.width))
        item.setPen(view._pen_for_edge((a, b), parts.ghosts, layout.back_edges))
        if parts.overview:
            item.setVisible(False)
        lines = parts.danger_lines if a in parts.ghosts or (a, b) in layout.back_edges else parts.lines
        sx, sy = positions.get(a, (0.0, 0.0))
        lines.moveTo(sx + half, sy)
        for vx, vy in layout.routes.get((a, b), ()):
            lines.lineTo(vx - half, vy)
            lines.lineTo(vx + half, vy)
        tx, ty = positions.get(b, (0.0, 0.0))
        lines.lineTo(tx - half, ty)
        parts.scene.addItem(item)
        parts.edges[(a, b)] = item
        if k % CHUNK == CHUNK - 1:
            yield


def _node_item(view: GraphView, parts: SceneParts, project: Project, st, mid: str) -> NodeItem:  # noqa: ANN001
    m = project.migrations.get(mid)
    version = st.version if st else (m.version if m else "")
    name = st.name if st else (m.name if m else mid)
    w = parts.width
    ghost = mid in parts.ghosts
    item = NodeItem(mid, version, mid if ghost else name, "missing" if ghost else (st.status if st else "pending"),
                    view, w, bool(parts.deps[mid]))
    item.ghost = ghost
    if not ghost:
        item.set_risk(*view.risks.get(mid, ("", ())))
    x, y = parts.layout.positions.get(mid, (w / 2, 0.0))
    item.setPos(x, y)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if parts.overview:
        item.setVisible(False)
    if item.status not in parts.rects:
        parts.rects[item.status] = QPainterPath()
    parts.rects[item.status].addRect(x - w / 2, y - NODE_HEIGHT / 2, w, NODE_HEIGHT)
    parts.columns.setdefault(round((x - w / 2) / parts.step), []).append((y, mid))
    parts.labels.append((_label_rank(item.status, ghost, bool(parts.dependents[mid])), x, y,
                         f"missing {mid}" if ghost else name, item.status))
    return item


def _label_rank(status: str, ghost: bool, has_dependents: bool) -> int:
    """Which labels win when they do not all fit: problems first, then heads."""
    if ghost or status in ("failed", "dirty", "missing"):
        return 0
    return 1 if not has_dependents else 2


def _add_nodes(view: GraphView, parts: SceneParts, project: Project, snapshot: Snapshot,
               nodes: list[str]) -> Iterator[None]:
    """Node items (after the edges: equal z values stack in insertion order), their overview
    boxes and the column index."""
    states = snapshot.by_id or {s.id: s for s in snapshot.states}
    for k, mid in enumerate(nodes):
        item = _node_item(view, parts, project, states.get(mid), mid)
        parts.scene.addItem(item)
        parts.nodes[mid] = item
        if k % CHUNK == CHUNK - 1:
            yield


def _scene_rect(parts: SceneParts) -> QRectF:
    """Every node, the arrowheads and the loops of back edges, with a margin."""
    if not parts.nodes:
        return QRectF(0, 0, 10, 10)
    xs = [item.pos().x() for item in parts.nodes.values()]
    ys = [item.pos().y() for item in parts.nodes.values()]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    w = parts.width
    rect = QRectF(left - w / 2 - ARROW, top - NODE_HEIGHT / 2, right - left + w + ARROW,
                  bottom - top + NODE_HEIGHT)
    for e in parts.layout.back_edges:  # edges of a cyclic project loop below the nodes
        if e in parts.edges:
            rect = rect.united(parts.edges[e].boundingRect())
    return rect.adjusted(-40, -40, 40, 40)


def build_scene(view: GraphView, project: Project, snapshot: Snapshot, nodes: list[str],
                edges: list[tuple[str, str]], layout: GraphLayout) -> Generator[None, None, SceneParts]:
    """Build a new scene for ``layout`` (yielding every few hundred items); returns its
    :class:`SceneParts` (the generator's return value)."""
    scene = QGraphicsScene(view)
    # no BSP index: building one for thousands of items is a long stall on the first paint,
    # while a linear visibility scan in C++ is cheap; hit tests use our own column index
    scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
    deps, dependents, unique_edges = _neighbours(nodes, edges)
    yield
    parts = SceneParts(scene, layout, _starts_zoomed_out(view, layout), deps, dependents, unique_edges,
                       ghosts=ghost_ids(project, snapshot, nodes))
    yield from _add_edges(view, parts)
    yield from _add_nodes(view, parts, project, snapshot, nodes)
    rect = _scene_rect(parts)
    scene.setSceneRect(rect)
    veil, overview_item, lit_overview = parts.fixtures = view._make_scene_fixtures(scene)
    veil.setRect(rect)
    parts.labels.sort(key=lambda t: t[0])
    overview_item.set_content(parts.rects, parts.lines, rect, parts.labels, parts.danger_lines)
    yield
    return parts


def tear_down(old: QGraphicsScene) -> Generator[None, None, None]:
    """Remove an old scene's items in pieces (deleting thousands at once is a stall)."""
    try:
        items: list[QGraphicsItem | None] = [i for i in old.items() if i.parentItem() is None]
        yield
        for k in range(0, len(items), CHUNK * 2):
            for i in range(k, min(k + CHUNK * 2, len(items))):
                item = items[i]
                if item is not None:
                    old.removeItem(item)
                items[i] = item = None  # the last references: the item is deleted here
            yield
    finally:
        if shiboken6.isValid(old):
            old.deleteLater()
