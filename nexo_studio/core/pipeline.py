"""Deploy and rollback as generators of events that return a result (SPEC §4).

Deploy pipeline: (1) validate, (2) health checks, (3) backup, (4) apply, (5) verify,
(6) automatic rollback of what this deployment applied when a later step fails.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..errors import (
    Cancelled,
    DatabaseNeedsRepair,
    NexoError,
    StepFailed,
    ValidationFailed,
    VerifyFailed,
)
from .config import Check
from .events import CancelToken, Event, Log, MigrationFinished, StageStarted
from .planner import Plan, check_reversible, deploy_plan, irreversible, rollback_plan
from .project import BLOCKING, Project, Snapshot, read_snapshot
from .kinds import HistoryAction, HistoryStatus
from .model import SectionKind
from .results import OperationResult, StepResult, stage as _stage
from .run_one import _interrupter, _row_for, _transactional, apply_one, rollback_one  # noqa: F401 (_row_for: operations)
from .state.store import new_deployment_id, utcnow
from .target import Target
from .verify_step import verify_step
from .drift import STALE, closing_snapshot, drift_details, drift_gate
from . import fleet_rows
from .state.snapshots import capture, record as record_snapshot


@dataclass
class DeployOptions:
    to: str | None = None
    dry_run: bool = False
    backup: bool = True
    verify: bool = True
    auto_rollback: bool = True
    lock_timeout: float = 30.0
    backup_dir: Path | None = None
    checks: tuple[Check, ...] = ()
    #: extra keys for the deployment's history rows' ``details`` (a fleet run's ``fleet_id``)
    labels: dict = field(default_factory=dict)
    #: run error-level lint findings anyway (SPEC §11: `--allow-risky`, `[deploy] allow_risky`)
    allow_risky: bool = False
    #: deploy over a live schema that differs from the last snapshot (SPEC §10: `--allow-drift`)
    allow_drift: bool = False


# --------------------------------------------------------------------------------------------
# shared steps


def refuse_blocked(snap: Snapshot) -> None:
    blocked = [(s.id, s.status) for s in snap.states if s.status in BLOCKING]
    blocked += [(problem, "tampered: `nexo repair --accept-history`") for problem in snap.tampered_tables]
    blocked += [(f"history seq {b.seq}", f"tampered: {b.reason}; `nexo repair --accept-history`")
                for b in snap.chain_breaks]
    if blocked:
        raise DatabaseNeedsRepair(blocked)


def plan_sql(project: Project, plan: Plan, dialect: str, kind: SectionKind) -> list[tuple[str, list[tuple[int, str]]]]:
    out: list[tuple[str, list[tuple[int, str]]]] = []
    for mid in plan.ids:
        m = project.migrations.get(mid)
        if m is None:
            out.append((mid, []))
        elif m.kind == "py":
            out.append((mid, [(0, f"-- Python migration {m.path.name}: {kind}(conn)")]))
        else:
            out.append((mid, [(s.line, s.sql) for s in m.statements(kind, dialect)]))
    return out


def _validate(project: Project, target: Target, result: OperationResult) -> Generator[Event, None, None]:
    t0 = time.perf_counter()
    yield StageStarted("validate")
    findings = project.findings(target.dialect)
    if any(f.level == "error" for f in findings):
        yield _stage(result, "validate", "failed", t0)
        raise ValidationFailed(findings)
    yield _stage(result, "validate", "ok", t0, f"{len(project.migrations)} migrations")


def _dry_run(project: Project, target: Target, result: OperationResult, kind: SectionKind,
             plan_for) -> OperationResult:
    """Plan and SQL from a read-only look at the state: no lock, nothing written or created."""
    if target.absent():
        snap = read_snapshot(project, target, None)
    else:
        with target.connect() as conn:
            snap = read_snapshot(project, target, conn)
    plan = plan_for(snap)
    result.plan = plan.ids
    result.sql = plan_sql(project, plan, target.dialect, kind)
    verb = "applied" if kind == "up" else "rolled back"
    result.status = "dry_run" if plan else "up_to_date"
    result.message = f"{len(plan)} migration(s) would be {verb}" if plan else "nothing to do: up to date"
    return result


# --------------------------------------------------------------------------------------------
# deploy


def _observed(gen: Generator[Event, None, OperationResult], result: OperationResult):
    """Pass events through, keeping each finished migration in ``result.migrations``."""
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            return stop.value
        if isinstance(ev, MigrationFinished):
            result.migrations.append(ev)
        yield ev


def deploy(project: Project, target: Target, opts: DeployOptions,
           cancel: CancelToken | None = None) -> Generator[Event, None, OperationResult]:
    """The deploy pipeline (SPEC §4). Refusals before anything changed raise (ValidationFailed,
    DatabaseNeedsRepair, LockTimeout, ConnectionFailed); failures after that are in the result."""
    result = OperationResult("deploy")
    return (yield from _observed(_deploy(project, target, opts, cancel or CancelToken(), result), result))


def _deploy(project: Project, target: Target, opts: DeployOptions, cancel: CancelToken,
            result: OperationResult) -> Generator[Event, None, OperationResult]:
    from .lint.gate import gate, prelook

    yield from _validate(project, target, result)
    seen = prelook(project, target, opts.to)  # row estimates: read once, before the lock
    if opts.dry_run:
        _dry_run(project, target, result, "up", lambda snap: deploy_plan(project, snap, opts.to))
        return _dry_run_lint(project, target.dialect, result, seen, opts.allow_risky)
    t0 = time.perf_counter()
    yield StageStarted("health")
    conn = target.connect()
    interrupt = lambda: None  # noqa: E731
    try:
        interrupt = _interrupter(target, conn, cancel)
        with target.locked(opts.lock_timeout):
            shape = target.store.check_shape(conn)
            if shape:
                raise DatabaseNeedsRepair([(c, "missing column") for c in shape])
            snap = read_snapshot(project, target, conn)
            # tampered or dirty state first: the drift is judged against the snapshot the
            # state tables point to, which they then cannot vouch for
            refuse_blocked(snap)
            result.drift = yield from drift_gate(target, conn, opts.allow_drift)
            version = target.server_version(conn)
            yield _stage(result, "health", "ok", t0, version)
            plan = deploy_plan(project, snap, opts.to)
            result.plan = plan.ids
            if not plan:
                result.status = "up_to_date"
                result.message = "up to date"
                if result.drift is not None and result.drift.status == STALE:  # a killed deployment finished
                    closing_snapshot(target, conn, None, {"operation": "deploy", "stale_since": result.drift.since,
                                                          **opts.labels})
                return result
            result.lint = gate(project, target.dialect, plan.ids, seen, opts.allow_risky)
            target.store.ensure(conn)
            yield from _run_deploy(project, target, conn, plan, snap, opts, cancel, result)
            return result
    finally:
        interrupt()
        conn.close()


def _accepted(findings: list, allow_risky: bool) -> list[dict]:
    from .lint.gate import accepted

    return accepted(findings, allow_risky)


def _dry_run_lint(project: Project, dialect: str, result: OperationResult, seen,
                  allow_risky: bool) -> OperationResult:
    """The plan's findings beside its SQL; says when a real deploy would refuse."""
    from .lint.gate import gate

    result.lint = gate(project, dialect, result.plan, seen, allow_risky=True)
    blocking = [f for f in result.lint if f.blocking]
    if blocking and not allow_risky:
        result.message += (f"; deploy would refuse {len(blocking)} error-level risk(s) "
                           "(allow the rule in the migration, or --allow-risky)")
    return result


