"""Running one migration (its ``up``, ``down``) with its state row and history row (SPEC §3)."""

from __future__ import annotations

import time
from collections.abc import Generator
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..errors import Cancelled, NexoError, StepFailed
from .events import CancelToken, Event, MigrationFinished, MigrationStarted, StatementExecuted
from .executor import run_section
from .model import Migration, SectionKind
from .state.store import utcnow
from .target import Target
from .kinds import HistoryAction, HistoryStatus, MigrationStatus




def _reset_session(target: Target, conn: sa.Connection, m: Migration) -> None:
    """What a migration set in the session -- PostgreSQL settings (search_path, its role …) and
    temporary tables, SQLite temporary tables and PRAGMAs -- does not reach the next migration.

    Sent after every migration, whatever its text (SQL built at run time, ``DO`` blocks and
    functions can change a setting no text check sees): inside the migration's transaction in
    the same round trip as its state writes (RESET is transactional), or on its own outside one.
    MySQL/MariaDB need none: their migrations run on connections of their own.
    """
    if conn.invalidated:
        return
    reset = target.rules.session_reset(conn, m)
    if not reset:
        return
    if conn.in_transaction():
        for sql in reset:
            target.store.execute_plain(conn, sql)
    else:
        with conn.begin():
            for sql in reset:
                conn.exec_driver_sql(sql)


def _row_for(m: Migration, target: Target, status: str, started, ms: int | None, deployment_id: str) -> dict:
    from .state.store import operator_and_host

    return dict(
        id=m.id, version=m.version, name=m.name, description=m.description,
        checksum=m.checksum(target.dialect), status=status, depends=list(m.depends),
        applied_at=started, applied_by=operator_and_host()[0], execution_ms=ms,
        metadata={"deployment_id": deployment_id, "kind": m.kind, "transaction": m.transaction,
                  "tags": list(m.tags), **up_text(m, target.dialect)},
    )


#: the applied ``up`` text is kept up to this many characters (Repair shows the diff to the file)
UP_TEXT_LIMIT = 200_000


def up_text(m: Migration, dialect: str) -> dict:
    """``{"up_text": ...}``: the ``up`` section as applied, for the drift diff; {} for Python
    migrations and sections too large to keep."""
    section = m.section("up", dialect) if m.kind == "sql" else None
    if section is None or len(section.text) > UP_TEXT_LIMIT:
        return {}
    return {"up_text": section.text}


def _transactional(target: Target, m: Migration) -> bool:
    return target.transactional_ddl and m.transaction != "none"


def apply_one(target: Target, conn: sa.Connection, m: Migration, deployment_id: str,
              cancel: CancelToken | None, index: int = 0, total: int = 0,
              has_row: bool | None = None) -> Generator[Event, None, int]:
    """Apply one migration and record it; raises StepFailed/Cancelled after recording the failure."""
    return (yield from _run_one(target, conn, m, "up", deployment_id, cancel, index, total, has_row))


def rollback_one(target: Target, conn: sa.Connection, m: Migration, deployment_id: str,
                 cancel: CancelToken | None, index: int = 0, total: int = 0,
                 labels: dict | None = None) -> Generator[Event, None, int]:
    """Roll back one migration (its ``down``) and record it; raises like apply_one. ``labels``:
    extra keys for its history row's details (a fleet run's ``fleet_id``)."""
    return (yield from _run_one(target, conn, m, "down", deployment_id, cancel, index, total, True, labels))


class _Tally:
    """Counts the statements a section ran and the rows they reported, passing events on, and
    times the migration: the time its events spend with the consumer (a terminal, a window) is
    not the migration's, so one figure goes to the table, ``__Migrations`` and the history."""

    def __init__(self) -> None:
        self.statements = 0
        self.rows: int | None = None
        self.t0 = time.perf_counter()
        self.paused = 0.0

    def count(self, gen: Generator[StatementExecuted, None, int]) -> Generator[Event, None, None]:
        for ev in gen:
            self.statements += 1
            if ev.rowcount is not None:
                self.rows = (self.rows or 0) + ev.rowcount
            t = time.perf_counter()
            yield ev
            self.paused += time.perf_counter() - t

    def ms(self) -> int:
        return int((time.perf_counter() - self.t0 - self.paused) * 1000)


