"""Graph layout: where each node and edge of the migration DAG goes. Pure Python, no Qt, so a
caller may run it on a worker thread and a test may check it without a display.

Sugiyama-style: layers by longest path from the roots, long edges split by dummy nodes,
crossings reduced by barycentre sweeps (the best ordering seen is kept, judged by an exact
crossing count), then vertical positions by repeated neighbour averaging with minimum-spacing
constraints solved exactly per layer (isotonic regression). grandalf's Sugiyama was measured
first: 6.7 s for 2,000 nodes, too slow for the 1 s budget; this takes about 0.3 s
(``benchmarks/gui.py`` prints the figure).
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ...core.project import Project, Snapshot


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
    #: what the worker computed with the layout, so the GUI thread does not: the nodes and
    #: edges laid out, and the banner's problems (missing dependencies, one cycle)
    nodes: tuple[str, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()
    problems: tuple[tuple[tuple[str, str], ...], tuple[str, ...] | None] | None = None

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


@dataclass
class _Layered:
    """The graph split into layers: real nodes first (index = position in ``nodes``), then the
    dummy vertices that carry long edges through the layers they cross."""

    vlayer: list[int]
    is_dummy: list[bool]
    up: list[list[int]]      # neighbours in the previous layer
    down: list[list[int]]    # neighbours in the next layer
    chains: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    back: set[tuple[str, str]] = field(default_factory=set)
    direct: list[tuple[str, str]] = field(default_factory=list)


def _clean_edges(nodes: Sequence[str], edges: Iterable[tuple[str, str]]
                 ) -> tuple[list[str], list[tuple[str, str]], dict[str, list[str]], dict[str, list[str]]]:
    """Nodes without repeats; edges between known nodes, without repeats or self loops; each
    node's dependencies and dependents."""
    nodes = list(dict.fromkeys(nodes))
    known = set(nodes)
    edge_list = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    deps: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edge_list:
        deps[b].append(a)
        children[a].append(b)
    return nodes, edge_list, deps, children


def _add_chain(g: _Layered, src: int, dst: int, first: int, stop: int) -> list[int]:
    """Dummy vertices for layers ``first``..``stop - 1`` linking ``src`` to ``dst``."""
    prev = src
    chain: list[int] = []
    for layer in range(first, stop):
        d = len(g.vlayer)
        g.vlayer.append(layer)
        g.is_dummy.append(True)
        g.up.append([prev])
        g.down.append([])
        g.down[prev].append(d)
        chain.append(d)
        prev = d
    g.down[prev].append(dst)
    g.up[dst].append(prev)
    return chain


def _split_long_edges(nodes: list[str], edge_list: list[tuple[str, str]],
                      layer_of: dict[str, int]) -> _Layered:
    """Back edges aside; forward edges longer than one layer get a chain of dummies (within
    ``MAX_DUMMIES``; beyond it they are drawn straight)."""
    vid = {n: i for i, n in enumerate(nodes)}
    g = _Layered([layer_of[n] for n in nodes], [False] * len(nodes),
                 [[] for _ in nodes], [[] for _ in nodes])
    forward = []
    for a, b in edge_list:
        span = layer_of[b] - layer_of[a]
        if span <= 0:
            g.back.add((a, b))
        else:
            forward.append((span, a, b))
    forward.sort(key=lambda t: t[0])  # short edges get routed first when the budget runs out
    budget = MAX_DUMMIES
    for span, a, b in forward:
        if span > 1 and span - 1 > budget:
            g.direct.append((a, b))
            continue
        chain = _add_chain(g, vid[a], vid[b], layer_of[a] + 1, layer_of[b])
        budget -= len(chain)
        g.chains[(a, b)] = chain
    return g


def _initial_order(g: _Layered, n_real: int, n_layers: int) -> list[list[int]]:
    """Initial order inside each layer: first appearance in a depth-first walk from the roots in
    the given order, so related nodes start next to each other."""
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    placed = [False] * len(g.vlayer)
    for root in range(n_real):
        if placed[root] or g.up[root]:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if placed[v]:
                continue
            placed[v] = True
            layers[g.vlayer[v]].append(v)
            stack.extend(reversed(g.down[v]))
    for v in range(len(g.vlayer)):
        if not placed[v]:
            layers[g.vlayer[v]].append(v)
    return layers


