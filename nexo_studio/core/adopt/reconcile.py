"""The reconciliation between an imported project and the other tool's recorded state."""

from __future__ import annotations

from dataclasses import dataclass

from ..project import Project
from .foreign_state import ForeignState
from .model import parse_origin

KINDS = ("matched-applied", "pending", "applied-without-file", "checksum-mismatch", "failed/dirty")


@dataclass(frozen=True)
class Line:
    kind: str
    foreign_id: str
    migration_id: str | None
    detail: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "foreign_id": self.foreign_id, "migration_id": self.migration_id,
                "detail": self.detail}


def imported(project: Project, tool: str) -> dict[str, tuple[str, dict]]:
    """foreign id -> (nexo id, origin) of the project's migrations imported from ``tool``, in
    apply order."""
    out: dict[str, tuple[str, dict]] = {}
    for mid in project.order():
        m = project.migrations[mid]
        origin = parse_origin(m.path.read_text(encoding="utf-8-sig"))
        if origin and origin["tool"] == tool:
            out[origin["id"]] = (mid, origin)
    return out


def known_graph(project: Project, origins: dict[str, tuple[str, dict]]) -> list[tuple[str, tuple[str, ...]]]:
    """The imported foreign ids in order with their foreign parents (from nexo's depends)."""
    back = {mid: fid for fid, (mid, _o) in origins.items()}
    return [(fid, tuple(back[d] for d in project.migrations[mid].depends if d in back))
            for fid, (mid, _o) in origins.items()]


def reconcile(state: ForeignState, origins: dict[str, tuple[str, dict]]) -> list[Line]:
    lines: list[Line] = [Line("failed/dirty", state.table, None, why) for why in state.dirty]
    for fid, (mid, origin) in origins.items():
        row = state.rows.get(fid)
        if row is None:
            lines.append(Line("pending", fid, mid))
        elif row.state != "applied":
            lines.append(Line("failed/dirty", fid, mid, f"{state.tool} records it {row.state}"
                              + (f" ({row.where})" if row.where else "")))
        elif row.checksum is not None and origin.get("checksum") and row.checksum != origin["checksum"]:
            lines.append(Line("checksum-mismatch", fid, mid,
                              f"{state.tool} applied checksum {row.checksum}, the file has {origin['checksum']}"))
        else:
            lines.append(Line("matched-applied", fid, mid))
    for fid, row in state.rows.items():
        if fid not in origins:
            kind = "failed/dirty" if row.state != "applied" else "applied-without-file"
            said = f"{state.tool} records it {row.state}" + (f" ({row.where})" if row.where else "")
            lines.append(Line(kind, fid, None, f"{said} in {state.table}, and no imported file has it"))
    return lines
