"""The dependency graph: a layered left-to-right drawing of the migration DAG.

* ``layout``  -- :func:`layered_layout` / :func:`project_layout` / :func:`graph_edges`: pure
  Python, no Qt, safe on a worker thread (importing this package does not load Qt).
* ``items``   -- node items, the zoomed-out overview item, edge paths, the legend.
* ``build``   -- building a scene in slices and tearing the old one down.
* ``view``    -- :class:`GraphView`, the widget (``events``: its input handlers).
"""
from .layout import NODE_HEIGHT, NODE_WIDTH, GraphLayout, graph_edges, layered_layout, project_layout, with_inputs


def __getattr__(name: str):  # noqa: ANN202 - the widgets load Qt only when asked for
    if name == "GraphView":
        from .view import GraphView
        return GraphView
    if name == "NodeItem":
        from .items import NodeItem
        return NodeItem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GraphLayout", "GraphView", "NodeItem", "NODE_HEIGHT", "NODE_WIDTH", "layered_layout",
           "project_layout", "graph_edges", "with_inputs"]
