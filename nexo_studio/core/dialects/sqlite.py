"""SQLite: a file on this machine, transactional DDL, sqlite3's interrupt() for Cancel."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from .base import DialectRules


class SqliteRules(DialectRules):
    name = "sqlite"
    display = "SQLite"
    transactional_ddl = True
    driver_writes = True
    watch_transaction = True
    canonical_json_in_sql = True

    def engine_url(self, url, kwargs):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        return url

    def prepare_engine(self, engine):
        """SQLAlchemy's documented pysqlite recipe, so that DDL runs inside real transactions
        (a failed migration's CREATE TABLE rolls back)."""
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # pragma: no cover - trivial
            dbapi_connection.isolation_level = None  # let the begin event issue BEGIN

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                # on the driver itself: once per migration, exec_driver_sql costs as much as the BEGIN
                conn.connection.dbapi_connection.execute("BEGIN")

    def server_version(self, conn: sa.Connection) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"

    def interrupter(self, engine, conn, cancel):
        raw = conn.connection.driver_connection
        if hasattr(raw, "interrupt"):
            return cancel.on_interrupt(raw.interrupt)
        return super().interrupter(engine, conn, cancel)

    def estimated_size(self, url, conn):
        return Path(url.database).stat().st_size

    def lock(self, engine):
        from ..state.locks import FileLock, NoLock

        database = engine.url.database
        if not database or database == ":memory:":
            return NoLock()
        return FileLock(Path(database).resolve())

    def backup_provider(self):
        from ..backup.sqlite import SqliteBackup

        return SqliteBackup()

    def transaction_ended(self, conn, xid):
        return not getattr(conn.connection.driver_connection, "in_transaction", True)

    def session_reset(self, conn):
        """The temporary tables, views and triggers a migration left: the temp schema is searched
        first, so the next migration's INSERT into a table of the same name would go there and
        vanish with the connection."""
        cur = conn.connection.dbapi_connection.cursor()
        try:
            cur.execute("SELECT type, name FROM sqlite_temp_master WHERE type IN ('table', 'view', 'trigger')")
            found = cur.fetchall()
        finally:
            cur.close()
        order = {"trigger": 0, "view": 1, "table": 2}
        return tuple(f'DROP {kind.upper()} IF EXISTS temp."{name.replace(chr(34), chr(34) * 2)}"'
                     for kind, name in sorted(found, key=lambda row: order[row[0]]))

    def transaction_open(self, conn):
        return bool(getattr(conn.connection.driver_connection, "in_transaction", False))

    def is_local_file(self) -> bool:
        return True