def finished_at(started: datetime, ms: int) -> datetime:
    """The history's ``finished_at`` for a step that took ``ms``: its ``duration_ms`` is ``ms``."""
    return started + timedelta(milliseconds=ms, microseconds=500)


def _run_one(target: Target, conn: sa.Connection, m: Migration, kind: SectionKind, deployment_id: str,
             cancel: CancelToken | None, index: int, total: int,
             has_row: bool | None, labels: dict | None = None) -> Generator[Event, None, int]:
    """Run ``up`` or ``down`` of one migration with its state row and history row.

    Transactional (SQLite, PostgreSQL, SQL Server): statements, state row and history row
    commit together. Otherwise (MySQL/MariaDB DDL, ``transaction: none``) the row is marked
    ``running`` first and committed, so a crash leaves a visible dirty row. Whatever the
    migration's code raises, and any driver error on the way, ends as a recorded failure.
    """
    action = HistoryAction.APPLY if kind == "up" else HistoryAction.ROLLBACK
    yield MigrationStarted(m.id, action, index, total)
    started = utcnow()
    tally = _Tally()

    def record_done(ms: int, row_exists: bool | None) -> None:
        _record_done(target, conn, m, kind, started, ms, deployment_id, tally, row_exists, labels)

    run = _run_transactional if _transactional(target, m) else _run_tracked
    try:
        ms = yield from run(target, conn, m, kind, cancel, tally, record_done, started, deployment_id, has_row)
    except BaseException as exc:
        abandon(conn)
        failure = as_failure(exc, m, action)
        if failure is None:
            raise
        dirty = _dirty(target, m, failure, tally)
        if isinstance(failure, StepFailed):
            failure.dirty = dirty
        if dirty and _transactional(target, m):
            # it committed part of itself on ``conn``, settings included; a non-transactional one
            # ran on a connection of its own (closed) or, on MySQL, needs none (session_reset)
            _reset_quietly(target, conn, m)
        yield from _record_failure(target, conn, m, action, started, tally, deployment_id, failure, dirty=dirty,
                                   labels=labels)
        if failure is exc:
            raise
        raise failure from exc
    yield MigrationFinished(m.id, action, "ok", ms, statements=tally.statements, rows=tally.rows)
    return ms


def _record_done(target: Target, conn: sa.Connection, m: Migration, kind: SectionKind, started: datetime, ms: int,
                 deployment_id: str, tally: _Tally, row_exists: bool | None, labels: dict | None = None) -> None:
    store = target.store
    if kind == "up":
        store.put_migration(conn, exists=row_exists, **_row_for(m, target, MigrationStatus.APPLIED, started, ms, deployment_id))
    else:
        store.set_status(conn, m.id, MigrationStatus.ROLLED_BACK)
    details = {"statements": tally.statements, "rows": tally.rows, **(labels or {})}
    if kind == "up":
        details["checksum"] = m.checksum(target.dialect)
    store.append(conn, action=HistoryAction.APPLY if kind == "up" else HistoryAction.ROLLBACK,
                 status=HistoryStatus.OK, started_at=started, finished_at=finished_at(started, ms), deployment_id=deployment_id, migration_id=m.id,
                 details=details)


def _run_transactional(target: Target, conn: sa.Connection, m: Migration, kind: SectionKind, cancel: CancelToken | None,
                       tally: _Tally, record_done, started: datetime, deployment_id: str,
                       has_row: bool | None) -> Generator[Event, None, int]:
    """SQLite, PostgreSQL, SQL Server: statements, state row and history row commit together."""
    tx = conn.begin()
    yield from tally.count(run_section(conn, m, kind, target.dialect, cancel))
    ms = tally.ms()
    # PostgreSQL: the RESET, the three writes and the COMMIT in one round trip
    with target.store.batch(conn, commit=True):
        _reset_session(target, conn, m)
        record_done(ms, has_row)
    tx.commit()  # Core's side of it (and SQLite's, SQL Server's COMMIT)
    return ms