def _deployment_row(target: Target, conn: sa.Connection, action: str, status: str, started,
                    deployment_id: str, details: dict, error: str | None = None, capture=None) -> None:
    if capture is not None:
        details = {**details, **capture.details()}
    with conn.begin():
        row = target.store.append(conn, action=action, status=status, started_at=started,
                                  deployment_id=deployment_id, details=details, error=error)
        if capture is not None:
            record_snapshot(target.store, conn, capture, row.seq)


def _run_deploy(project: Project, target: Target, conn: sa.Connection, plan: Plan, snap: Snapshot,
                opts: DeployOptions, cancel: CancelToken, result: OperationResult) -> Generator[Event, None, None]:
    deployment_id = result.deployment_id = new_deployment_id()
    fleet_started = fleet_rows.record_start(target, conn, opts.labels, "deploy", deployment_id, plan.ids)
    started = utcnow()
    _deployment_row(target, conn, HistoryAction.DEPLOY_START, HistoryStatus.OK, started, deployment_id,
                    {"plan": list(plan.ids), "target": opts.to, "backup": opts.backup,
                     "verify": opts.verify, "auto_rollback": opts.auto_rollback,
                     "lint_accepted": _accepted(result.lint, opts.allow_risky),
                     **drift_details(result.drift), **opts.labels})
    yield Log("info", f"deployment {deployment_id}: {len(plan)} migration(s) to apply")
    failure: NexoError | None = None
    try:
        # (3) backup
        if opts.backup:
            from .backup.operations import backup_step

            result.backup = yield from backup_step(target, conn, deployment_id, opts.backup_dir, result)
        else:
            result.steps.append(StepResult("backup", "skipped"))
        # (4) apply
        t0 = time.perf_counter()
        yield StageStarted("apply", f"{len(plan)} migration(s)")
        try:
            for i, mid in enumerate(plan.ids, 1):
                cancel.check("apply")
                yield from apply_one(target, conn, project.migrations[mid], deployment_id, cancel, i, len(plan),
                                     has_row=snap.by_id[mid].row is not None)
                result.applied.append(mid)
        except (StepFailed, Cancelled) as exc:
            result.failed = getattr(exc, "migration_id", None) if isinstance(exc, StepFailed) else None
            yield _stage(result, "apply", "cancelled" if isinstance(exc, Cancelled) else "failed", t0, str(exc))
            raise
        yield _stage(result, "apply", "ok", t0, f"{len(result.applied)} applied")
        # (5) verify
        if opts.verify:
            yield from verify_step(project, target, conn, result, opts.checks, deployment_id, cancel)
        else:
            result.steps.append(StepResult("verify", "skipped"))
    except (StepFailed, VerifyFailed, Cancelled, NexoError) as exc:
        failure = exc
    # (6) automatic rollback
    if failure is not None:
        result.ok = False
        result.error = failure
        result.status = "cancelled" if isinstance(failure, Cancelled) else "failed"
        if isinstance(failure, Cancelled):
            interrupted = failure.where if failure.where in project.migrations else None
            result.failed = interrupted
            result.message = f"cancelled: {len(result.applied)} migration(s) applied and recorded"
            if interrupted and _transactional(target, project.migrations[interrupted]):
                result.message += f"; {interrupted} was interrupted and rolled back"
            elif interrupted:
                result.message += (f"; {interrupted} was interrupted and may be partly applied (dirty): "
                                   f"check it, then `nexo repair {interrupted} --mark applied|rolled-back`")
        elif isinstance(failure, StepFailed) and failure.dirty:
            result.message = _dirty_message(failure, result, target.rules.transactional_ddl)
        elif opts.auto_rollback and result.applied:
            yield from _auto_rollback(project, target, conn, result, deployment_id)
        else:
            result.message = str(failure)
    else:
        result.status = "deployed"
        result.message = f"{len(result.applied)} migration(s) applied"
    # history statuses are ok/failed/cancelled (SPEC §3); the outcome (deployed, rolled_back, …) is in details
    end_status = HistoryStatus.OK if result.ok else HistoryStatus.CANCELLED if result.status == "cancelled" \
        else HistoryStatus.FAILED
    _deployment_row(target, conn, HistoryAction.DEPLOY_END, end_status, started, deployment_id,
                    {"applied": result.applied, "rolled_back": result.rolled_back, "failed": result.failed,
                     "backup": str(result.backup) if result.backup else None, "outcome": result.status,
                     **opts.labels},
                    error=None if result.ok else str(failure), capture=capture(conn, target.store))
    fleet_rows.record_end(target, conn, opts.labels, fleet_started, result, len(plan))


