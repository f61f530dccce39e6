"""The graph layout, checked as plain Python (no widgets, no display)."""
from nexo_studio.qt.graph.layout import NODE_WIDTH, LAYER_GAP, layered_layout


def test_layers_routes_and_back_edges():
    # a -> b -> c, a -> c (long edge, routed through a dummy), c -> a closes a cycle
    layout = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "a")])
    assert layout.layers == {"a": 0, "b": 1, "c": 2}
    step = NODE_WIDTH + LAYER_GAP
    assert [layout.positions[n][0] for n in "abc"] == [NODE_WIDTH / 2 + i * step for i in range(3)]
    assert len(layout.routes[("a", "c")]) == 1
    assert layout.routes[("a", "c")][0][0] == NODE_WIDTH / 2 + step
    assert layout.back_edges == frozenset({("c", "a")})
    assert layout.routes[("c", "a")] == ()


def test_crossings_are_removed_when_possible():
    # two crossing pairs in the given order; the sweeps untangle them
    nodes = ["a", "b", "c", "d"]
    layout = layered_layout(nodes, [("a", "d"), ("b", "c")])
    assert layout.crossings == 0
    assert (layout.positions["a"][1] < layout.positions["b"][1]) == \
           (layout.positions["d"][1] < layout.positions["c"][1])
