"""The dependency graph of migrations: pure data, no files, no database.

Built from ``{id: (version, depends)}`` so tests need nothing else. Apply order is a topological
order with ties broken by version (a project without ``depends`` runs in version order).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import CycleDetected  # noqa: F401  (re-exported: callers import it from here)


@dataclass(frozen=True)
class Node:
    id: str
    version: str
    depends: tuple[str, ...]


class MigrationGraph:
    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: dict[str, Node] = {n.id: n for n in nodes}
        # edges only between known nodes; unknown dependencies are reported by missing()
        known = self.nodes
        self._deps: dict[str, tuple[str, ...]] = {
            n.id: tuple(d for d in dict.fromkeys(n.depends) if d in known) if n.depends else ()
            for n in known.values()
        }
        self._dependents: dict[str, list[str]] = {i: [] for i in self.nodes}
        for nid, deps in self._deps.items():
            for d in deps:
                self._dependents[d].append(nid)
        #: the full apply order, once found (the graph does not change): status, validate and the
        #: planner each ask for it
        self._order: tuple[str, ...] | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, tuple[str, Iterable[str]]]) -> "MigrationGraph":
        return cls(Node(i, v, tuple(d)) for i, (v, d) in data.items())

    def __contains__(self, mid: str) -> bool:
        return mid in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def _key(self, mid: str) -> tuple[str, str]:
        return (self.nodes[mid].version, mid)

    # -- problems ------------------------------------------------------------------------------

    def missing(self) -> list[tuple[str, str]]:
        """``(id, missing_dependency)`` pairs, in id order."""
        return [
            (n.id, d) for n in sorted(self.nodes.values(), key=lambda n: n.id)
            for d in n.depends if d not in self.nodes
        ]

    def find_cycle(self) -> list[str] | None:
        """One dependency cycle as a path ``[a, b, …, a]`` (a depends on b …), or None."""
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.nodes, white)
        for start in sorted(self.nodes, key=self._key):
            if colour[start] != white:
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            path: list[str] = [start]
            colour[start] = grey
            while stack:
                nid, i = stack[-1]
                deps = self._deps[nid]
                if i < len(deps):
                    stack[-1] = (nid, i + 1)
                    d = deps[i]
                    if colour[d] == grey:
                        return path[path.index(d):] + [d]
                    if colour[d] == white:
                        colour[d] = grey
                        stack.append((d, 0))
                        path.append(d)
                else:
                    colour[nid] = black
                    stack.pop()
                    path.pop()
        return None

    # -- order ---------------------------------------------------------------------------------

    def order(self, subset: Iterable[str] | None = None) -> list[str]:
        """Topological apply order (dependencies first), ties broken by version then id.

        With ``subset``, the order of those ids only (edges through other nodes still count
        for their relative order because the full order is filtered). Raises CycleDetected.
        """
        out = self._order
        if out is None:
            out = self._order = self._topological()
        if subset is None:
            return list(out)
        wanted = set(subset)
        return [i for i in out if i in wanted]

    def _topological(self) -> tuple[str, ...]:
        indegree = {i: len(d) for i, d in self._deps.items()}
        nodes = self.nodes
        heap = [(nodes[i].version, i) for i, n in indegree.items() if n == 0]  # self._key, inline
        if len(heap) == len(nodes):  # no edges (a project without depends): version order
            return tuple(i for _, i in sorted(heap))
        heapq.heapify(heap)
        out: list[str] = []
        while heap:
            _, nid = heapq.heappop(heap)
            out.append(nid)
            for child in self._dependents[nid]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(heap, self._key(child))
        if len(out) != len(self.nodes):
            raise CycleDetected(self.find_cycle() or [])
        return tuple(out)

    def acyclic(self) -> bool:
        """Whether the graph has no cycle (an order exists: no search for the cycle's path)."""
        try:
            self.order()
        except CycleDetected:
            return False
        return True

    # -- closures ------------------------------------------------------------------------------

    def dependencies(self, mid: str) -> set[str]:
        """Transitive dependencies of ``mid`` (not including it)."""
        return self._walk(mid, self._deps)

    def dependents(self, mid: str) -> set[str]:
        """Transitive dependents of ``mid`` (not including it)."""
        return self._walk(mid, self._dependents)

    def direct_dependencies(self, mid: str) -> tuple[str, ...]:
        return self._deps[mid]

    def direct_dependents(self, mid: str) -> tuple[str, ...]:
        return tuple(self._dependents[mid])

    @staticmethod
    def _walk(start: str, edges: Mapping[str, Iterable[str]]) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges[n])
        return seen

    def heads(self) -> list[str]:
        """Migrations nothing depends on, in version order."""
        return sorted((i for i, d in self._dependents.items() if not d), key=self._key)

    def edges(self) -> list[tuple[str, str]]:
        """``(dependency, dependent)`` pairs."""
        return [(d, i) for i, deps in self._deps.items() for d in deps]