class _Ordering:
    """The order of vertices inside each layer, with each vertex's slot, changed by sweeps."""

    def __init__(self, g: _Layered, layers: list[list[int]]) -> None:
        self.g = g
        self.layers = layers
        self.n_layers = len(layers)
        self.pos = [0] * len(g.vlayer)
        for layer in layers:
            self.renumber(layer)
        self.adjacent_edges: list[list[tuple[int, int]]] = [[] for _ in range(max(self.n_layers - 1, 0))]
        for v in range(len(g.vlayer)):
            for w in g.down[v]:
                self.adjacent_edges[g.vlayer[v]].append((v, w))

    def renumber(self, layer: list[int]) -> None:
        for i, v in enumerate(layer):
            self.pos[v] = i

    def crossings(self) -> int:
        layers = self.layers
        return sum(_count_crossings(layers[i], layers[i + 1], self.adjacent_edges[i], self.pos,
                                    len(layers[i + 1]))
                   for i in range(self.n_layers - 1))

    def sweep(self, downwards: bool) -> None:
        """Sort each layer by the barycentre of its neighbours in the layer before (downwards)
        or after; vertices without neighbours keep their current slot."""
        rng = range(1, self.n_layers) if downwards else range(self.n_layers - 2, -1, -1)
        pos = self.pos
        for li in rng:
            layer = self.layers[li]
            fixed: list[float] = []
            last = -1.0
            for v in layer:
                nb = self.g.up[v] if downwards else self.g.down[v]
                # no neighbours: just after the one before, so it keeps its slot
                last = sum(pos[u] for u in nb) / len(nb) if nb else last + 1e-6
                fixed.append(last)
            order = sorted(range(len(layer)), key=lambda i: (fixed[i], pos[layer[i]]))
            layer[:] = [layer[i] for i in order]
            self.renumber(layer)


def _reduce_crossings(g: _Layered, layers: list[list[int]], sweeps: int, started: float,
                      time_budget: float) -> tuple[list[list[int]], int]:
    """Alternating barycentre sweeps; the ordering with the fewest crossings seen is kept."""
    o = _Ordering(g, layers)
    best = o.crossings()
    best_layers = [list(layer) for layer in o.layers]
    for it in range(sweeps):
        if best == 0 or time.perf_counter() - started > time_budget:
            break
        o.sweep(downwards=(it % 2 == 0))
        c = o.crossings()
        if c < best:
            best = c
            best_layers = [list(layer) for layer in o.layers]
    return best_layers, best


def _spacing_for(layer: list[int], is_dummy: list[bool], heights: list[float]) -> list[float]:
    out = []
    for a, b in zip(layer, layer[1:]):
        gap = NODE_GAP if not (is_dummy[a] or is_dummy[b]) else DUMMY_GAP
        out.append((heights[a] + heights[b]) / 2 + gap)
    return out


def _stacked(layers: list[list[int]], spacings: list[list[float]], y: list[float]) -> None:
    """Start positions: each layer stacked at its minimum spacing, centred on 0."""
    for li, layer in enumerate(layers):
        acc = 0.0
        for i, v in enumerate(layer):
            if i:
                acc += spacings[li][i - 1]
            y[v] = acc
        shift = acc / 2
        for v in layer:
            y[v] -= shift


def _place(g: _Layered, layer: list[int], spacing: list[float], y: list[float], weights: list[float],
           use_up: bool, use_down: bool) -> None:
    """Move one layer's vertices as near the mean of their neighbours as spacing allows."""
    if not layer:
        return
    desired = []
    for v in layer:
        nb = (g.up[v] if use_up else []) + (g.down[v] if use_down else [])
        desired.append(sum(y[u] for u in nb) / len(nb) if nb else y[v])
    placed_y = _isotonic_positions(desired, [weights[v] for v in layer], spacing)
    for v, yy in zip(layer, placed_y):
        y[v] = yy


