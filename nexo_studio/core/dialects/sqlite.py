"""SQLite: a file on this machine, transactional DDL, sqlite3's interrupt() for Cancel."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from .base import DialectRules, capped_count


#: per-connection PRAGMAs a migration can change inside its transaction that change what the next
#: migration does (integrity checks, ALTER TABLE's renaming, trigger recursion, read-only, …)
_PRAGMA_NAMES = ("ignore_check_constraints", "recursive_triggers", "legacy_alter_table", "query_only",
                 "writable_schema", "trusted_schema", "reverse_unordered_selects", "automatic_index",
                 "cell_size_check", "secure_delete")
_PRAGMAS_KEY = "nexo_pragmas"
_PRAGMA_WORD = re.compile("pragma", re.I)
#: a temporary table, view or trigger is made only by SQL saying TEMP, TEMPORARY or temp.NAME
_TEMP_WORD = re.compile("temp", re.I)


def _pragmas(raw) -> dict[str, object]:
    cur = raw.cursor()
    try:
        out = {}
        for name in _PRAGMA_NAMES:
            cur.execute(f"PRAGMA {name}")
            row = cur.fetchone()
            if row is not None:
                out[name] = row[0]
        return out
    finally:
        cur.close()


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
        def _connect(dbapi_connection, record):  # pragma: no cover - trivial
            dbapi_connection.isolation_level = None  # let the begin event issue BEGIN
            record.info[_PRAGMAS_KEY] = _pragmas(dbapi_connection)  # what session_reset puts back

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

    def reflector(self):
        from ..schema import sqlite

        return sqlite

    def row_estimates(self, conn, names):
        """SQLite keeps no statistics: counted, up to ROW_COUNT_CAP."""
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars()
        existing = {n.lower(): n for n in rows}
        return {name: capped_count(conn, '"' + existing[name].replace('"', '""') + '"')
                for name in names if name in existing}

    def transaction_ended(self, conn, xid):
        return not getattr(conn.connection.driver_connection, "in_transaction", True)

    def session_reset(self, conn, m):
        """The temporary tables, views and triggers a migration left (the temp schema is searched
        first, so the next migration's INSERT into a table of the same name would go there and
        vanish with the connection), and the PRAGMAs it changed (``ignore_check_constraints``
        would let the next migration insert what its CHECKs refuse) put back as the connection
        opened. Each is looked for only after a migration that can have made one: SQLite has no
        dynamic SQL, so a SQL file without the word ``PRAGMA`` sets none, and one without ``temp``
        (TEMP, TEMPORARY, temp.NAME) makes no temporary object; a Python migration always can."""
        raw = conn.connection.dbapi_connection
        found = _temp_objects(raw) if m.kind != "sql" or _TEMP_WORD.search(m.source) else []
        order = {"trigger": 0, "view": 1, "table": 2}
        out = [f'DROP {kind.upper()} IF EXISTS temp."{name.replace(chr(34), chr(34) * 2)}"'
               for kind, name in sorted(found, key=lambda row: order[row[0]])]
        opened = conn.connection.info.get(_PRAGMAS_KEY)
        if opened and (m.kind != "sql" or _PRAGMA_WORD.search(m.source)):
            now = _pragmas(raw)
            out += [f"PRAGMA {name} = {value}" for name, value in opened.items() if now.get(name) != value]
        return tuple(out)

    def transaction_open(self, conn):
        return bool(getattr(conn.connection.driver_connection, "in_transaction", False))

    def is_local_file(self) -> bool:
        return True


def _temp_objects(raw) -> list[tuple[str, str]]:
    """(type, name) of the temporary tables, views and triggers on the driver connection ``raw``."""
    cur = raw.cursor()
    try:
        cur.execute("SELECT type, name FROM sqlite_temp_master WHERE type IN ('table', 'view', 'trigger')")
        return cur.fetchall()
    finally:
        cur.close()
