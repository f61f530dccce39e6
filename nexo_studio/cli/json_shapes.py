"""The JSON documents `--json` prints (README, section `--json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import NexoError
from .context import iso
from .jsontext import Records


#: the keys of each migration in `status --json` (README, JSON)
STATE_KEYS = ("id", "version", "name", "status", "description", "applied_at", "applied_by", "execution_ms",
              "depends", "reversible")


def state_values(s) -> tuple:
    """A migration's values in `status --json`, in ``STATE_KEYS`` order."""
    r, m = s.row, s.migration
    applied = r is not None and s.is_applied  # asked once: status --json asks for 10,000
    return (s.id, s.version, s.name, s.status, s.description,
            iso(r.applied_at) if applied else None, r.applied_by if applied else None,
            r.execution_ms if applied else None, list(m.depends if m else (r.depends if r else ())),
            bool(m and m.reversible(None)))


def state_dict(s) -> dict:
    return dict(zip(STATE_KEYS, state_values(s)))


def state_records(states) -> Records:
    """The migrations of `status --json`: the list of ``state_dict``s, written without building them."""
    return Records(STATE_KEYS, [state_values(s) for s in states])


def result_dict(result) -> dict:
    err_doc = None
    if result.error is not None:
        e = result.error
        err_doc = {"type": type(e).__name__, "message": str(e)}
        for key in ("migration_id", "statement", "line", "dirty"):
            if hasattr(e, key):
                err_doc[key] = getattr(e, key)
        if getattr(e, "path", None):
            err_doc["file"] = str(e.path)
    return {
        "ok": result.ok, "action": result.action, "status": result.status,
        "deployment_id": result.deployment_id, "plan": list(result.plan),
        "applied": result.applied, "rolled_back": result.rolled_back, "failed": result.failed,
        "backup": str(result.backup) if result.backup else None,
        "steps": [{"name": s.name, "status": s.status, "duration_ms": s.duration_ms, "detail": s.detail}
                  for s in result.steps],
        "message": result.message, "error": err_doc,
        "sql": [{"id": mid, "statements": [{"line": ln, "sql": s} for ln, s in st],
                 "findings": [f.as_dict() for f in result.lint if f.migration_id == mid]} for mid, st in result.sql],
        "findings": [f.as_dict() for f in result.lint],
        "migrations": [{"id": ev.migration_id, "action": ev.action, "status": ev.status,
                        "duration_ms": ev.duration_ms, "statements": ev.statements, "rows": ev.rows,
                        "error": ev.error, "statement": ev.statement, "line": ev.line}
                       for ev in result.migrations],
    }


def history_dict(h) -> dict:
    return {
        "seq": h.seq, "deployment_id": h.deployment_id, "migration_id": h.migration_id,
        "action": h.action, "status": h.status, "started_at": iso(h.started_at),
        "finished_at": iso(h.finished_at), "duration_ms": h.duration_ms, "operator": h.operator,
        "host": h.host, "tool_version": h.tool_version,
        "details": json.loads(h.details) if h.details else None, "error": h.error,
        "prev_hash": h.prev_hash, "hash": h.hash,
    }


def error_doc(exc: NexoError) -> dict:
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    findings = getattr(exc, "findings", None)
    if findings:
        doc["findings"] = [f.as_dict() for f in findings]
    changes = getattr(exc, "changes", None)  # SchemaDrift (SPEC §10)
    if changes:
        doc["changes"] = [c.to_dict() for c in changes]
    for key in ("migration_id", "ids", "dependents", "problems", "holder", "host", "port", "path", "line", "targets"):
        value = getattr(exc, key, None)
        if value is not None:
            doc[key] = str(value) if isinstance(value, Path) else value
    return doc


def backup_dict(path: Path) -> dict:
    path = Path(path)
    return {"path": str(path), "size": path.stat().st_size if path.is_file() else None}


def repair_dict(res) -> dict:
    return {"action": res.action, "migration_id": res.migration_id or None, "before": res.before,
            "after": res.after, "seq": res.seq}


def new_dict(path: Path) -> dict:
    from ..core.loader import load_file

    m = load_file(path)
    return {"path": str(path), "id": m.id, "version": m.version, "name": m.name, "depends": list(m.depends)}


def verdict_dict(verdict) -> dict:
    """`audit verify`'s verdict (history chain or exported report): every field, and the text."""
    import dataclasses

    doc = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(verdict).items()}
    doc["seqs"] = list(verdict.seqs)
    doc["message"] = str(verdict)
    return doc


def graph_dict(project, statuses: dict[str, str], findings) -> dict:
    order = sorted(project.migrations, key=lambda i: project.migrations[i].version)
    return {
        "nodes": [{"id": i, "version": project.migrations[i].version, "name": project.migrations[i].name,
                   "status": statuses.get(i, "pending")} for i in order],
        "edges": [[dep, child] for dep, child in sorted(project.graph.edges())],
        "findings": [f.as_dict() for f in findings],
    }
