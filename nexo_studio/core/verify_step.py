"""Step (5) of the deploy pipeline: each applied migration's ``verify``, the state, the checks."""

from __future__ import annotations

import time
from collections.abc import Generator

import sqlalchemy as sa

from ..errors import Cancelled, StepFailed, VerifyFailed
from .config import Check
from .events import CancelToken, Event, MigrationFinished, MigrationStarted, StageStarted
from .executor import run_section
from .model import Migration
from .project import Project
from .results import OperationResult, stage as _stage
from .run_one import _Tally, abandon, as_failure, finished_at
from .state.store import utcnow
from .target import Target
from .kinds import HistoryAction, HistoryStatus, MigrationStatus


def verify_step(project: Project, target: Target, conn: sa.Connection, result: OperationResult,
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
            try:
                yield from _verify_one(target, conn, m, deployment_id, cancel)
            except VerifyFailed:
                result.failed = mid
                raise
        # every planned migration recorded applied
        rows = store.applied(conn)
        if conn.in_transaction():
            conn.rollback()
        not_recorded = [i for i in result.plan if i in result.applied and
                        (i not in rows or rows[i].status != MigrationStatus.APPLIED)]
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
                store.append(conn, action=HistoryAction.VERIFY, status=HistoryStatus.FAILED if problem else HistoryStatus.OK, started_at=started,
                             deployment_id=deployment_id,
                             details={"check": check.name, "value": None if value is None else str(value)},
                             error=problem)
            if problem:
                raise VerifyFailed(check.name, problem)
    except (VerifyFailed, Cancelled) as exc:
        yield _stage(result, "verify", "failed", t0, str(exc))
        raise
    yield _stage(result, "verify", "ok", t0)


def _verify_one(target: Target, conn: sa.Connection, m: Migration, deployment_id: str,
                cancel: CancelToken) -> Generator[Event, None, None]:
    """Run one migration's verify in a transaction that is rolled back; record it, and on failure
    a ``failed`` row in the result naming the statement, its line and file."""
    store = target.store
    started = utcnow()
    tally = _Tally()
    yield MigrationStarted(m.id, "verify")
    tx = conn.begin()
    try:
        yield from tally.count(run_section(conn, m, "verify", target.dialect, cancel))
        tx.rollback()  # verify never changes anything
    except BaseException as exc:
        abandon(conn)
        failure = as_failure(exc, m, "verify")
        if not isinstance(failure, StepFailed):
            raise
        ms = tally.ms()
        with conn.begin():
            store.append(conn, action=HistoryAction.VERIFY, status=HistoryStatus.FAILED, started_at=started,
                         finished_at=finished_at(started, ms), deployment_id=deployment_id, migration_id=m.id,
                         details={"statement": failure.statement, "line": failure.line, "file": m.path.name},
                         error=failure.error)
        yield MigrationFinished(m.id, "verify", "failed", ms, error=failure.error, statement=failure.statement,
                                line=failure.line, statements=tally.statements)
        raise VerifyFailed(m.id, f"{failure.error} (line {failure.line})", migration_id=m.id,
                           statement=failure.statement, line=failure.line, path=m.path) from exc
    ms = tally.ms()
    with conn.begin():
        store.append(conn, action=HistoryAction.VERIFY, status=HistoryStatus.OK, started_at=started, finished_at=finished_at(started, ms),
                     deployment_id=deployment_id, migration_id=m.id)
    yield MigrationFinished(m.id, "verify", "ok", ms, statements=tally.statements)
