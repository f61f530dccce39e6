"""Deploy and rollback as generators of events that return a result (SPEC §4).

Deploy pipeline: (1) validate, (2) health checks, (3) backup, (4) apply, (5) verify,
(6) automatic rollback of what this deployment applied when a later step fails.
"""

from __future__ import annotations

import re
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
from .events import (
    CancelToken,
    StatementExecuted,
    Event,
    Log,
    MigrationFinished,
    MigrationStarted,
    StageFinished,
    StageStarted,
)
from .executor import run_section
from .model import Migration
from .planner import Plan, check_reversible, deploy_plan, irreversible, rollback_plan
from .project import BLOCKING, Project, Snapshot, read_snapshot
from .state.store import new_deployment_id, utcnow
from .target import Target


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


@dataclass
class StepResult:
    name: str
    status: str  # ok, failed, skipped, cancelled
    duration_ms: int = 0
    detail: str = ""


@dataclass
class OperationResult:
    """What a deploy or rollback did; serialised as the CLI's ``--json``."""

    action: str  # deploy, rollback
    ok: bool = True
    status: str = "ok"  # up_to_date, deployed, rolled_back, failed, cancelled, dry_run
    deployment_id: str | None = None
    plan: tuple[str, ...] = ()
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    failed: str | None = None
    backup: Path | None = None
    steps: list[StepResult] = field(default_factory=list)
    error: NexoError | None = None
    message: str = ""
    sql: list[tuple[str, list[tuple[int, str]]]] = field(default_factory=list)
    #: every migration this operation ran (apply, verify, rollback), in order, with timings
    migrations: list[MigrationFinished] = field(default_factory=list)

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)


# --------------------------------------------------------------------------------------------
# one migration


def _reset_session(target: Target, conn: sa.Connection) -> None:
    """PostgreSQL: settings a migration changed (search_path …) do not leak into the next.

    Called inside the migration's transaction after its statements (RESET is transactional,
    so it costs no extra commit), and again outside after a failure or a non-transactional run.
    """
    if target.dialect == "postgresql":
        if conn.in_transaction():
            target.store.execute_plain(conn, "RESET ALL")
        else:
            with conn.begin():
                conn.exec_driver_sql("RESET ALL")


#: SQL that may change a session setting; UPDATE … SET matches too (a needless RESET is cheap)
_SESSION_SQL = re.compile(r"\b(?:set|reset|discard)\b|set_config", re.IGNORECASE)


def _may_change_session(m: Migration, kind: str, dialect: str) -> bool:
    """Whether ``_reset_session`` is needed after this section: Python may do anything."""
    if m.kind == "py":
        return True
    return any(_SESSION_SQL.search(st.sql) for st in m.statements(kind, dialect))


def _row_for(m: Migration, target: Target, status: str, started, ms: int | None, deployment_id: str) -> dict:
    from .state.store import operator_and_host

    return dict(
        id=m.id, version=m.version, name=m.name, description=m.description,
        checksum=m.checksum(target.dialect), status=status, depends=list(m.depends),
        applied_at=started, applied_by=operator_and_host()[0], execution_ms=ms,
        metadata={"deployment_id": deployment_id, "kind": m.kind, "transaction": m.transaction,
                  "tags": list(m.tags)},
    )


def _transactional(target: Target, m: Migration) -> bool:
    return target.transactional_ddl and m.transaction != "none"


def apply_one(target: Target, conn: sa.Connection, m: Migration, deployment_id: str,
              cancel: CancelToken | None, index: int = 0, total: int = 0,
              has_row: bool | None = None) -> Generator[Event, None, int]:
    """Apply one migration and record it; raises StepFailed/Cancelled after recording the failure."""
    return (yield from _run_one(target, conn, m, "up", deployment_id, cancel, index, total, has_row))


def rollback_one(target: Target, conn: sa.Connection, m: Migration, deployment_id: str,
                 cancel: CancelToken | None, index: int = 0, total: int = 0) -> Generator[Event, None, int]:
    """Roll back one migration (its ``down``) and record it; raises like apply_one."""
    return (yield from _run_one(target, conn, m, "down", deployment_id, cancel, index, total, True))


class _Tally:
    """Counts the statements a section ran and the rows they reported, passing events on."""

    def __init__(self) -> None:
        self.statements = 0
        self.rows: int | None = None

    def count(self, gen: Generator[StatementExecuted, None, int]) -> Generator[Event, None, None]:
        for ev in gen:
            self.statements += 1
            if ev.rowcount is not None:
                self.rows = (self.rows or 0) + ev.rowcount
            yield ev