def _dirty_why(exc: StepFailed, transactional_ddl: bool) -> str:
    if exc.path is not None and exc.path.suffix == ".py":
        return "what it did before it failed, or committed itself, may stay applied"
    if transactional_ddl:  # only a `transaction: none` migration is dirty on such a database
        return ("it runs with `transaction: none`, so the statements before the failing one were "
                "committed one by one and stay applied")
    return "this database does not roll back DDL, so the statements before the failing one stay applied"


def _dirty_message(exc: StepFailed, result: OperationResult, transactional_ddl: bool) -> str:
    where = f" ({exc.path.name}, line {exc.line})" if exc.path and exc.line else ""
    restore = f" A backup was taken: {result.backup}." if result.backup else ""
    return (
        f"{exc.migration_id} failed part-way and is now DIRTY: {_dirty_why(exc, transactional_ddl)}"
        f".\nFailing statement{where}:\n  {exc.statement}\n"
        f"Error: {exc.error}\n"
        f"Check which of its objects exist, then either finish it by hand and run "
        f"`nexo repair {exc.migration_id} --mark applied`, or undo its partial changes and run "
        f"`nexo repair {exc.migration_id} --mark rolled-back`.{restore}"
    )


def _auto_rollback(project: Project, target: Target, conn: sa.Connection, result: OperationResult,
                   deployment_id: str) -> Generator[Event, None, None]:
    t0 = time.perf_counter()
    yield StageStarted("rollback", f"undoing {len(result.applied)} migration(s) of this deployment")
    undo = list(reversed(result.applied))
    missing_down = [i for i in undo if not project.migrations[i].reversible(target.dialect)]
    restore_hint = (f"restore the backup: nexo restore {result.backup} --yes" if result.backup
                    else "no backup was taken (--no-backup)")
    if missing_down:
        result.message = (f"{result.error}\nAutomatic rollback impossible: no down section in "
                          f"{', '.join(missing_down)}. To return to the state before this deployment, {restore_hint}")
        yield _stage(result, "rollback", "failed", t0, "irreversible: " + ", ".join(missing_down))
        return
    try:
        for i, mid in enumerate(undo, 1):
            yield from rollback_one(target, conn, project.migrations[mid], deployment_id, None, i, len(undo))
            result.rolled_back.append(mid)
    except StepFailed as exc:
        result.message = (f"{result.error}\nAutomatic rollback failed at {exc.migration_id}: {exc.error}. "
                          f"To return to the state before this deployment, {restore_hint}")
        yield _stage(result, "rollback", "failed", t0, str(exc))
        return
    result.status = "rolled_back"
    result.message = f"{result.error}\nAutomatic rollback undid {len(undo)} migration(s): {', '.join(undo)}"
    yield _stage(result, "rollback", "ok", t0, f"{len(undo)} rolled back")


