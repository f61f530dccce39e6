"""Rendering for `nexo fleet`: the status table, the matrix, progress lines, the run's result."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from ..context import err, iso
from ..render import _painted, table, use_colour

#: colour keys of render.COLOURS for target states and outcomes
_STATE_COLOUR = {"up_to_date": "ok", "deployed": "ok", "rolled_back": "ok", "dry_run": "ok", "pending": "pending",
                 "failed": "failed", "dirty": "dirty", "drifted": "drifted", "tampered": "dirty",
                 "locked": "warning", "unreachable": "error", "refused": "dirty", "cancelled": "cancelled",
                 "not_started": "dim", "invalid": "error"}


def print_status(rows, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    colour = use_colour(stream)
    table([[r.name, r.dialect, _painted(r.state, _STATE_COLOUR.get(r.state, ""), colour), str(r.applied),
            str(r.pending), r.head or "", (iso(r.last_deployed_at) or "")[:19].replace("T", " "), r.error or ""]
           for r in rows], ["TARGET", "DIALECT", "STATE", "APPLIED", "PENDING", "HEAD", "LAST DEPLOYED (UTC)",
                            "ERROR"], stream=stream)
    counts = Counter(r.state for r in rows)
    stream.write(f"{len(rows)} target(s): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + "\n")


def print_matrix(rows, cols, stream: TextIO | None = None) -> None:
    """Targets × migrations: one letter per cell (A applied, . pending, F failed, D dirty, X drifted,
    M missing), coloured on a terminal, then the target's state and counts."""
    from ...app.fleet.export import LETTERS

    stream = stream or sys.stdout
    colour = use_colour(stream)
    width = max([len(r.name) for r in rows] + [6])
    ruler = "".join(str(i % 10) for i in range(1, len(cols) + 1))
    lines = [f"{'TARGET'.ljust(width)}  {ruler}  SUMMARY"]
    for r in rows:
        if not r.answered:
            cells = "?" * len(cols)
        else:
            cells = "".join(_painted(LETTERS.get(r.migrations.get(c, ""), " "), r.migrations.get(c, ""), colour)
                            for c in cols)
        summary = _painted(r.state, _STATE_COLOUR.get(r.state, ""), colour)
        extra = f" ({r.applied} applied, {r.pending} pending)" if r.answered else f": {r.error}"
        lines.append(f"{r.name.ljust(width)}  {cells}  {summary}{extra}")
    lines.append("")
    lines.append("A applied  . pending  F failed  D dirty  X drifted  M missing  ? unreachable")
    lines += [f"{i:>4}  {c}" for i, c in enumerate(cols, 1)]
    stream.write("\n".join(lines) + "\n")


@dataclass
class Progress:
    """Progress on stderr from the worker threads: a line per target (per migration: verbose)."""

    verbose: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, name: str, ev) -> None:
        from ...core.events import MigrationFinished

        if isinstance(ev, MigrationFinished) and (self.verbose or ev.status != "ok"):
            with self.lock:
                err(f"[{name}] {ev.action} {ev.migration_id}: {ev.status} ({ev.duration_ms} ms)"
                    + (f": {ev.error}" if ev.error else ""))

    def on_done(self, o) -> None:
        with self.lock:
            what = o.result.message.splitlines()[0] if o.result is not None and o.result.message else (o.error or "")
            err(f"[{o.name}] {o.status}{': ' + what if what else ''}")


def outcome_dict(o) -> dict:
    r = o.result
    doc = {"name": o.name, "dialect": o.dialect, "status": o.status, "ok": o.ok, "canary": o.canary,
           "exit_code": o.exit_code, "deployment_id": r.deployment_id if r else None,
           "plan": list(r.plan) if r else [], "applied": list(r.applied) if r else [],
           "rolled_back": list(r.rolled_back) if r else [], "failed": r.failed if r else None,
           "backup": str(r.backup) if r and r.backup else None,
           "message": (r.message if r else o.error) or None,
           "error": {"type": o.error_type, "message": o.error} if o.error else None}
    if r is not None and r.status == "dry_run":
        doc["sql"] = [{"id": mid, "statements": [{"line": ln, "sql": s} for ln, s in st]} for mid, st in r.sql]
    return doc


def run_dict(fleet) -> dict:
    return {"ok": fleet.ok, "action": fleet.action, "fleet_id": fleet.fleet_id, "cancelled": fleet.cancelled,
            "exit_code": fleet.exit_code, "targets": [outcome_dict(o) for o in fleet.outcomes]}


def print_run(fleet, stream: TextIO) -> None:
    colour = use_colour(stream)
    rows = []
    for o in fleet.outcomes:
        r = o.result
        message = ((r.message if r else o.error) or "").splitlines()
        rows.append([o.name + (" (canary)" if o.canary else ""), o.dialect,
                     _painted(o.status, _STATE_COLOUR.get(o.status, ""), colour),
                     str(len(r.applied)) if r else "", str(len(r.rolled_back)) if r else "",
                     message[0] if message else ""])
    table(rows, ["TARGET", "DIALECT", "RESULT", "APPLIED", "ROLLED BACK", "MESSAGE"], stream=stream)
    counts = Counter(o.status for o in fleet.outcomes)
    stream.write(f"fleet {fleet.fleet_id}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                 + (" (cancelled)" if fleet.cancelled else "") + "\n")
