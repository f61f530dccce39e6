"""The dependency graph: a layered left-to-right drawing of the migration DAG.

Two halves:

* :func:`layered_layout` / :func:`project_layout` -- pure Python, no Qt objects, so a caller may
  run it on a worker thread. Sugiyama-style: layers by longest path from the roots, long edges
  split by dummy nodes, crossings reduced by barycentre sweeps (the best ordering seen is kept,
  judged by an exact crossing count), then vertical positions by repeated neighbour averaging
  with minimum-spacing constraints solved exactly per layer (isotonic regression). grandalf's
  Sugiyama was measured first: 6.7 s for 2,000 nodes, too slow for the 1 s budget; this takes
  about 0.3 s (``benchmarks/gui.py`` prints the figure).
* :class:`GraphView` -- a QGraphicsView that draws a layout: status-coloured nodes, bezier edges
  with arrowheads (dependency -> dependent), wheel zoom under the mouse, drag to pan, ``F`` to
  fit, hover to highlight a node's transitive dependencies and dependents, a status legend.

What keeps 2,000 nodes cheap: zoomed out past readable text, the node and edge items are hidden
and one overview item draws every box and edge as a few painter paths (one Python paint call per
frame); zoomed in, node items paint into a device-coordinate cache, so panning only blits. Hover
moves items above a translucent veil instead of touching every item; hit tests use a per-column
index of the layout, not scene queries. ``set_data_async`` builds the scene in ~12 ms slices and
swaps it in, so a refresh never freezes the window.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QToolTip,
    QWidget,
)

from ..core.project import STATUSES, Project, Snapshot
from .palette import (
    STATUS_LABELS,
    is_dark,
    paint_status_disc,
    status_colour,
)

# -- geometry ----------------------------------------------------------------------------------

NODE_WIDTH = 184.0
NODE_HEIGHT = 46.0
LAYER_GAP = 64.0          # horizontal space between node columns (where edges bend)
NODE_GAP = 18.0           # vertical space between two nodes of a layer
DUMMY_GAP = 9.0           # vertical space next to an edge passing through a layer
MAX_DUMMIES = 40_000      # long edges beyond this budget are drawn straight, without routing


@dataclass(frozen=True)
class GraphLayout:
    """Where everything goes. Coordinates are scene units; a node's point is its centre."""

    positions: dict[str, tuple[float, float]]
    layers: dict[str, int]
    #: (dependency, dependent) -> intermediate points (centres of the dummy slots it runs through)
    routes: dict[tuple[str, str], tuple[tuple[float, float], ...]]
    #: edges that point backwards (only in a cyclic graph): drawn dashed
    back_edges: frozenset[tuple[str, str]] = frozenset()
    crossings: int = 0
    seconds: float = 0.0
    node_width: float = NODE_WIDTH
    node_height: float = NODE_HEIGHT
    layer_gap: float = LAYER_GAP

    @property
    def layer_count(self) -> int:
        return max(self.layers.values(), default=-1) + 1


def _layers_by_longest_path(nodes: Sequence[str], deps: dict[str, list[str]],
                            children: dict[str, list[str]]) -> dict[str, int]:
    """Layer = length of the longest dependency chain below the node (roots are 0).

    Nodes on a cycle (a broken project) are placed after their known dependencies in the given
    order, so the view still shows them; the edges that close the cycle become back edges.
    """
    indegree = {n: len(deps[n]) for n in nodes}
    layer: dict[str, int] = {}
    ready = [n for n in nodes if indegree[n] == 0]
    ready.reverse()
    while ready:
        n = ready.pop()
        layer[n] = max((layer[d] + 1 for d in deps[n]), default=0)
        for c in children[n]:
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    for n in nodes:  # leftovers: on or behind a cycle
        if n not in layer:
            layer[n] = max((layer[d] + 1 for d in deps[n] if d in layer), default=0)
    return layer


def _count_crossings(upper: list[int], lower: list[int], edges: list[tuple[int, int]],
                     pos: list[int], size: int) -> int:
    """Crossings between two adjacent layers: inversions of lower positions after sorting the
    edges by upper position (Barth, Jünger, Mutzel), with a Fenwick tree."""
    if len(edges) < 2:
        return 0
    pairs = sorted((pos[a], pos[b]) for a, b in edges)
    tree = [0] * (size + 1)
    total = 0
    seen = 0
    for _, p in pairs:
        # count already-seen endpoints strictly greater than p
        i = p + 1
        le = 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        total += seen - le
        i = p + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
        seen += 1
    return total


