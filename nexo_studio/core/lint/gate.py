"""The deploy gate (SPEC §11): ``deploy`` refuses error-level findings in the ``up`` sections it
would run, unless ``--allow-risky`` or the migration allows the rule. Rollback is never gated.

Row estimates raise levels; they are read once, read-only, *before* the deploy lock (a capped
``COUNT(*)`` can take a moment, and nobody should wait on the lock for it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ...errors import NexoError, RiskyMigration
from .hooks import gate_findings
from .model import LintFinding
from .sizes import estimate_rows


@dataclass
class Prelook:
    """What the read-only look before the lock found: the plan it saw, its findings, the sizes."""

    ids: tuple[str, ...] = ()
    findings: list[LintFinding] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


def prelook(project, target, to: str | None) -> Prelook:
    """Plan, lint and row estimates from a read-only look (no lock, nothing written). A database
    that cannot be read now gives no estimates: the locked stage reports the real problem."""
    from ..planner import deploy_plan
    from ..project import snapshot

    if target.absent():
        return Prelook()
    try:
        with target.connect() as conn:
            # the rows only: the locked stage reads the whole state (history chain included)
            snap = snapshot(project, target.store.applied(conn), target.dialect)
            ids = tuple(deploy_plan(project, snap, to).ids)
            findings = gate_findings(project, ids, target.dialect)
            tables = {f.table for f in findings if f.table}
            sizes = estimate_rows(conn, target.dialect, tables) if tables else {}
    except (NexoError, sa.exc.SQLAlchemyError):
        return Prelook()
    if sizes:
        findings = gate_findings(project, ids, target.dialect, sizes)
    return Prelook(ids, findings, sizes)


def gate(project, dialect: str, ids: tuple[str, ...], seen: Prelook, allow_risky: bool) -> list[LintFinding]:
    """The findings of the plan ``ids`` (reusing the pre-look's when the plan is the same);
    raises :class:`RiskyMigration` for blocking ones unless ``allow_risky``."""
    findings = seen.findings if tuple(ids) == seen.ids else gate_findings(project, ids, dialect, seen.sizes)
    blocking = [f for f in findings if f.blocking]
    if blocking and not allow_risky:
        raise RiskyMigration(blocking)
    return findings


def accepted(findings: list[LintFinding], allow_risky: bool) -> list[dict]:
    """The risks this deploy runs anyway and why (for the history and reports): every allowed
    finding with its reason, and with ``allow_risky`` every other error-level one."""
    out = []
    for f in findings:
        if f.allowed or (allow_risky and f.level == "error"):
            out.append({"migration_id": f.migration_id, "code": f.code, "line": f.line,
                        "reason": f.allowed_reason if f.allowed else "--allow-risky"})
    return out