def _run_tracked(target: Target, conn: sa.Connection, m: Migration, kind: SectionKind, cancel: CancelToken | None,
                 tally: _Tally, record_done, started: datetime, deployment_id: str,
                 has_row: bool | None) -> Generator[Event, None, int]:
    """MySQL/MariaDB DDL, ``transaction: none``: the row is marked ``running`` first and
    committed, so a crash leaves a visible dirty row."""
    store = target.store
    with conn.begin():
        if kind == "up":
            store.put_migration(conn, exists=has_row, **_row_for(m, target, MigrationStatus.RUNNING, started, None, deployment_id))
        else:
            store.set_status(conn, m.id, MigrationStatus.RUNNING)
    if m.transaction == "none" or target.rules.may_change_session(m, kind):
        yield from _run_on_own_connection(target, m, kind, cancel, tally, autocommit=m.transaction == "none")
    else:
        conn.begin()
        yield from tally.count(run_section(conn, m, kind, target.dialect, cancel))
        conn.commit()
    ms = tally.ms()
    # no session reset: the statements ran on a connection of their own (now closed), or on
    # MySQL, whose shared connection gets only migrations that cannot change its session
    with conn.begin(), store.batch(conn):
        record_done(ms, True)  # the `running` row written above
    return ms


def _dirty(target: Target, m: Migration, failure: NexoError, tally: _Tally) -> bool:
    """Whether part of a failed migration may be in the database. Transactional: only when it
    committed itself. Otherwise: once a statement ran (a SQL migration's failing first statement
    leaves nothing), or a Python migration started (one that failed to load did nothing)."""
    own = isinstance(failure, StepFailed) and failure.dirty
    if _transactional(target, m):
        return own
    loaded = not (isinstance(failure, StepFailed) and failure.action == "load")
    return own or tally.statements > 0 or (m.kind == "py" and loaded)


def _run_on_own_connection(target: Target, m: Migration, kind: SectionKind, cancel: CancelToken | None,
                           tally: _Tally, autocommit: bool) -> Generator[Event, None, None]:
    """The statements on a connection of their own, closed after them (never returned to a
    pool), so whatever session state the migration sets -- MySQL ``sql_mode``,
    ``foreign_key_checks``, ``USE other_db``, user variables; a setting on any dialect under
    ``transaction: none`` -- ends with it, as it would in the server's own client. In one
    transaction, or in autocommit for ``transaction: none``."""
    with target.engine.connect() as own:
        if autocommit:
            own = own.execution_options(isolation_level="AUTOCOMMIT")
        # Cancel must interrupt the statement on this connection, not the main one
        unwire = _interrupter(target, own, cancel) if cancel else (lambda: None)
        try:
            if autocommit:
                yield from tally.count(run_section(own, m, kind, target.dialect, cancel))
                _refuse_open_transaction(target, own, m, kind)
            else:
                own.begin()
                yield from tally.count(run_section(own, m, kind, target.dialect, cancel))
                own.commit()  # whatever is open then: a Python migration may have committed itself
        finally:
            unwire()
            own.invalidate()  # never back to a pool (SQLite's): its session ends here


LEFT_OPEN = ("it left a transaction open (BEGIN or START TRANSACTION without COMMIT, or MySQL's "
             "SET autocommit = 0): the statements run in it were rolled back, not committed; "
             "end it with COMMIT")


def _refuse_open_transaction(target: Target, ac: sa.Connection, m: Migration, kind: SectionKind) -> None:
    """A ``transaction: none`` section runs in autocommit: a transaction still open at its end
    is the migration's own, and closing the connection would roll it back silently -- recorded
    ``applied`` with its last statements gone. It is rolled back here and is a failure (dirty:
    what ran before it was committed)."""
    if not target.rules.transaction_open(ac):
        return
    cursor = ac.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # in use: it has one
    try:
        cursor.execute("ROLLBACK")
    finally:
        cursor.close()
    action = HistoryAction.APPLY if kind == "up" else HistoryAction.ROLLBACK
    raise StepFailed(m.id, action, f"(the end of its {kind} section)", LEFT_OPEN, m.path, dirty=True)


def _reset_quietly(target: Target, conn: sa.Connection, m: Migration) -> None:
    try:
        _reset_session(target, conn, m)
    except sa.exc.SQLAlchemyError as exc:
        conn.invalidate(exc)  # a fresh session has no settings to leak
        abandon(conn)


