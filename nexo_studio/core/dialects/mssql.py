"""SQL Server: transactional DDL, sp_getapplock, BACKUP DATABASE on the server.

The state store keeps the plain Core path here: the driver-level one is not verified against a
live server (see README)."""

from __future__ import annotations

from .base import DialectRules, estimates_query


class MssqlRules(DialectRules):
    name = "mssql"
    display = "SQL Server"
    transactional_ddl = True
    default_port = 1433
    current_schema_sql = "SELECT SCHEMA_NAME()"
    watch_transaction = True

    def timestamp_type(self):
        from sqlalchemy.dialects.mssql import DATETIME2  # imported only where SQL Server is used

        return DATETIME2(precision=6)

    def lock(self, engine):
        from ..state.locks import MssqlLock

        return MssqlLock(engine, engine.url.database or "")

    def backup_provider(self):
        from ..backup.mssql import MssqlBackup

        return MssqlBackup()

    def reflector(self):
        from ..schema import mssql

        return mssql

    def row_estimates(self, conn, names):
        return estimates_query(conn, "SELECT LOWER(t.name), SUM(p.rows) FROM sys.tables t JOIN sys.partitions p "
                                     "ON p.object_id = t.object_id AND p.index_id IN (0, 1) "
                                     "WHERE LOWER(t.name) IN :names GROUP BY t.name", names)