def _vertical_positions(g: _Layered, layers: list[list[int]], node_height: float) -> list[float]:
    """Each vertex's y: stacked, then four down-and-up passes and two two-sided passes."""
    y = [0.0] * len(g.vlayer)
    heights = [0.0 if d else node_height for d in g.is_dummy]
    spacings = [_spacing_for(layer, g.is_dummy, heights) for layer in layers]
    _stacked(layers, spacings, y)
    weights = [1.0 if d else 2.0 for d in g.is_dummy]
    n_layers = len(layers)
    for _ in range(4):
        for li in range(1, n_layers):
            _place(g, layers[li], spacings[li], y, weights, True, False)
        for li in range(n_layers - 2, -1, -1):
            _place(g, layers[li], spacings[li], y, weights, False, True)
    for _ in range(2):
        for li in range(n_layers):
            _place(g, layers[li], spacings[li], y, weights, True, True)
    return y


def _scene_coordinates(nodes: list[str], g: _Layered, y: list[float], node_width: float,
                       node_height: float, layer_gap: float
                       ) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], tuple[tuple[float, float], ...]]]:
    """Node centres and edge routes in scene units (top edge of the highest node at 0)."""
    vlayer = g.vlayer
    top = min(y, default=0.0) - node_height / 2
    step = node_width + layer_gap
    positions = {n: (vlayer[i] * step + node_width / 2, y[i] - top) for i, n in enumerate(nodes)}
    routes = {
        e: tuple((vlayer[d] * step + node_width / 2, y[d] - top) for d in chain)
        for e, chain in g.chains.items()
    }
    for e in g.direct:
        routes[e] = ()
    for e in g.back:
        routes[e] = ()
    return positions, routes


def layered_layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]], *,
                   node_width: float = NODE_WIDTH, node_height: float = NODE_HEIGHT,
                   layer_gap: float = LAYER_GAP, sweeps: int = 8,
                   time_budget: float = 0.6) -> GraphLayout:
    """Lay out a DAG left to right. ``nodes`` in a preferred order (apply order reads best);
    ``edges`` as (dependency, dependent) pairs. Pure Python; safe on a worker thread."""
    started = time.perf_counter()
    nodes, edge_list, deps, children = _clean_edges(nodes, edges)
    layer_of = _layers_by_longest_path(nodes, deps, children)
    n_layers = max(layer_of.values(), default=-1) + 1
    g = _split_long_edges(nodes, edge_list, layer_of)
    layers = _initial_order(g, len(nodes), n_layers)
    layers, best = _reduce_crossings(g, layers, sweeps, started, time_budget)
    y = _vertical_positions(g, layers, node_height)
    positions, routes = _scene_coordinates(nodes, g, y, node_width, node_height, layer_gap)
    return GraphLayout(positions, dict(layer_of), routes, frozenset(g.back), best,
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
    known = set(nodes)
    if snapshot is not None:
        extra = [s for s in snapshot.states if s.id not in known]
        nodes.extend(s.id for s in extra)
        known.update(s.id for s in extra)
        for s in extra:
            if s.row is not None:
                edges.extend((d, s.id) for d in s.row.depends if d in known)
    # a dependency nobody has: a ghost node, so the broken edge is visible
    for mid, dep in project.graph.missing():
        if dep not in known:
            nodes.append(dep)
            known.add(dep)
        edges.append((dep, mid))
    return nodes, edges


def ghost_ids(project: Project, snapshot: Snapshot | None, nodes: Iterable[str]) -> frozenset[str]:
    """Nodes that are neither a migration file nor a database row: missing dependencies."""
    rows = {s.id for s in snapshot.states} if snapshot is not None else set()
    return frozenset(n for n in nodes if n not in project.migrations and n not in rows)


def project_layout(project: Project, snapshot: Snapshot | None = None,
                   node_width: float = NODE_WIDTH) -> GraphLayout:
    """The layout for a project (safe to compute on a worker thread; get ``node_width`` from
    :meth:`GraphView.node_width_for` on the GUI thread first)."""
    nodes, edges = graph_edges(project, snapshot)
    return with_inputs(layered_layout(nodes, edges, node_width=node_width), project, nodes, edges)


def with_inputs(layout: GraphLayout, project: Project, nodes: Sequence[str],
                edges: Sequence[tuple[str, str]]) -> GraphLayout:
    """``layout`` carrying its nodes, edges and the project's missing dependencies and cycle
    (computed here, on the worker, instead of on the GUI thread when the scene is built)."""
    cycle = project.graph.find_cycle()
    return replace(layout, nodes=tuple(nodes), edges=tuple(edges),
                   problems=(tuple(project.graph.missing()), tuple(cycle) if cycle else None))