# --------------------------------------------------------------------------------------------
# rollback


@dataclass
class RollbackOptions:
    to: str | None = None
    one: str | None = None
    with_dependents: bool = False
    dry_run: bool = False
    lock_timeout: float = 30.0
    #: leave alone applied migrations whose file is not in this project (another project's)
    only_this_project: bool = False
    #: back up the database under the lock before the first down (`nexo rollback --backup`)
    backup: bool = False
    backup_dir: Path | None = None
    #: extra keys for the rollback's history rows' ``details`` (a fleet run's ``fleet_id``)
    labels: dict = field(default_factory=dict)


def rollback(project: Project, target: Target, opts: RollbackOptions,
             cancel: CancelToken | None = None) -> Generator[Event, None, OperationResult]:
    """Roll back to a target or one migration (with its dependents), dependents first."""
    result = OperationResult("rollback")
    return (yield from _observed(_rollback(project, target, opts, cancel or CancelToken(), result), result))


def _rollback(project: Project, target: Target, opts: RollbackOptions, cancel: CancelToken,
              result: OperationResult) -> Generator[Event, None, OperationResult]:
    yield from _validate(project, target, result)
    if opts.dry_run:
        def plan_for(snap: Snapshot) -> Plan:
            plan = rollback_plan(project, snap, opts.to, opts.one, opts.with_dependents, opts.only_this_project)
            check_reversible(project, plan, target.dialect)
            return plan

        return _dry_run(project, target, result, "down", plan_for)
    conn = target.connect()
    interrupt = lambda: None  # noqa: E731
    try:
        interrupt = _interrupter(target, conn, cancel)
        with target.locked(opts.lock_timeout):
            snap = read_snapshot(project, target, conn)
            refuse_blocked(snap)
            plan = rollback_plan(project, snap, opts.to, opts.one, opts.with_dependents, opts.only_this_project)
            check_reversible(project, plan, target.dialect)
            result.plan = plan.ids
            if not plan:
                result.status = "up_to_date"
                result.message = "nothing to roll back"
                return result
            deployment_id = result.deployment_id = new_deployment_id()
            fleet_started = fleet_rows.record_start(target, conn, opts.labels, "rollback", deployment_id, plan.ids)
            if opts.backup:
                from .backup.operations import backup_step

                result.backup = yield from backup_step(target, conn, deployment_id, opts.backup_dir, result)
            t0 = time.perf_counter()
            yield StageStarted("rollback", f"{len(plan)} migration(s)")
            try:
                for i, mid in enumerate(plan.ids, 1):
                    cancel.check("rollback")
                    yield from rollback_one(target, conn, project.migrations[mid], deployment_id, cancel, i, len(plan),
                                            labels=opts.labels)
                    result.rolled_back.append(mid)
            except (StepFailed, Cancelled) as exc:
                result.ok = False
                result.error = exc
                result.status = "cancelled" if isinstance(exc, Cancelled) else "failed"
                result.failed = getattr(exc, "migration_id", None)
                result.message = str(exc)
                yield _stage(result, "rollback", result.status, t0, str(exc))
                fleet_rows.record_end(target, conn, opts.labels, fleet_started, result, len(plan))
                return result
            finally:
                closing_snapshot(target, conn, deployment_id, {"operation": "rollback",
                                                               "rolled_back": list(result.rolled_back), **opts.labels})
            result.status = "rolled_back"
            result.message = f"{len(plan)} migration(s) rolled back"
            fleet_rows.record_end(target, conn, opts.labels, fleet_started, result, len(plan))
            yield _stage(result, "rollback", "ok", t0)
            return result
    finally:
        interrupt()
        conn.close()


__all__ = [
    "DeployOptions", "RollbackOptions", "OperationResult", "StepResult", "deploy", "rollback",
    "apply_one", "rollback_one", "read_snapshot", "plan_sql", "irreversible",
]
