"""What a deploy would meet, read before anyone confirms it (the GUI's deploy dialog): the
validation errors, the migrations of the plan that cannot be undone, the state problems that
make deploy refuse, the lint risks of the ``up`` sections and who holds the deploy lock.

Read-only: no lock is taken and nothing is written or created (SPEC §11's pre-look)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .lint.model import LintFinding
from .project import Project, Snapshot


@dataclass(frozen=True)
class DeployCheck:
    """The answers for one plan (``ids``); :meth:`for_plan` narrows them to a smaller plan."""

    ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    irreversible: tuple[str, ...] = ()
    findings: tuple[LintFinding, ...] = ()
    lock_holder: str | None = None
    #: the risks could not be read (the reason); deploy itself still checks them under the lock
    lint_error: str | None = None
    sizes: dict = field(default_factory=dict, compare=False)
    #: the live schema's changes since the last snapshot (``nexo drift``), one line each
    drift: tuple[str, ...] = ()
    #: the drift verdict's status (none, drift, no_snapshot, stale, unknown) and, unknown, why
    drift_status: str = ""
    drift_reason: str | None = None

    @property
    def blocking(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    def for_plan(self, ids: tuple[str, ...]) -> "DeployCheck":
        keep = set(ids)
        return replace(self, ids=tuple(ids), irreversible=tuple(i for i in self.irreversible if i in keep),
                       findings=tuple(f for f in self.findings if f.migration_id in keep))

    def refusal(self, allow_risky: bool, allow_drift: bool = False) -> str | None:
        """Why deploy would be refused now (None: it would run)."""
        if self.errors:
            return f"Validation failed: {len(self.errors)} error(s). Fix the migration files first."
        if self.blocked:
            return f"The database needs repair first: {self.blocked[0]}."
        if not self.ids:
            return "Nothing to apply: the database is up to date."
        if self.blocking and not allow_risky:
            return (f"{len(self.blocking)} error-level risk(s) in the migrations to apply: make them safer, "
                    "allow the rule in the header, or tick “Allow risky statements”.")
        if self.drift and not allow_drift:
            return f"Schema drift: {len(self.drift)} change(s) outside Nexo. Accept them, or tick “Allow drift”."
        return None


def blocked_reasons(snap: Snapshot) -> tuple[str, ...]:
    """What ``refuse_blocked`` would name (pure: from the snapshot)."""
    from ..errors import DatabaseNeedsRepair
    from .pipeline import refuse_blocked

    try:
        refuse_blocked(snap)
    except DatabaseNeedsRepair as exc:
        return tuple(f"{what} ({why})" for what, why in exc.problems)
    return ()


def not_reversible(project: Project, ids, dialect: str) -> tuple[str, ...]:
    return tuple(i for i in ids if i in project.migrations and not project.migrations[i].reversible(dialect))


def deploy_check(project: Project, target, snap: Snapshot, to: str | None = None) -> DeployCheck:
    """Everything above for ``deploy --to to`` (worker thread: reads the database)."""
    from .lint.gate import prelook
    from .lint.hooks import plan_findings
    from .planner import deploy_plan
    from .state.locks import lock_for

    errors = tuple(f"{f.code}: {f.message}" for f in project.findings(target.dialect) if f.level == "error")
    try:
        ids = tuple(deploy_plan(project, snap, to).ids)
    except Exception as exc:  # noqa: BLE001 - a cycle or unknown target: shown as an error
        return DeployCheck((), errors + (f"cannot plan: {exc}",), blocked_reasons(snap))
    seen = prelook(project, target, to)
    lint_error = None
    try:
        findings = seen.findings if seen.ids == ids else plan_findings(project, ids, target.dialect, seen.sizes)
    except Exception as exc:  # noqa: BLE001 - the gate under the lock reports it again
        findings, lint_error = [], str(exc)
    holder = None
    if not target.absent():
        try:
            holder = lock_for(target.engine).holder()
        except Exception:  # noqa: BLE001 - a lock probe never breaks the dialog
            holder = None
    status, drift, reason = drift_lines(target)
    return DeployCheck(ids, errors, blocked_reasons(snap), not_reversible(project, ids, target.dialect),
                       tuple(findings), holder, lint_error, dict(seen.sizes), drift, status, reason)


def drift_lines(target) -> tuple[str, tuple[str, ...], str | None]:
    """(status, the changes as lines, why unknown) of the live schema against the last snapshot:
    what deploy's health check refuses unless drift is allowed. Read-only."""
    from .drift import DRIFT, NO_SNAPSHOT, check

    if target.absent():
        return NO_SNAPSHOT, (), None
    try:
        with target.connect() as conn:
            verdict = check(conn, target.store)
    except Exception as exc:  # noqa: BLE001 -- an unreflectable schema is not drift (deploy says the same)
        from .db import redact

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return "unknown", (), redact(f"{type(exc).__name__}: {first}")
    return verdict.status, tuple(str(c) for c in verdict.changes) if verdict.status == DRIFT else (), None
