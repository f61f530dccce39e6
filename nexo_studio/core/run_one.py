"""Running one migration (its ``up``, ``down``) with its state row and history row (SPEC §3)."""

from __future__ import annotations

import re
import time
from collections.abc import Generator

import sqlalchemy as sa

from ..errors import Cancelled, NexoError, StepFailed
from .events import CancelToken, Event, MigrationFinished, MigrationStarted, StatementExecuted
from .executor import run_section
from .model import Migration
from .state.store import utcnow
from .target import Target




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