def abandon(conn: sa.Connection) -> None:
    """Roll back whatever is open on ``conn``. A connection that cannot roll back (e.g. left in
    ``COPY … FROM STDIN`` mode, or gone) is invalidated: its next use reconnects."""
    try:
        # not only when in_transaction(): a transaction whose COMMIT failed is inactive, yet Core
        # keeps it on the connection (the next begin() refuses) until rollback() is called
        conn.rollback()
        _driver_rollback(conn)
        return
    except Exception as exc:  # the driver's error, as SQLAlchemy raises it
        if not conn.invalidated:
            conn.invalidate(exc)
    try:
        conn.rollback()  # clears the Connection's transaction after the invalidation
    except Exception:
        pass


def _driver_rollback(conn: sa.Connection) -> None:
    """After a COMMIT that failed, Core forgets the transaction without rolling the driver back;
    SQLite's stays open then (a deferred constraint, ``database is locked``) and the next BEGIN,
    the one that records the failure, fails with "cannot start a transaction within a transaction"."""
    if conn.invalidated or conn.closed:
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and getattr(raw, "in_transaction", False):  # sqlite3 tells; other drivers end theirs
        raw.rollback()


def as_failure(exc: BaseException, m: Migration, action: str) -> NexoError | None:
    """The failure to record for ``exc``: StepFailed/Cancelled as they are, a driver error as a
    StepFailed of this migration; None for what is not this migration's failure (the consumer
    closing the generator, an interrupt of the engine itself, a bug)."""
    if isinstance(exc, (StepFailed, Cancelled)):
        return exc
    if isinstance(exc, sa.exc.SQLAlchemyError):
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return StepFailed(m.id, action, None, f"{type(getattr(exc, 'orig', None) or exc).__name__}: {text}", m.path)
    return None


def _record_failure(target: Target, conn: sa.Connection, m: Migration, action: str, started: datetime,
                    tally: _Tally, deployment_id: str | None, exc: NexoError,
                    dirty: bool, labels: dict | None = None) -> Generator[Event, None, None]:
    """Write the failed/cancelled history row in a transaction of its own, so it survives.
    A transactional migration that committed part of itself (a Python migration that called
    ``conn.commit()``) is recorded dirty like a non-transactional one."""
    store = target.store
    status = HistoryStatus.CANCELLED if isinstance(exc, Cancelled) else HistoryStatus.FAILED
    ms = tally.ms()
    details: dict = {"dirty": dirty, **(labels or {})}
    statement = line = None
    if isinstance(exc, StepFailed):
        statement, line = exc.statement, exc.line
        details.update(statement=statement, line=line, file=m.path.name)
    abandon(conn)
    with conn.begin():
        meta = {"error": str(exc), "statement": statement, "line": line, "deployment_id": deployment_id}
        if dirty and _transactional(target, m) and action == HistoryAction.APPLY:
            row = _row_for(m, target, MigrationStatus.FAILED, started, ms, str(deployment_id))
            store.put_migration(conn, **{**row, "metadata": {**row["metadata"], **meta}})
        elif dirty:
            store.set_status(conn, m.id, MigrationStatus.FAILED if status == HistoryStatus.FAILED else MigrationStatus.RUNNING, metadata=meta)
        elif not _transactional(target, m):
            if action == HistoryAction.APPLY:
                store.delete_migration(conn, m.id)  # nothing of it ran: no row, not dirty
            else:
                store.set_status(conn, m.id, MigrationStatus.APPLIED)  # its down did not start: still applied
        store.append(conn, action=action, status=status, started_at=started, finished_at=finished_at(started, ms),
                     deployment_id=deployment_id, migration_id=m.id, details=details,
                     error=str(exc) if status == HistoryStatus.FAILED else None)
    yield MigrationFinished(m.id, action, status, ms, error=str(exc), statement=statement, line=line)


def _interrupter(target: Target, conn: sa.Connection, cancel: CancelToken):
    """Wire Cancel to interrupting the statement that is running on ``conn`` (from any thread):
    psycopg's cancel() on PostgreSQL, sqlite3's interrupt() on SQLite, ``KILL QUERY`` from a
    second connection on MySQL/MariaDB. Returns the function that unwires it."""
    return target.rules.interrupter(target.engine, conn, cancel)
