"""The graph node's rich-text tooltip: name, version, status, description, id, neighbour
counts, and the risk badge's lint rules (SPEC §11)."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..palette import STATUS_LABELS, status_colour
from .items import RISK_COLOURS

if TYPE_CHECKING:
    from .view import GraphView


def node_tooltip(view: "GraphView", mid: str) -> str:
    """Name, version, status, description, id, neighbour counts, and the risk badge's rules."""
    snap, project = view._snapshot, view._project
    st = snap.by_id.get(mid) if snap is not None and snap.by_id else None
    if st is None and snap is not None:
        st = next((s for s in snap.states if s.id == mid), None)
    m = project.migrations.get(mid) if project is not None else None
    item = view.nodes.get(mid)
    version = st.version if st else (m.version if m else "")
    name = st.name if st else (m.name if m else mid)
    status = st.status if st else (item.status if item else "pending")
    description = st.description if st else (m.description if m else "")
    colour = status_colour(status).name()
    parts = [f"<b>{escape(name)}</b> &nbsp;<span>{escape(version)}</span>",
             f"<span style='color:{colour}'>&#9679;</span> {escape(STATUS_LABELS.get(status, status))}"]
    if description:
        parts.append(escape(description))
    n_deps = len(view._walk(mid, view._deps)) if mid in view._deps else 0
    n_dependents = len(view._walk(mid, view._dependents)) if mid in view._dependents else 0
    parts.append(f"<small>{escape(mid)}<br>depends on {n_deps} · needed by {n_dependents}"
                 f"</small>")
    if item is not None and item.risk:
        colour = RISK_COLOURS[item.risk].name()
        parts.append(f"<span style='color:{colour}'>&#9888; {escape(item.risk)}-level risk</span>: "
                     f"{escape(', '.join(item.risk_rules))} (see Findings)")
    return "<qt>" + "<br>".join(parts) + "</qt>"
