"""PostgreSQL: transactional DDL, the session reset between migrations, psycopg's cancel(), advisory lock."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .base import DialectRules, capped_count


class PostgresRules(DialectRules):
    name = "postgresql"
    display = "PostgreSQL"
    transactional_ddl = True
    default_port = 5432
    current_schema_sql = "SELECT current_schema()"
    # as SQLAlchemy's get_table_names(schema): plain and partitioned tables, not temporary ones
    # (building its query costs ~1 ms of Python per call, several calls per deploy)
    table_names_sql = ("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                       "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND c.relpersistence != 't' "
                       "AND n.nspname = :s")
    # RESET ALL leaves the role and the session user alone: a migration's SET ROLE or SET SESSION
    # AUTHORIZATION would own the next migration's objects and make the tool's own writes; a
    # temporary table left behind (pg_temp is searched first) would take the next migration's
    # INSERTs into a table of the same name, and vanish with them
    reset_session_sql = ("RESET SESSION AUTHORIZATION", "RESET ROLE", "RESET ALL", "DISCARD TEMP")
    # the cluster's system identifier (set by initdb, readable by any role) and the database
    server_identity_sql = ("SELECT current_database() || '@' || "
                           "(SELECT system_identifier FROM pg_control_system())::text")
    # its default, READ COMMITTED, takes a new snapshot per statement
    snapshot_isolation_sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
    driver_writes = True
    watch_transaction = True
    report_isolation_level = "REPEATABLE READ"

    def engine_url(self, url, kwargs):
        if url.drivername in ("postgresql", "postgresql+psycopg"):
            url = url.set(drivername="postgresql+psycopg")
            kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", 10)
        return url

    def interrupter(self, engine, conn, cancel):
        raw = conn.connection.driver_connection
        if hasattr(raw, "cancel"):
            return cancel.on_interrupt(raw.cancel)
        return super().interrupter(engine, conn, cancel)

    def estimated_size(self, url, conn):
        return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()

    def lock(self, engine):
        from ..state.locks import PostgresLock

        return PostgresLock(engine, engine.url.database or "")

    def backup_provider(self):
        from ..backup.postgresql import PostgresBackup

        return PostgresBackup()

    def reflector(self):
        from ..schema import postgresql

        return postgresql

    def row_estimates(self, conn, names):
        """``pg_class.reltuples``; a table never vacuumed or analysed (-1 since PostgreSQL 14) is
        counted instead, up to ROW_COUNT_CAP."""
        sql = ("SELECT LOWER(c.relname), c.reltuples, n.nspname, c.relname FROM pg_class c "
               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
               "AND n.nspname = ANY (current_schemas(false)) AND LOWER(c.relname) IN :names")
        stmt = sa.text(sql).bindparams(sa.bindparam("names", expanding=True))
        out = {}
        for name, reltuples, schema, relname in conn.execute(stmt, {"names": names}):
            quoted = '"' + schema.replace('"', '""') + '"."' + relname.replace('"', '""') + '"'
            out[name] = int(reltuples) if reltuples is not None and reltuples >= 0 else capped_count(conn, quoted)
        return out

    def transaction_id(self, conn):
        """The current transaction's id (assigning one): a different id means a new transaction."""
        try:
            cur = conn.connection.dbapi_connection.cursor()
            try:
                cur.execute("SELECT txid_current()")
                return cur.fetchone()[0]
            finally:
                cur.close()
        except Exception:  # the transaction is in error: the migration's failure says enough
            return None

    def transaction_ended(self, conn, xid):
        if xid is None:
            return False
        status = conn.connection.driver_connection.info.transaction_status.name
        return status == "IDLE" or (status == "INTRANS" and self.transaction_id(conn) != xid)

    def transaction_open(self, conn):
        info = getattr(conn.connection.driver_connection, "info", None)
        return info is not None and info.transaction_status.name in ("INTRANS", "INERROR")

    def text_batches(self, raw):
        """psycopg 3 (its ``execute()`` without parameters uses the simple query protocol, which
        runs several statements) with a UTF-8 client encoding: then quoting a string is only about
        its quotes and backslashes (no multi-byte encoding can hide one inside a character)."""
        return type(raw).__module__.partition(".")[0] == "psycopg" and raw.info.encoding == "utf-8"

    def sql_literal(self, value):
        """NULL, an ``int``, a ``str`` as an escape string (``E'…'``: the same whatever
        ``standard_conforming_strings`` says) or a naive ``datetime`` in ISO form (read the same
        whatever ``DateStyle`` says). Anything else, and a string holding NUL (which PostgreSQL
        text cannot hold, and which would cut the query short), goes as a parameter."""
        if isinstance(value, str):
            if "\0" in value:
                return None
            if "'" in value or "\\" in value:
                value = value.replace("\\", "\\\\").replace("'", "''")
            return "E'" + value + "'"
        if value is None:
            return "NULL"
        kind = type(value)
        if kind is int:
            return str(value)
        if kind is datetime and value.tzinfo is None:
            return "'" + value.isoformat(" ") + "'"
        return None

    def streaming_cursor(self, raw):
        if type(raw).__module__.startswith("psycopg"):
            return raw.cursor(name="nexo_chain_scan")
        return raw.cursor()
