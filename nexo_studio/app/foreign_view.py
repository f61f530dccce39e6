"""A database as another tool recorded it (SPEC §8 `status --from`), shaped like what the window
shows of a nexo database: a Snapshot for the migrations table and graph, history rows for the
timeline. Read-only: it reads the other tool's table and creates nothing, in either tool's tables.

Statuses: matched-applied and applied-without-file are ``applied`` (the tool applied them),
checksum-mismatch is ``drifted``, the tool's failed rows ``failed`` and its dirty ones ``dirty``,
an imported migration the tool never ran ``pending``. History: one row per row of the other
tool's table that records a time (Flyway ``installed_on``, Liquibase ``dateexecuted``, Sqitch
``committed_at``); golang-migrate, dbmate and Alembic record none, so their history is empty."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.adopt.operation import Reconciliation
    from ..core.project import Project, Snapshot
    from ..core.state.store import HistoryRow
    from .session import Session

#: the column of each tool's table that names the foreign migration
_KEYS = {"flyway": ("version",), "liquibase": ("id", "author"), "alembic": ("version_num",),
         "sqitch": ("change",), "golang-migrate": ("version",), "dbmate": ("version",)}
_TIMES = ("installed_on", "dateexecuted", "committed_at")
_STATUS = {"matched-applied": "applied", "applied-without-file": "applied", "checksum-mismatch": "drifted",
           "pending": "pending"}


@dataclass(frozen=True)
class ForeignView:
    tool: str
    table: str
    found: bool
    #: the imported project's migrations from this tool (empty without an imported project)
    project: "Project"
    snapshot: "Snapshot"
    history: tuple["HistoryRow", ...]
    reconciliation: "Reconciliation"


def _row_dicts(rec: "Reconciliation") -> list[dict[str, Any]]:
    cols = rec.state.columns
    return [dict(zip(cols, raw)) for raw in rec.state.raw] if cols else []


def _key(tool: str, row: dict[str, Any]) -> str | None:
    parts = [row.get(c) for c in _KEYS[tool]]
    return None if any(p is None for p in parts) else "::".join(str(p) for p in parts)


def _time(row: dict[str, Any]) -> datetime | None:
    for col in _TIMES:
        text = row.get(col)
        if text:
            try:
                return datetime.fromisoformat(str(text))
            except ValueError:
                continue
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _states(rec: "Reconciliation", project: "Project", dialect: str, rows: dict[str, dict[str, Any]]):
    from ..core.project import MigrationState
    from ..core.state.store import MigrationRow

    states: list[Any] = []
    previous: str | None = None
    for line in rec.lines:
        if line.migration_id is None and line.foreign_id == rec.state.table:
            continue  # the tool's lock held: a finding, not a migration
        kind = line.kind
        recorded = rec.state.rows.get(line.foreign_id)
        status = _STATUS.get(kind) or (recorded.state if recorded is not None and recorded.state == "failed" else "dirty")
        m = project.migrations.get(line.migration_id) if line.migration_id else None
        mid = line.migration_id or line.foreign_id
        found = rows.get(line.foreign_id, {})
        row = None
        if status != "pending":
            foreign = recorded.checksum if recorded is not None and recorded.checksum else kind
            # an imported file that matches is "ok"; otherwise the tool's own checksum, as recorded
            checksum = m.checksum(dialect) if m is not None and status == "applied" else f"{rec.state.tool}:{foreign}"
            row = MigrationRow(mid, m.version if m else line.foreign_id, m.name if m else line.foreign_id,
                               found.get("description") or (m.description if m else None), checksum,
                               "applied" if status in ("applied", "drifted") else "failed",
                               (previous,) if previous and m is None else (), _time(found),
                               found.get("installed_by"), _int(found.get("execution_time")), {})
        states.append(MigrationState(mid, m.version if m else line.foreign_id, m.name if m else line.foreign_id,
                                     status, m, row))
        previous = mid
    return states


def _findings(rec: "Reconciliation") -> list[Any]:
    from ..core.validate import Finding

    out = []
    for line in rec.lines:
        if line.kind in ("matched-applied", "pending"):
            continue
        ids = (line.migration_id or line.foreign_id,)
        out.append(Finding("error" if line.kind == "failed/dirty" else "warning", line.kind, ids, f"{rec.state.tool}: {line.foreign_id}: {line.detail or line.kind}"))
    if not rec.state.found:
        out.append(Finding("warning", "foreign_state", (), f"no {rec.state.tool} table ({rec.state.table}) "
                                                           "in this database"))
    return out


def _history(rec: "Reconciliation", ids: dict[str, str]) -> tuple["HistoryRow", ...]:
    from ..core.state.store import HistoryRow

    out: list[HistoryRow] = []
    for row in _row_dicts(rec):
        when = _time(row)
        if when is None:
            continue
        fid = _key(rec.state.tool, row)
        ok = str(row.get("success", "true")).lower() not in ("false", "0") and \
            str(row.get("exectype", "")).upper() != "FAILED"
        out.append(HistoryRow(len(out) + 1, None, ids.get(fid or "", fid), rec.state.tool, "ok" if ok else "failed",
                              when if when.tzinfo else when.replace(tzinfo=timezone.utc),
                              when if when.tzinfo else when.replace(tzinfo=timezone.utc),
                              _int(row.get("execution_time")), row.get("installed_by"), None, None,
                              json.dumps({"table": rec.state.table, **row}, default=str), None, "", ""))
    return tuple(out)


def read_foreign_view(session: "Session", tool: str, project: "Project | None") -> ForeignView:
    """What the window shows in ``--from TOOL`` mode. ``project``: the folder's project, of which
    only the migrations imported from ``tool`` are shown (None: the tool's table alone)."""
    from ..core.adopt.reconcile import imported
    from ..core.project import Project, Snapshot
    from .adopt import status_from

    origins = imported(project, tool) if project is not None else {}
    mine = Project.from_migrations(project.directory if project is not None else session.config.migrations_dir,
                                   {mid: project.migrations[mid] for mid, _o in origins.values()}
                                   if project is not None else {})
    rec = status_from(session, tool, mine if origins else None)
    rows = {k: r for r in _row_dicts(rec) if (k := _key(tool, r)) is not None}
    states = _states(rec, mine, session.target.dialect, rows)
    snap = Snapshot(session.target.dialect, tuple(states), tuple(_findings(rec)))
    snap.by_id.update({s.id: s for s in states})
    ids = {line.foreign_id: line.migration_id or line.foreign_id for line in rec.lines}
    return ForeignView(tool, rec.state.table, rec.state.found, mine, snap, _history(rec, ids), rec)


def last_applied(snap: "Snapshot") -> str | None:
    """The version the other tool applied last, in its own order (the snapshot's states are in
    that order): not ``Snapshot.schema_version``, the largest as text, for which "4" beats "10"."""
    applied = [s.version for s in snap.states if s.is_applied]
    return applied[-1] if applied else None
