"""The dependency graph as Graphviz DOT (`nexo graph`, and the GUI's File → Export graph as DOT)."""

from __future__ import annotations

from collections.abc import Mapping

from .project import Project

FILL = {"applied": "#c8e6c9", "pending": "#fff3c4", "dirty": "#ffcdd2", "failed": "#ffcdd2",
        "drifted": "#e1bee7", "missing": "#e1bee7"}


def graph_dot(project: Project, statuses: Mapping[str, str]) -> str:
    """One node per migration (version, name, status), one edge per dependency."""
    lines = ["digraph migrations {",
             '  rankdir=LR; node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for mid in sorted(project.migrations, key=lambda i: project.migrations[i].version):
        st = statuses.get(mid, "pending")
        label = f"{project.migrations[mid].version}\\n{project.migrations[mid].name}\\n[{st}]"
        lines.append(f'  "{mid}" [label="{label}", fillcolor="{FILL.get(st, "#ffffff")}"];')
    for dep, child in sorted(project.graph.edges()):
        lines.append(f'  "{dep}" -> "{child}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