def _run_one(target: Target, conn: sa.Connection, m: Migration, kind: str, deployment_id: str,
             cancel: CancelToken | None, index: int, total: int,
             has_row: bool | None) -> Generator[Event, None, int]:
    """Run ``up`` or ``down`` of one migration with its state row and history row.

    Transactional (SQLite, PostgreSQL, SQL Server): statements, state row and history row
    commit together. Otherwise (MySQL/MariaDB DDL, ``transaction: none``) the row is marked
    ``running`` first and committed, so a crash leaves a visible dirty row.
    """
    action = "apply" if kind == "up" else "rollback"
    done_status = "applied" if kind == "up" else "rolled_back"
    store = target.store
    yield MigrationStarted(m.id, action, index, total)
    started = utcnow()
    t0 = time.perf_counter()
    tally = _Tally()

    def record_done(row_exists: bool | None) -> None:
        ms = int((time.perf_counter() - t0) * 1000)
        if kind == "up":
            store.put_migration(conn, exists=row_exists, **_row_for(m, target, "applied", started, ms, deployment_id))
        else:
            store.set_status(conn, m.id, done_status)
        details = {"statements": tally.statements, "rows": tally.rows}
        if kind == "up":
            details["checksum"] = m.checksum(target.dialect)
        store.append(conn, action=action, status="ok", started_at=started, deployment_id=deployment_id,
                     migration_id=m.id, details=details)

    if _transactional(target, m):
        try:
            with conn.begin():
                yield from tally.count(run_section(conn, m, kind, target.dialect, cancel))
                with store.batch(conn):  # PostgreSQL: the RESET and the three writes in one round trip
                    if _may_change_session(m, kind, target.dialect):
                        _reset_session(target, conn)
                    record_done(has_row)
            store.committed()
        except (StepFailed, Cancelled) as exc:
            store.rolled_back()
            _reset_session(target, conn)
            yield from _record_failure(target, conn, m, action, started, t0, deployment_id, exc, dirty=False)
            raise
    else:
        with conn.begin():
            if kind == "up":
                store.put_migration(conn, exists=has_row, **_row_for(m, target, "running", started, None, deployment_id))
            else:
                store.set_status(conn, m.id, "running")
        try:
            if m.transaction == "none":
                with target.engine.connect() as ac:
                    ac = ac.execution_options(isolation_level="AUTOCOMMIT")
                    # Cancel must interrupt the statement on this connection, not the main one
                    unwire = _interrupter(target, ac, cancel) if cancel else (lambda: None)
                    try:
                        yield from tally.count(run_section(ac, m, kind, target.dialect, cancel))
                    finally:
                        unwire()
            else:
                with conn.begin():
                    yield from tally.count(run_section(conn, m, kind, target.dialect, cancel))
        except (StepFailed, Cancelled) as exc:
            # Nothing ran before the failing statement of a SQL migration: nothing to be dirty.
            dirty = tally.statements > 0 or m.kind == "py"
            if isinstance(exc, StepFailed):
                exc.dirty = dirty
            yield from _record_failure(target, conn, m, action, started, t0, deployment_id, exc, dirty=dirty)
            raise
        finally:
            _reset_session(target, conn)
        with conn.begin(), store.batch(conn):
            record_done(True)  # the `running` row written above
        store.committed()
    ms = int((time.perf_counter() - t0) * 1000)
    yield MigrationFinished(m.id, action, "ok", ms, statements=tally.statements, rows=tally.rows)
    return ms


def _record_failure(target: Target, conn: sa.Connection, m: Migration, action: str, started, t0,
                    deployment_id: str | None, exc: NexoError, dirty: bool) -> Generator[Event, None, None]:
    """Write the failed/cancelled history row in a transaction of its own, so it survives."""
    store = target.store
    status = "cancelled" if isinstance(exc, Cancelled) else "failed"
    details: dict = {"dirty": dirty}
    statement = line = None
    if isinstance(exc, StepFailed):
        statement, line = exc.statement, exc.line
        details.update(statement=statement, line=line, file=m.path.name)
    if conn.in_transaction():
        conn.rollback()
    with conn.begin():
        if not _transactional(target, m):
            if dirty:
                store.set_status(conn, m.id, "failed" if status == "failed" else "running",
                                 metadata={"error": str(exc), "statement": statement, "line": line,
                                           "deployment_id": deployment_id})
            elif action == "apply":
                store.delete_migration(conn, m.id)  # nothing of it ran: no row, not dirty
            else:
                store.set_status(conn, m.id, "applied")  # its down did not start: still applied
        store.append(conn, action=action, status=status, started_at=started, deployment_id=deployment_id,
                     migration_id=m.id, details=details, error=str(exc) if status == "failed" else None)
    store.committed()
    yield MigrationFinished(m.id, action, status, int((time.perf_counter() - t0) * 1000),
                            error=str(exc), statement=statement, line=line)


