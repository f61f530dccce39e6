"""The dependency graph, built in memory: order, cycles, closures, heads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.core.graph import CycleDetected, MigrationGraph, Node


def graph(edges: dict[str, list[str]], versions: dict[str, str] | None = None) -> MigrationGraph:
    versions = versions or {}
    return MigrationGraph(Node(i, versions.get(i, i), tuple(d)) for i, d in edges.items())


def test_without_dependencies_order_is_version_order():
    g = graph({"c": [], "a": [], "b": []}, {"a": "1", "b": "2", "c": "3"})
    assert g.order() == ["a", "b", "c"]


def test_dependencies_come_first_even_when_newer():
    g = graph({"a": ["c"], "b": [], "c": []}, {"a": "1", "b": "2", "c": "3"})
    assert g.order() == ["b", "c", "a"]


def test_closures_and_heads_on_a_diamond():
    g = graph({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    assert g.dependencies("d") == {"a", "b", "c"}
    assert g.dependents("a") == {"b", "c", "d"}
    assert g.dependents("b") == {"d"}
    assert g.heads() == ["d"]
    assert sorted(g.edges()) == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]


def test_cycle_path_is_reported():
    g = graph({"a": ["c"], "b": ["a"], "c": ["b"], "x": []})
    cycle = g.find_cycle()
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    assert not g.acyclic()
    with pytest.raises(CycleDetected):
        g.order()


def test_the_order_is_found_once_and_handed_out_as_a_new_list():
    g = graph({"a": [], "b": ["a"], "c": ["a"]})
    first = g.order()
    first.reverse()  # a caller's list: the graph's own order is not changed by it
    assert g.order() == ["a", "b", "c"] and g.order(["c", "a"]) == ["a", "c"]
    assert g.acyclic() and g.find_cycle() is None
    looped = graph({"a": ["b"], "b": ["a"]})
    assert not looped.acyclic() and not looped.acyclic()  # a cycle is never remembered as an order
    with pytest.raises(CycleDetected):
        looped.order()


def test_self_dependency_is_a_cycle():
    assert graph({"a": ["a"]}).find_cycle() == ["a", "a"]


def test_missing_dependencies_are_listed_and_ignored_for_order():
    g = graph({"a": ["zzz"], "b": ["a"]})
    assert g.missing() == [("a", "zzz")]
    assert g.order() == ["a", "b"]


@st.composite
def dags(draw):
    n = draw(st.integers(1, 40))
    ids = [f"m{i:03d}" for i in range(n)]
    versions = draw(st.permutations(ids))  # versions independent of the topological structure
    edges = {}
    for i, mid in enumerate(ids):
        # only edges to earlier nodes: acyclic by construction
        deps = draw(st.lists(st.sampled_from(ids[:i]), max_size=4, unique=True)) if i else []
        edges[mid] = deps
    return edges, dict(zip(ids, versions))


@settings(max_examples=100, deadline=None)
@given(dags())
def test_random_dags_get_an_order_respecting_every_edge(data):
    edges, versions = data
    g = graph(edges, versions)
    order = g.order()
    assert sorted(order) == sorted(edges)
    pos = {m: i for i, m in enumerate(order)}
    for mid, deps in edges.items():
        for d in deps:
            assert pos[d] < pos[mid]
    assert g.find_cycle() is None and g.acyclic()


@settings(max_examples=100, deadline=None)
@given(dags(), st.data())
def test_random_graphs_with_a_cycle_are_rejected_with_a_real_cycle(data, draw):
    edges, versions = data
    ids = list(edges)
    # close a cycle: pick a path start -> ... and add a back edge
    a = draw.draw(st.sampled_from(ids))
    b = draw.draw(st.sampled_from(ids))
    edges = {k: list(v) for k, v in edges.items()}
    if a == b:
        edges[a].append(a)
    else:
        # make b depend on a, and a depend on b: a two-cycle at least
        edges[a].append(b)
        edges[b].append(a)
    g = graph(edges, versions)
    cycle = g.find_cycle()
    assert cycle is not None and cycle[0] == cycle[-1]
    for x, y in zip(cycle, cycle[1:]):
        assert y in edges[x], f"{x} does not depend on {y}: not a real cycle"
    assert not g.acyclic()
    with pytest.raises(CycleDetected):
        g.order()


def _kahn(g: MigrationGraph) -> list[str]:
    """The apply order by its definition: Kahn's algorithm, ties by (version, id), edges or not."""
    import heapq

    indegree = {i: len(d) for i, d in g._deps.items()}
    heap = [(g.nodes[i].version, i) for i, n in indegree.items() if n == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, nid = heapq.heappop(heap)
        out.append(nid)
        for child in g._dependents[nid]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(heap, (g.nodes[child].version, child))
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_property_order_is_kahns_with_or_without_edges(data):
    """The edge-free shortcut (one sort) gives what the heap walk gives; so do graphs with
    edges, shared versions and dependencies on missing ids."""
    n = data.draw(st.integers(0, 25))
    ids = [f"2025.01.01.{data.draw(st.integers(0, 40)):06d}_m{i}" for i in range(n)]
    nodes = []
    for k, mid in enumerate(ids):
        deps = tuple(data.draw(st.lists(st.sampled_from(ids[:k]), max_size=2))) if k and data.draw(st.booleans()) else ()
        if data.draw(st.integers(0, 9)) == 0:
            deps += ("2025.01.01.000000_gone",)
        nodes.append(Node(mid, mid[:17], deps))
    g = MigrationGraph(nodes)
    assert g.order() == _kahn(g)