def _isotonic_positions(desired: list[float], weights: list[float], spacing: list[float]) -> list[float]:
    """Positions y closest (weighted least squares) to ``desired`` with y[i+1] - y[i] >=
    spacing[i]: substitute z = y - offset and solve a non-decreasing fit by pool-adjacent-
    violators."""
    n = len(desired)
    offsets = [0.0] * n
    for i in range(1, n):
        offsets[i] = offsets[i - 1] + spacing[i - 1]
    # blocks: [weight, weighted sum, count]
    bw: list[float] = []
    bs: list[float] = []
    bc: list[int] = []
    for i in range(n):
        w = weights[i]
        bw.append(w)
        bs.append(w * (desired[i] - offsets[i]))
        bc.append(1)
        while len(bw) > 1 and bs[-2] / bw[-2] > bs[-1] / bw[-1]:
            w2, s2, c2 = bw.pop(), bs.pop(), bc.pop()
            bw[-1] += w2
            bs[-1] += s2
            bc[-1] += c2
    out: list[float] = []
    for w, s, c in zip(bw, bs, bc):
        v = s / w
        out.extend([v] * c)
    return [out[i] + offsets[i] for i in range(n)]


def layered_layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]], *,
                   node_width: float = NODE_WIDTH, node_height: float = NODE_HEIGHT,
                   layer_gap: float = LAYER_GAP, sweeps: int = 8,
                   time_budget: float = 0.6) -> GraphLayout:
    """Lay out a DAG left to right. ``nodes`` in a preferred order (apply order reads best);
    ``edges`` as (dependency, dependent) pairs. Pure Python; safe on a worker thread."""
    started = time.perf_counter()
    nodes = list(dict.fromkeys(nodes))
    known = set(nodes)
    edge_list = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    deps: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edge_list:
        deps[b].append(a)
        children[a].append(b)
    layer_of = _layers_by_longest_path(nodes, deps, children)
    n_layers = max(layer_of.values(), default=-1) + 1

    # vertices: real nodes first (index = position in `nodes`), then dummies
    vid = {n: i for i, n in enumerate(nodes)}
    vlayer = [layer_of[n] for n in nodes]
    is_dummy = [False] * len(nodes)
    up: list[list[int]] = [[] for _ in nodes]     # neighbours in the previous layer
    down: list[list[int]] = [[] for _ in nodes]   # neighbours in the next layer
    chains: dict[tuple[str, str], list[int]] = {}
    back: set[tuple[str, str]] = set()
    direct: list[tuple[str, str]] = []
    forward = []
    for a, b in edge_list:
        span = layer_of[b] - layer_of[a]
        if span <= 0:
            back.add((a, b))
        else:
            forward.append((span, a, b))
    forward.sort(key=lambda t: t[0])  # short edges get routed first when the budget runs out
    budget = MAX_DUMMIES
    for span, a, b in forward:
        if span > 1 and span - 1 > budget:
            direct.append((a, b))
            continue
        prev = vid[a]
        chain: list[int] = []
        for layer in range(layer_of[a] + 1, layer_of[b]):
            d = len(vlayer)
            vlayer.append(layer)
            is_dummy.append(True)
            up.append([prev])
            down.append([])
            down[prev].append(d)
            chain.append(d)
            prev = d
        budget -= len(chain)
        down[prev].append(vid[b])
        up[vid[b]].append(prev)
        chains[(a, b)] = chain

    # initial order inside each layer: first appearance in a depth-first walk from the roots in
    # the given order, so related nodes start next to each other
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    placed = [False] * len(vlayer)
    for root in range(len(nodes)):
        if placed[root] or up[root]:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if placed[v]:
                continue
            placed[v] = True
            layers[vlayer[v]].append(v)
            stack.extend(reversed(down[v]))
    for v in range(len(vlayer)):
        if not placed[v]:
            layers[vlayer[v]].append(v)

    pos = [0] * len(vlayer)

    def renumber(layer: list[int]) -> None:
        for i, v in enumerate(layer):
            pos[v] = i

    for layer in layers:
        renumber(layer)

    adjacent_edges: list[list[tuple[int, int]]] = [[] for _ in range(max(n_layers - 1, 0))]
    for v in range(len(vlayer)):
        for w in down[v]:
            adjacent_edges[vlayer[v]].append((v, w))

    def crossings() -> int:
        return sum(_count_crossings(layers[i], layers[i + 1], adjacent_edges[i], pos,
                                    len(layers[i + 1]))
                   for i in range(n_layers - 1))

    def sweep(downwards: bool) -> None:
        rng = range(1, n_layers) if downwards else range(n_layers - 2, -1, -1)
        for li in rng:
            layer = layers[li]
            keyed = []
            for v in layer:
                nb = up[v] if downwards else down[v]
                if nb:
                    bc = sum(pos[u] for u in nb) / len(nb)
                else:
                    bc = None
                keyed.append((bc, v))
            # nodes without neighbours keep their current slot: interpolate their key
            fixed = [(bc if bc is not None else None) for bc, _ in keyed]
            last = -1.0
            for i, k in enumerate(fixed):
                if k is None:
                    fixed[i] = last + 1e-6
                last = fixed[i]
            order = sorted(range(len(layer)), key=lambda i: (fixed[i], pos[layer[i]]))
            layer[:] = [layer[i] for i in order]
            renumber(layer)

    best = crossings()
    best_layers = [list(layer) for layer in layers]
    for it in range(sweeps):
        if best == 0 or time.perf_counter() - started > time_budget:
            break
        sweep(downwards=(it % 2 == 0))
        c = crossings()
        if c < best:
            best = c
            best_layers = [list(layer) for layer in layers]
    layers = best_layers
    for layer in layers:
        renumber(layer)

    # vertical positions
    y = [0.0] * len(vlayer)
    heights = [0.0 if d else node_height for d in is_dummy]

    def spacing_for(layer: list[int]) -> list[float]:
        out = []
        for a, b in zip(layer, layer[1:]):
            gap = NODE_GAP if not (is_dummy[a] or is_dummy[b]) else DUMMY_GAP
            out.append((heights[a] + heights[b]) / 2 + gap)
        return out

    spacings = [spacing_for(layer) for layer in layers]
    for li, layer in enumerate(layers):
        acc = 0.0
        for i, v in enumerate(layer):
            if i:
                acc += spacings[li][i - 1]
            y[v] = acc
        shift = acc / 2
        for v in layer:
            y[v] -= shift
    weights = [1.0 if d else 2.0 for d in is_dummy]

    def place(li: int, use_up: bool, use_down: bool) -> None:
        layer = layers[li]
        if not layer:
            return
        desired = []
        for v in layer:
            nb = (up[v] if use_up else []) + (down[v] if use_down else [])
            desired.append(sum(y[u] for u in nb) / len(nb) if nb else y[v])
        placed_y = _isotonic_positions(desired, [weights[v] for v in layer], spacings[li])
        for v, yy in zip(layer, placed_y):
            y[v] = yy

    for _ in range(4):
        for li in range(1, n_layers):
            place(li, True, False)
        for li in range(n_layers - 2, -1, -1):
            place(li, False, True)
    for _ in range(2):
        for li in range(n_layers):
            place(li, True, True)

    top = min(y, default=0.0) - node_height / 2
    step = node_width + layer_gap
    positions = {n: (vlayer[i] * step + node_width / 2, y[i] - top) for i, n in enumerate(nodes)}
    routes = {
        e: tuple((vlayer[d] * step + node_width / 2, y[d] - top) for d in chain)
        for e, chain in chains.items()
    }
    for e in direct:
        routes[e] = ()
    for e in back:
        routes[e] = ()
    return GraphLayout(positions, dict(layer_of), routes, frozenset(back), best,
                       time.perf_counter() - started, node_width, node_height, layer_gap)


