"""Synthetic migration graphs for the graph-view tests and benchmarks/gui.py."""

from __future__ import annotations

import random
from pathlib import Path

from nexo_studio.core.model import Migration
from nexo_studio.core.project import Project


def random_dag(n: int, seed: int = 1) -> tuple[list[str], list[tuple[str, str]]]:
    """Migration-like DAG: each node depends on 1-3 of the 15 before it."""
    rng = random.Random(seed)
    nodes = [f"m{i:05d}" for i in range(n)]
    edges = []
    for i in range(1, n):
        for d in {rng.randrange(max(0, i - 15), i) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))}:
            edges.append((nodes[d], nodes[i]))
    return nodes, edges


def project_from_dag(nodes: list[str], edges: list[tuple[str, str]]) -> Project:
    """A Project (no files) whose migrations depend as ``edges`` say (dependency, dependent)."""
    deps: dict[str, list[str]] = {}
    for a, b in edges:
        deps.setdefault(b, []).append(a)
    ids = {n: f"2025.01.01.{i:06d}_{n}" for i, n in enumerate(nodes)}
    return Project.from_migrations(Path("."), {
        ids[n]: Migration(ids[n], ids[n].split("_")[0], n, Path(ids[n] + ".sql"), "sql",
                          depends=tuple(ids[d] for d in deps.get(n, ())))
        for n in nodes
    })
