"""`status --from` and `adopt --from`: read the other tool's state (never changing it),
reconcile it with the imported project, and record the adoption in nexo's tables the way
`baseline` does (the state store's APIs, under the lock, one transaction)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from ...errors import ForeignDirty, ForeignMismatch, InvalidInput
from ..events import Event, Log
from ..project import Project, read_snapshot
from ..state.store import new_deployment_id, utcnow
from ..target import Target
from .foreign_state import TABLES, ForeignState, read_state
from .reconcile import Line, imported, known_graph, reconcile


@dataclass(frozen=True)
class Reconciliation:
    state: ForeignState
    lines: list[Line]

    def of(self, *kinds: str) -> list[Line]:
        return [line for line in self.lines if line.kind in kinds]

    def as_dict(self) -> dict:
        counts: dict[str, int] = {}
        for line in self.lines:
            counts[line.kind] = counts.get(line.kind, 0) + 1
        return {"tool": self.state.tool, "table": self.state.table, "found": self.state.found,
                "rows": len(self.state.raw), "counts": counts, "migrations": [x.as_dict() for x in self.lines]}


def _database_path(target: Target) -> str | None:
    return target.url.database if target.rules.is_local_file() else None


def foreign_status(project: Project | None, target: Target, tool: str, conn=None) -> Reconciliation:
    """Read-only: the other tool's recorded state against the imported files (``project`` None:
    nothing imported, every applied row is shown as it is recorded)."""
    origins = imported(project, tool) if project is not None else {}
    if target.absent():
        empty = ForeignState(tool, TABLES[tool])
        return Reconciliation(empty, reconcile(empty, origins))
    graph = known_graph(project, origins) if project is not None and origins else []
    if conn is None:
        with target.connect() as own:
            state = read_state(tool, own, graph, _database_path(target))
    else:
        state = read_state(tool, conn, graph, _database_path(target))
    return Reconciliation(state, reconcile(state, origins))


def refuse(rec: Reconciliation, accept_mismatch: bool) -> None:
    """Exit 3 on failed/dirty foreign rows; exit 2 on mismatches unless accepted."""
    tool = rec.state.tool
    if not rec.state.found:
        raise InvalidInput(f"no {tool} state table ({rec.state.table}) in this database: nothing to adopt")
    bad = rec.of("failed/dirty")
    if bad:
        raise ForeignDirty(tool, [f"{x.foreign_id}: {x.detail}" for x in bad])
    mismatched = rec.of("checksum-mismatch", "applied-without-file")
    if mismatched and not accept_mismatch:
        raise ForeignMismatch(tool, [f"{x.foreign_id} ({x.kind}): {x.detail}" for x in mismatched])


def adopt(project: Project, target: Target, tool: str, accept_mismatch: bool = False, dry_run: bool = False,
          lock_timeout: float = 30.0) -> Generator[Event, None, tuple[Reconciliation, list[str]]]:
    """Record the other tool's applied migrations as applied in nexo's tables without running
    them: one `adopt` history row per migration and a summary row (tool, table, row count,
    SHA-256 of its rows), all in one transaction under the lock."""
    from ..operations import refuse_invalid
    from ..pipeline import _row_for, refuse_blocked

    refuse_invalid(project, target)
    if dry_run:
        rec = foreign_status(project, target, tool)
        refuse(rec, accept_mismatch)
        return rec, []
    with target.connect() as conn, target.locked(lock_timeout):
        rec = foreign_status(project, target, tool, conn)
        refuse(rec, accept_mismatch)
        snap = read_snapshot(project, target, conn)
        if snap.tampered_tables:
            refuse_blocked(snap)
        # only migrations nexo has never recorded: once nexo rolled one back, the other tool's
        # table (which nexo never changes) is stale about it
        todo = [(x, mid) for x in rec.of("matched-applied", "checksum-mismatch")  # these have a nexo id
                if (mid := x.migration_id) is not None
                and snap.by_id[mid].row is None and snap.by_id[mid].status == "pending"]
        if not todo:  # adopted already (or nothing applied by the other tool): record nothing
            return rec, []
        store = target.store
        store.ensure(conn)
        deployment_id = new_deployment_id()
        from ..state.snapshots import capture, record

        cap = capture(conn, store)  # the adopted schema is the accepted one (SPEC §10)
        with conn.begin():
            for x, mid in todo:
                m = project.migrations[mid]
                started = utcnow()
                store.put_migration(conn, **_row_for(m, target, "applied", started, 0, deployment_id))
                store.append(conn, action="adopt", status="ok", started_at=started, migration_id=m.id,
                             deployment_id=deployment_id,
                             details={"tool": tool, "foreign_id": x.foreign_id, "reconciliation": x.kind,
                                      "checksum": m.checksum(target.dialect)})
            row = store.append(conn, action="adopt", status="ok", started_at=utcnow(), deployment_id=deployment_id,
                               details={"tool": tool, "table": rec.state.table, "rows": len(rec.state.raw),
                                        "rows_sha256": rec.state.rows_sha256, "adopted": len(todo),
                                        **cap.details()})
            record(store, conn, cap, row.seq)
    yield Log("info", f"adopted {len(todo)} migration(s) from {tool} ({rec.state.table}, "
                      f"{len(rec.state.raw)} rows)")
    return rec, [mid for _x, mid in todo]
