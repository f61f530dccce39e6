"""MySQL and MariaDB: DDL commits implicitly, ``KILL QUERY`` for Cancel, GET_LOCK."""

from __future__ import annotations

import re

import sqlalchemy as sa

from .base import DialectRules, estimates_query


#: the protocol's status flag "a transaction is open" (SERVER_STATUS_IN_TRANS)
_SERVER_STATUS_IN_TRANS = 0x0001


#: statements that change the session: SET (sql_mode, foreign_key_checks, @variables,
#: autocommit …), USE, LOCK TABLES, HANDLER, a procedure or prepared statement that may do any
#: of it (also inside an executable comment, ``/*!40101 SET … */``), and temporary tables
_SESSION_START = re.compile(r"(?:/\*M?!\d*\s*)?(?:SET|USE|LOCK|HANDLER|CALL|EXECUTE|PREPARE)\b", re.I)
#: anywhere in a statement: temporary tables; a user variable (``SELECT … INTO @v``, ``@v := …``
#: assign one without SET; ``@@`` system variables are only read there); a user-level lock, held
#: by the session until it ends. A false match (``'a @b'`` in a string) costs only a connect.
_ANYWHERE = re.compile(r"\bTEMPORARY\b|(?<![@\w])@(?!@)|\bGET_LOCK\s*\(", re.I)


class MysqlRules(DialectRules):
    name = "mysql"
    display = "MySQL"
    default_port = 3306
    current_schema_sql = "SELECT DATABASE()"
    # already its default; said so that it holds whatever the server's setting
    snapshot_isolation_sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
    # MariaDB has no server UUID: the server's host name, port and data directory
    server_identity_sql = "SELECT CONCAT(DATABASE(), '@', @@hostname, ':', @@port, ':', @@datadir)"
    driver_writes = True

    def timestamp_type(self):
        from sqlalchemy.dialects.mysql import DATETIME  # imported only where MySQL is used

        return DATETIME(fsp=6)

    def long_text_type(self):
        from sqlalchemy.dialects.mysql import LONGTEXT  # TEXT stops at 64 KiB

        return LONGTEXT()

    def engine_url(self, url, kwargs):
        if "pymysql" in url.drivername:
            kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", 10)
        return url

    def server_version(self, conn: sa.Connection) -> str:
        info = conn.dialect.server_version_info
        name = "MariaDB" if getattr(conn.dialect, "is_mariadb", False) else self.display
        return f"{name} {'.'.join(str(p) for p in info or ())}"

    def interrupter(self, engine, conn, cancel):
        raw = conn.connection.driver_connection
        if not hasattr(raw, "thread_id"):
            return super().interrupter(engine, conn, cancel)
        thread_id = raw.thread_id()

        def kill_query() -> None:
            with engine.connect() as other:
                other.exec_driver_sql(f"KILL QUERY {int(thread_id)}")

        return cancel.on_interrupt(kill_query)

    def estimated_size(self, url, conn):
        return conn.exec_driver_sql(
            "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
            "WHERE table_schema = DATABASE()").scalar()

    def lock(self, engine):
        from ..state.locks import MySQLLock

        return MySQLLock(engine, engine.url.database or "")

    def backup_provider(self):
        from ..backup.mysql import MysqlBackup

        return MysqlBackup()

    def reflector(self):
        from ..schema import mysql

        return mysql

    def row_estimates(self, conn, names):
        return estimates_query(conn, "SELECT LOWER(table_name), COALESCE(table_rows, 0) FROM information_schema.tables "
                                     "WHERE table_schema = DATABASE() AND LOWER(table_name) IN :names", names)

    def may_change_session(self, m, kind):
        """A connection per migration costs a connect (10-90 ms): only for a migration that can
        change its session -- a Python one, or SQL with a statement above."""
        if m.kind != "sql":
            return True
        # the splitter has taken leading comments off every statement
        return any(_SESSION_START.match(st.sql) or _ANYWHERE.search(st.sql) for st in m.statements(kind, self.name))

    def transaction_open(self, conn):
        """PyMySQL keeps the server's status flags of the last reply (MySQL and MariaDB set
        SERVER_STATUS_IN_TRANS); other drivers ask MariaDB's ``@@in_transaction`` (MySQL has
        no such variable: then nothing is known)."""
        raw = conn.connection.driver_connection
        status = getattr(raw, "server_status", None)
        if isinstance(status, int):
            return bool(status & _SERVER_STATUS_IN_TRANS)
        try:
            return bool(conn.exec_driver_sql("SELECT @@in_transaction").scalar())
        except sa.exc.DBAPIError:
            return False

    def streaming_cursor(self, raw):
        if type(raw).__module__.startswith("pymysql"):
            import pymysql.cursors

            return raw.cursor(pymysql.cursors.SSCursor)
        return raw.cursor()