def graph_edges(project: Project, snapshot: Snapshot | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes (apply order, then migrations only the database knows) and (dependency, dependent)
    edges, including those recorded for applied migrations whose files are gone."""
    try:
        order = project.order()
    except Exception:  # a cycle: version order keeps the picture stable
        order = sorted(project.migrations, key=lambda i: (project.migrations[i].version, i))
    nodes = list(order)
    edges = list(project.graph.edges())
    if snapshot is not None:
        known = set(nodes)
        extra = [s for s in snapshot.states if s.id not in known]
        nodes.extend(s.id for s in extra)
        known.update(s.id for s in extra)
        for s in extra:
            if s.row is not None:
                edges.extend((d, s.id) for d in s.row.depends if d in known)
    return nodes, edges


def project_layout(project: Project, snapshot: Snapshot | None = None,
                   node_width: float = NODE_WIDTH) -> GraphLayout:
    """The layout for a project (safe to compute on a worker thread; get ``node_width`` from
    :meth:`GraphView.node_width_for` on the GUI thread first)."""
    nodes, edges = graph_edges(project, snapshot)
    return layered_layout(nodes, edges, node_width=node_width)


# -- items -------------------------------------------------------------------------------------

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
                 selection=palette.color(QPalette.ColorRole.Highlight), veil=veil, dark=dark)
    for s in STATUSES:
        c.fills[s] = _mix(base, status_colour(s), 0.30 if dark else 0.16)
    return c


ARROW = 9.0


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
        self._view = view
        self._elided: tuple[str, str] | None = None

    def boundingRect(self) -> QRectF:
        return QRectF(-self.W / 2 - ARROW - 2, -self.H / 2 - 3, self.W + ARROW + 5, self.H + 6)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addRoundedRect(QRectF(-self.W / 2, -self.H / 2, self.W, self.H), 7, 7)
        return p

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
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

    def set_content(self, rects: dict[str, QPainterPath], lines: QPainterPath, bounds: QRectF) -> None:
        """Boxes by status and edges as straight segments, computed while building."""
        self.prepareGeometryChange()
        self._rects, self._lines = rects, lines
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
        if not self._lines.isEmpty():
            pen = QPen(c.edge, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._lines)
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


def _edge_path(src: tuple[float, float], dst: tuple[float, float],
               via: Sequence[tuple[float, float]], w: float) -> QPainterPath:
    """From the right side of ``src`` through each routing slot (a straight run across the
    column) to the arrowhead's base at the left side of ``dst``, with S-shaped beziers in the
    gaps between columns (tangents horizontal, so all edges meet a node head-on)."""
    half = w / 2
    cx, cy = src[0] + half, src[1]
    path = QPainterPath(QPointF(cx, cy))
    stops = [(x - half, y, x + half) for x, y in via]
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
        present = set(statuses) | {"applied", "pending"}
        self.statuses = [s for s in STATUSES if s in present]
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


# -- the view ----------------------------------------------------------------------------------

_Z_EDGE, _Z_NODE, _Z_VEIL, _Z_LIT_EDGE, _Z_LIT_NODE = 0.0, 0.0, 5.0, 6.0, 7.0
_EDGE_WIDTH, _LIT_EDGE_WIDTH = 1.3, 2.2


class GraphView(QGraphicsView):
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
        self._setup_fonts()
        self._colours = _colours(self.palette())
        self._veil, self._overview, self._lit_overview = self._make_scene_fixtures(scene)
        self._apply_background()
        self._builder: Iterator[None] | None = None
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
                       slice_ms: float = 12.0) -> None:
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

    def _build(self, project: Project, snapshot: Snapshot, layout: GraphLayout | None) -> Iterator[None]:
        """Build a new scene (yielding every few hundred items), swap it in, then tear the old
        one down in pieces."""
        chunk = 200
        nodes, edges = graph_edges(project, snapshot)
        if layout is None:
            layout = layered_layout(nodes, edges, node_width=self.node_width_for(project, snapshot))
            yield
        scene = QGraphicsScene(self)
        # no BSP index: building one for thousands of items is a long stall on the first paint,
        # while a linear visibility scan in C++ is cheap; hit tests use our own column index
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        deps: dict[str, list[str]] = {n: [] for n in nodes}
        dependents: dict[str, list[str]] = {n: [] for n in nodes}
        unique_edges = [(a, b) for a, b in dict.fromkeys(edges) if a in deps and b in deps]
        for a, b in unique_edges:
            deps[b].append(a)
            dependents[a].append(b)
        w = layout.node_width
        step = w + layout.layer_gap
        # will the fitted view be zoomed out past text? then create the items hidden (the
        # overview item draws them) instead of hiding thousands of them after the swap
        xs = [x for x, _ in layout.positions.values()] or [0.0]
        ys = [y for _, y in layout.positions.values()] or [0.0]
        vp = self.viewport().size()
        span_w = max(xs) - min(xs) + w + 100
        span_h = max(ys) - min(ys) + NODE_HEIGHT + 100 + self._legend.height()
        overview = min(vp.width() / span_w, vp.height() / span_h) < self.TEXT_SCALE
        lines = QPainterPath()
        half = w / 2

        # edges first, then nodes: equal z values stack in insertion order
        edge_items: dict[tuple[str, str], QGraphicsPathItem] = {}
        pen = self._edge_pen(self._colours.edge, _EDGE_WIDTH)
        back_pen = self._edge_pen(self._colours.edge, _EDGE_WIDTH, True)
        positions = layout.positions
        for k, (a, b) in enumerate(unique_edges):
            item = QGraphicsPathItem(_edge_path(positions.get(a, (0.0, 0.0)), positions.get(b, (0.0, 0.0)),
                                                layout.routes.get((a, b), ()), w))
            item.setPen(back_pen if (a, b) in layout.back_edges else pen)
            if overview:
                item.setVisible(False)
            sx, sy = positions.get(a, (0.0, 0.0))
            lines.moveTo(sx + half, sy)
            for vx, vy in layout.routes.get((a, b), ()):
                lines.lineTo(vx - half, vy)
                lines.lineTo(vx + half, vy)
            tx, ty = positions.get(b, (0.0, 0.0))
            lines.lineTo(tx - half, ty)
            scene.addItem(item)
            edge_items[(a, b)] = item
            if k % chunk == chunk - 1:
                yield
        states = snapshot.by_id or {s.id: s for s in snapshot.states}
        node_items: dict[str, NodeItem] = {}
        rects: dict[str, QPainterPath] = {}
        columns: dict[int, list[tuple[float, str]]] = {}
        left = top = float("inf")
        right = bottom = float("-inf")
        for k, mid in enumerate(nodes):
            st = states.get(mid)
            m = project.migrations.get(mid)
            version = st.version if st else (m.version if m else "")
            name = st.name if st else (m.name if m else mid)
            item = NodeItem(mid, version, name, st.status if st else "pending", self, w, bool(deps[mid]))
            x, y = positions.get(mid, (w / 2, 0.0))
            item.setPos(x, y)
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            if overview:
                item.setVisible(False)
            if item.status not in rects:
                rects[item.status] = QPainterPath()
            rects[item.status].addRect(x - half, y - NODE_HEIGHT / 2, w, NODE_HEIGHT)
            scene.addItem(item)
            node_items[mid] = item
            columns.setdefault(round((x - w / 2) / step), []).append((y, mid))
            left, right = min(left, x), max(right, x)
            top, bottom = min(top, y), max(bottom, y)
            if k % chunk == chunk - 1:
                yield
        if node_items:
            rect = QRectF(left - w / 2 - ARROW, top - NODE_HEIGHT / 2, right - left + w + ARROW,
                          bottom - top + NODE_HEIGHT)
            for e in layout.back_edges:  # edges of a cyclic project loop below the nodes
                if e in edge_items:
                    rect = rect.united(edge_items[e].boundingRect())
            rect = rect.adjusted(-40, -40, 40, 40)
        else:
            rect = QRectF(0, 0, 10, 10)
        scene.setSceneRect(rect)
        veil, overview_item, lit_overview = self._make_scene_fixtures(scene)
        veil.setRect(rect)
        overview_item.set_content(rects, lines, rect)
        yield

        # swap: from here on the view shows the new scene
        old = self.scene()
        self.highlight(None)
        self.setScene(scene)
        self.layout_result = layout
        self._project, self._snapshot = project, snapshot
        self.nodes, self.edges = node_items, edge_items
        self._deps, self._dependents = deps, dependents
        self._node_width, self._step = w, step
        self._columns = {}
        for k, col in columns.items():
            col.sort()
            self._columns[k] = ([y for y, _ in col], [m for _, m in col])
        self._veil, self._overview, self._lit_overview = veil, overview_item, lit_overview
        self._lit_nodes, self._lit_edges = [], []
        self.hovered_id = None
        self.highlighted = (frozenset(), frozenset())
        self._overview_mode = overview
        self._overview.setVisible(overview)
        self._legend.set_statuses(s.status for s in snapshot.states)
        self._place_legend()
        if self.selected_id in self.nodes:
            self.nodes[self.selected_id].set_selected(True)
            self._overview.set_selected(self._box(self.selected_id))
        else:
            self.selected_id = None
        self.fit()
        self.data_ready.emit()
        if old is None or old is scene:
            return
        # the old scene goes in pieces too (deleting thousands of items at once is a stall)
        try:
            items = [i for i in old.items() if i.parentItem() is None]
            yield
            for k in range(0, len(items), chunk * 2):
                for i in range(k, min(k + chunk * 2, len(items))):
                    old.removeItem(items[i])
                    items[i] = None  # the last reference: the item is deleted here
                yield
        finally:
            if shiboken6.isValid(old):
                old.deleteLater()

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
        """Whole graph in view; small graphs are not blown up beyond a comfortable size."""
        rect = self.scene().sceneRect()
        if not self.nodes or rect.isEmpty():
            return
        # room below for the legend overlay (scene units ~ pixels at the final zoom)
        rect = rect.adjusted(0, 0, 0, self._legend.height())
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.25:
            self.setTransform(self.transform().fromScale(1.25, 1.25))
            self.centerOn(rect.center())
        self._update_lod()

    def zoom_by(self, factor: float) -> None:
        current = self.transform().m11()
        target = min(max(current * factor, min(self.MIN_SCALE, current)), self.MAX_SCALE)
        if target != current:
            self.scale(target / current, target / current)
            self._update_lod()

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
        pen = self._edge_pen(c.edge, _EDGE_WIDTH)
        for e in self._lit_edges:
            e.setZValue(_Z_EDGE)
            e.setPen(pen)
            if self._overview_mode:
                e.setVisible(False)  # the overview item draws the unlit edges
        self._lit_nodes, self._lit_edges = [], []
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
        for group, inside in ((up, up), (downward, downward)):
            for a in group:
                for b in self._dependents[a]:
                    if b in inside:
                        e = self.edges[(a, b)]
                        e.setZValue(_Z_LIT_EDGE)
                        e.setPen(lit_pen)
                        e.setVisible(True)
                        self._lit_edges.append(e)
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

    def _bounds_of_back_edges(self, layout: GraphLayout) -> QRectF:
        rect = QRectF()
        for e in layout.back_edges:
            item = self.edges.get(e)
            if item is not None:
                rect = rect.united(item.boundingRect())
        return rect

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
        """Rich-text tooltip: name, version, status, description, id and neighbour counts."""
        from html import escape

        snap, project = self._snapshot, self._project
        st = snap.by_id.get(mid) if snap is not None and snap.by_id else None
        if st is None and snap is not None:
            st = next((s for s in snap.states if s.id == mid), None)
        m = project.migrations.get(mid) if project is not None else None
        item = self.nodes.get(mid)
        version = st.version if st else (m.version if m else "")
        name = st.name if st else (m.name if m else mid)
        status = st.status if st else (item.status if item else "pending")
        description = st.description if st else (m.description if m else "")
        colour = status_colour(status).name()
        parts = [f"<b>{escape(name)}</b> &nbsp;<span>{escape(version)}</span>",
                 f"<span style='color:{colour}'>&#9679;</span> {escape(STATUS_LABELS.get(status, status))}"]
        if description:
            parts.append(escape(description))
        n_deps = len(self._walk(mid, self._deps)) if mid in self._deps else 0
        n_dependents = len(self._walk(mid, self._dependents)) if mid in self._dependents else 0
        parts.append(f"<small>{escape(mid)}<br>depends on {n_deps} · needed by {n_dependents}"
                     f"</small>")
        return "<qt>" + "<br>".join(parts) + "</qt>"

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

    # -- events --------------------------------------------------------------------------------

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
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
        self._place_legend()

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
            normal = self._edge_pen(self._colours.edge, _EDGE_WIDTH)
            strong = self._edge_pen(self._colours.edge_strong, _LIT_EDGE_WIDTH)
            back = self.layout_result.back_edges if self.layout_result else frozenset()
            for key, e in self.edges.items():
                e.setPen(strong if id(e) in lit else
                         self._edge_pen(self._colours.edge, _EDGE_WIDTH, True) if key in back else normal)
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


__all__ = ["GraphLayout", "GraphView", "NodeItem", "layered_layout", "project_layout", "graph_edges"]