# --------------------------------------------------------------------------------------------
# shared steps


def _stage(result: OperationResult, name: str, status: str, t0: float, detail: str = "") -> StageFinished:
    ms = int((time.perf_counter() - t0) * 1000)
    result.steps.append(StepResult(name, status, ms, detail))
    return StageFinished(name, status, ms, detail)


def refuse_blocked(snap: Snapshot) -> None:
    blocked = [(s.id, s.status) for s in snap.states if s.status in BLOCKING]
    blocked += [(problem, "tampered: `nexo repair --accept-history`") for problem in snap.tampered_tables]
    blocked += [(f"history seq {b.seq}", f"tampered: {b.reason}; `nexo repair --accept-history`")
                for b in snap.chain_breaks]
    if blocked:
        raise DatabaseNeedsRepair(blocked)


def plan_sql(project: Project, plan: Plan, dialect: str, kind: str) -> list[tuple[str, list[tuple[int, str]]]]:
    out = []
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


def _dry_run(project: Project, target: Target, result: OperationResult, kind: str,
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
    yield from _validate(project, target, result)

    if opts.dry_run:
        return _dry_run(project, target, result, "up", lambda snap: deploy_plan(project, snap, opts.to))
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
            version = target.server_version(conn)
            yield _stage(result, "health", "ok", t0, version)
            refuse_blocked(snap)
            plan = deploy_plan(project, snap, opts.to)
            result.plan = plan.ids
            if not plan:
                result.status = "up_to_date"
                result.message = "up to date"
                return result
            target.store.ensure(conn)
            yield from _run_deploy(project, target, conn, plan, snap, opts, cancel, result)
            return result
    finally:
        interrupt()
        conn.close()


def _interrupter(target: Target, conn: sa.Connection, cancel: CancelToken):
    """Wire Cancel to interrupting the statement that is running on ``conn`` (from any thread):
    psycopg's cancel() on PostgreSQL, sqlite3's interrupt() on SQLite, ``KILL QUERY`` from a
    second connection on MySQL/MariaDB. Returns the function that unwires it."""
    raw = conn.connection.driver_connection
    if target.dialect == "postgresql" and hasattr(raw, "cancel"):
        return cancel.on_cancel(raw.cancel)
    if target.dialect == "sqlite" and hasattr(raw, "interrupt"):
        return cancel.on_cancel(raw.interrupt)
    if target.dialect == "mysql" and hasattr(raw, "thread_id"):
        thread_id = raw.thread_id()

        def kill_query() -> None:
            with target.engine.connect() as other:
                other.exec_driver_sql(f"KILL QUERY {int(thread_id)}")

        return cancel.on_cancel(kill_query)
    return lambda: None


def _deployment_row(target: Target, conn: sa.Connection, action: str, status: str, started,
                    deployment_id: str, details: dict, error: str | None = None) -> None:
    with conn.begin():
        target.store.append(conn, action=action, status=status, started_at=started,
                            deployment_id=deployment_id, details=details, error=error)
    target.store.committed()


def _run_deploy(project: Project, target: Target, conn: sa.Connection, plan: Plan, snap: Snapshot,
                opts: DeployOptions, cancel: CancelToken, result: OperationResult) -> Generator[Event, None, None]:
    deployment_id = result.deployment_id = new_deployment_id()
    started = utcnow()
    _deployment_row(target, conn, "deploy_start", "ok", started, deployment_id,
                    {"plan": list(plan.ids), "target": opts.to, "backup": opts.backup,
                     "verify": opts.verify, "auto_rollback": opts.auto_rollback})
    yield Log("info", f"deployment {deployment_id}: {len(plan)} migration(s) to apply")
    failure: NexoError | None = None
    try:
        # (3) backup
        if opts.backup:
            from .backups import backup_step

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
            yield from _verify(project, target, conn, result, opts.checks, deployment_id, cancel)
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
            result.message = _dirty_message(failure, result)
        elif opts.auto_rollback and result.applied:
            yield from _auto_rollback(project, target, conn, result, deployment_id)
        else:
            result.message = str(failure)
    else:
        result.status = "deployed"
        result.message = f"{len(result.applied)} migration(s) applied"
    # history statuses are ok/failed/cancelled (SPEC §3); the outcome (deployed, rolled_back, …) is in details
    end_status = "ok" if result.ok else "cancelled" if result.status == "cancelled" else "failed"
    _deployment_row(target, conn, "deploy_end", end_status, started, deployment_id,
                    {"applied": result.applied, "rolled_back": result.rolled_back, "failed": result.failed,
                     "backup": str(result.backup) if result.backup else None, "outcome": result.status},
                    error=None if result.ok else str(failure))


def _dirty_message(exc: StepFailed, result: OperationResult) -> str:
    where = f" ({exc.path.name}, line {exc.line})" if exc.path and exc.line else ""
    restore = f" A backup was taken: {result.backup}." if result.backup else ""
    return (
        f"{exc.migration_id} failed part-way and is now DIRTY: this database does not roll back DDL, "
        f"so the statements before the failing one stay applied.\nFailing statement{where}:\n  {exc.statement}\n"
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


def _verify(project: Project, target: Target, conn: sa.Connection, result: OperationResult,
            checks: tuple[Check, ...], deployment_id: str, cancel: CancelToken) -> Generator[Event, None, None]:
    t0 = time.perf_counter()
    yield StageStarted("verify")
    store = target.store
    try:
        for mid in result.applied:
            m = project.migrations[mid]
            if not m.has("verify", target.dialect):
                continue
            cancel.check("verify")
            started = utcnow()
            tm = time.perf_counter()
            tally = _Tally()
            yield MigrationStarted(mid, "verify")
            try:
                with conn.begin() as tx:
                    yield from tally.count(run_section(conn, m, "verify", target.dialect, cancel))
                    tx.rollback()  # verify never changes anything
            except StepFailed as exc:
                with conn.begin():
                    store.append(conn, action="verify", status="failed", started_at=started,
                                 deployment_id=deployment_id, migration_id=mid,
                                 details={"statement": exc.statement, "line": exc.line}, error=exc.error)
                store.committed()
                raise VerifyFailed(mid, f"{exc.error} (line {exc.line})") from exc
            with conn.begin():
                store.append(conn, action="verify", status="ok", started_at=started,
                             deployment_id=deployment_id, migration_id=mid)
            store.committed()
            yield MigrationFinished(mid, "verify", "ok", int((time.perf_counter() - tm) * 1000),
                                    statements=tally.statements)
        # every planned migration recorded applied
        rows = store.applied(conn)
        if conn.in_transaction():
            conn.rollback()
        not_recorded = [i for i in result.plan if i in result.applied and
                        (i not in rows or rows[i].status != "applied")]
        if not_recorded:
            raise VerifyFailed("state", "not recorded as applied: " + ", ".join(not_recorded))
        # post-deploy checks from nexo.toml
        for check in checks:
            cancel.check("verify")
            started = utcnow()
            value = None
            try:
                with conn.begin() as tx:
                    row = conn.exec_driver_sql(check.sql, execution_options={"no_parameters": True}).first()
                    value = None if row is None else row[0]
                    tx.rollback()
                problem = None
                if check.expect is not None and str(value) != check.expect:
                    problem = f"expected {check.expect!r}, got {value!r}"
            except sa.exc.DBAPIError as exc:
                problem = str(exc.orig).strip().splitlines()[0]
            with conn.begin():
                store.append(conn, action="verify", status="failed" if problem else "ok", started_at=started,
                             deployment_id=deployment_id,
                             details={"check": check.name, "value": None if value is None else str(value)},
                             error=problem)
            store.committed()
            if problem:
                raise VerifyFailed(check.name, problem)
    except (VerifyFailed, Cancelled) as exc:
        yield _stage(result, "verify", "failed", t0, str(exc))
        raise
    yield _stage(result, "verify", "ok", t0)


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
            t0 = time.perf_counter()
            yield StageStarted("rollback", f"{len(plan)} migration(s)")
            try:
                for i, mid in enumerate(plan.ids, 1):
                    cancel.check("rollback")
                    yield from rollback_one(target, conn, project.migrations[mid], deployment_id, cancel, i, len(plan))
                    result.rolled_back.append(mid)
            except (StepFailed, Cancelled) as exc:
                result.ok = False
                result.error = exc
                result.status = "cancelled" if isinstance(exc, Cancelled) else "failed"
                result.failed = getattr(exc, "migration_id", None)
                result.message = str(exc)
                yield _stage(result, "rollback", result.status, t0, str(exc))
                return result
            result.status = "rolled_back"
            result.message = f"{len(plan)} migration(s) rolled back"
            yield _stage(result, "rollback", "ok", t0)
            return result
    finally:
        interrupt()
        conn.close()


__all__ = [
    "DeployOptions", "RollbackOptions", "OperationResult", "StepResult", "deploy", "rollback",
    "apply_one", "rollback_one", "read_snapshot", "plan_sql", "irreversible",
]
