"""MySQL and MariaDB: DDL commits implicitly, ``KILL QUERY`` for Cancel, GET_LOCK."""

from __future__ import annotations

import sqlalchemy as sa

from .base import DialectRules


class MysqlRules(DialectRules):
    name = "mysql"
    display = "MySQL"
    default_port = 3306
    current_schema_sql = "SELECT DATABASE()"
    # already its default; said so that it holds whatever the server's setting
    snapshot_isolation_sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
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

    def streaming_cursor(self, raw):
        if type(raw).__module__.startswith("pymysql"):
            import pymysql.cursors

            return raw.cursor(pymysql.cursors.SSCursor)
        return raw.cursor()
