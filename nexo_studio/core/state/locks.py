"""One changing operation at a time per database (SPEC §3).

Each lock is released by the server or the OS if the process dies: PostgreSQL advisory locks
and MySQL ``GET_LOCK`` belong to a session (held on a dedicated connection), SQL Server
``sp_getapplock`` with a Session owner likewise, and SQLite uses ``flock`` on a file beside the
database. A waiter polls until ``timeout`` and then raises LockTimeout naming the holder where
the dialect can tell.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import socket
import time
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from ...errors import LockTimeout

POLL_SECONDS = 0.1


def holder_label() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"


class DatabaseLock(Protocol):
    def acquire(self, timeout: float) -> None: ...
    def release(self) -> None: ...
    def holder(self) -> str | None: ...


def lock_key(database: str) -> int:
    """A signed 64-bit advisory-lock key derived from the database name."""
    digest = hashlib.sha256(f"nexo:{database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_name(database: str) -> str:
    name = f"nexo:{database}"
    # MySQL/MariaDB lock names are limited to 64 characters.
    return name if len(name) <= 64 else "nexo:" + hashlib.sha256(name.encode()).hexdigest()[:59]


def _wait(try_once, timeout: float, on_timeout) -> None:
    deadline = time.monotonic() + max(timeout, 0)
    delay = 0.02
    while True:
        if try_once():
            return
        if time.monotonic() >= deadline:
            on_timeout()
            return
        time.sleep(min(delay, max(deadline - time.monotonic(), 0.001)))
        delay = min(delay * 2, POLL_SECONDS * 5)


class FileLock:
    """SQLite: ``flock`` on ``<database file>.nexo-lock``; the holder is written into the file."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(str(db_path) + ".nexo-lock")
        self._fd: int | None = None

    def acquire(self, timeout: float) -> None:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        def timed_out() -> None:
            holder = self.holder()
            if holder is None:  # released just now: take it rather than fail naming nobody
                if try_once():
                    return
                holder = self.holder()
            os.close(fd)
            raise LockTimeout(self.path.name.removesuffix(".nexo-lock"), timeout, holder)

        _wait(try_once, timeout, timed_out)
        self._fd = fd
        info = {"holder": holder_label(), "since": datetime.now(timezone.utc).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> str | None:
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return None
        if not info:
            return None
        return f"{info.get('holder')} since {info.get('since')}"


#: URL query parameters that choose the database instead of the URL's path
_DATABASE_PARAMS = frozenset({"dbname", "database", "db", "service"})


class _ConnectionLock:
    """A lock held by a dedicated connection (released by the server if the process dies).

    Its key is the database's name as the server knows it: a URL that names no database
    (PostgreSQL then connects to ``PGDATABASE``'s, a service's or the user's database) or names
    it in its query must take the same lock as one naming it in its path."""

    #: the server's name of the connection's database
    current_database_sql = ""

    def __init__(self, engine: sa.Engine, database: str) -> None:
        self.engine = engine
        named = database and not _DATABASE_PARAMS.intersection(k.lower() for k in engine.url.query)
        self._database: str | None = database if named else None
        self.conn: sa.Connection | None = None

    @property
    def database(self) -> str:
        if self._database is None:
            if self.conn is not None:
                self._database = str(self.conn.exec_driver_sql(self.current_database_sql).scalar() or "")
            else:
                with self.engine.connect() as conn:
                    self._database = str(conn.exec_driver_sql(self.current_database_sql).scalar() or "")
        return self._database

    def _open(self) -> sa.Connection:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def acquire(self, timeout: float) -> None:
        self.conn = self._open()

        def timed_out() -> None:
            holder = self.holder()
            if holder is None:  # released just now: take it rather than fail naming nobody
                if self._try():
                    return
                holder = self.holder()
            self._close()
            raise LockTimeout(self.database, timeout, holder)

        _wait(self._try, timeout, timed_out)

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def release(self) -> None:
        if self.conn is not None:
            try:
                self._release()
            finally:
                self._close()

    def _try(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _release(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def holder(self) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


class PostgresLock(_ConnectionLock):
    current_database_sql = "SELECT current_database()"

    def _open(self) -> sa.Connection:
        conn = super()._open()
        conn.execute(sa.text("SELECT set_config('application_name', :n, false)"),
                     {"n": f"nexo {holder_label()}"[:63]})
        return conn

    def _try(self) -> bool:
        assert self.conn is not None
        return bool(self.conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                      {"k": lock_key(self.database)}).scalar())

    def _release(self) -> None:
        assert self.conn is not None
        self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.database)})

    def holder(self) -> str | None:
        key = lock_key(self.database) & 0xFFFFFFFFFFFFFFFF
        sql = sa.text(
            "SELECT a.pid, a.usename, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
            "AND l.objsubid = 1 AND l.mode = 'ExclusiveLock'"  # not a status's shared look (quiet())
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sql, {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).first()
        except sa.exc.DBAPIError:
            return None
        if row is None:
            return None
        return f"{row.application_name or 'backend'} (pid {row.pid}, user {row.usename}, since {row.backend_start:%Y-%m-%d %H:%M:%S})"


class MySQLLock(_ConnectionLock):
    current_database_sql = "SELECT DATABASE()"

    def _try(self) -> bool:
        assert self.conn is not None
        got = self.conn.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": lock_name(self.database)}).scalar()
        return got == 1

    def _release(self) -> None:
        assert self.conn is not None
        self.conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": lock_name(self.database)})

    def holder(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                cid = conn.execute(sa.text("SELECT IS_USED_LOCK(:n)"), {"n": lock_name(self.database)}).scalar()
                if cid is None:
                    return None
                row = conn.execute(
                    sa.text("SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = :i"),
                    {"i": cid},
                ).first()
        except sa.exc.DBAPIError:
            return None
        if row is None:
            return f"connection {cid}"
        return f"connection {cid} ({row[0]}@{row[1]}, {row[2]}s)"


def mssql_lock_sql(resource: str, timeout_ms: int) -> str:
    res = resource.replace("'", "''")
    return (
        "DECLARE @r int; "
        f"EXEC @r = sp_getapplock @Resource = N'{res}', @LockMode = 'Exclusive', "
        f"@LockOwner = 'Session', @LockTimeout = {int(timeout_ms)}; "
        "SELECT @r"
    )


def mssql_unlock_sql(resource: str) -> str:
    res = resource.replace("'", "''")
    return f"EXEC sp_releaseapplock @Resource = N'{res}', @LockOwner = 'Session'"


class MssqlLock(_ConnectionLock):
    current_database_sql = "SELECT DB_NAME()"

    def _try(self) -> bool:
        assert self.conn is not None
        got = self.conn.exec_driver_sql(mssql_lock_sql(lock_name(self.database), 0)).scalar()
        return got is not None and got >= 0

    def _release(self) -> None:
        assert self.conn is not None
        self.conn.exec_driver_sql(mssql_unlock_sql(lock_name(self.database)))

    def holder(self) -> str | None:
        return None


class NoLock:
    """In-memory SQLite: nobody else can see the database."""

    def acquire(self, timeout: float) -> None:
        pass

    def release(self) -> None:
        pass

    def holder(self) -> str | None:
        return None


def held_by(lock: DatabaseLock) -> str | None:
    """Who holds the lock right now (None: nobody), without taking it for long.

    For SQLite the holder text in the lock file may be stale after a crash, so the flock itself
    is tried; the servers report their own lock tables.
    """
    if isinstance(lock, FileLock):
        import fcntl

        try:
            fd = os.open(lock.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        except BlockingIOError:
            return lock.holder() or "another process"
        finally:
            os.close(fd)
    return lock.holder()


def lock_for(engine: sa.Engine) -> DatabaseLock:
    from ..dialects import rules_for

    return rules_for(engine.url.get_backend_name()).lock(engine)



@contextlib.contextmanager
def quiet(lock: DatabaseLock) -> Iterator[bool]:
    """Keep changing operations out for a moment, without waiting for anyone: yields True when
    nobody held the lock (and nobody can take it until the block ends; a deploy starting now
    waits), False when someone holds it. What is read inside a True block is no operation's
    work in progress: a ``running`` row seen there is left over from a process that died.
    Shared where the dialect allows it (SQLite ``flock``, PostgreSQL advisory), so two
    read-only callers do not exclude each other."""
    if isinstance(lock, FileLock):
        import fcntl

        try:
            fd = os.open(lock.path, os.O_RDONLY)
        except FileNotFoundError:  # never locked: a writer creates it first, so take its place
            try:
                fd = os.open(lock.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # a read-only folder: no writer can create it either
                yield True
                return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return
    if isinstance(lock, PostgresLock):
        key = lock_key(lock.database)
        with lock.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock_shared(:k)"), {"k": key}).scalar():
                yield False
                return
            try:
                yield True
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock_shared(:k)"), {"k": key})
        return
    if isinstance(lock, NoLock):
        yield True
        return
    try:
        lock.acquire(0)
    except LockTimeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
