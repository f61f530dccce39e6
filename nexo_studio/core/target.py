"""The target database: engine, state store, lock, dialect facts."""

from __future__ import annotations

import contextlib
from pathlib import Path
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL

from . import db
from .model import canonical_dialect
from .state.locks import lock_for
from .state.store import StateStore

#: dialects whose DDL runs inside transactions
TRANSACTIONAL_DDL = ("sqlite", "postgresql", "mssql")


class Target:
    def __init__(self, url: str | URL, schema: str | None = None) -> None:
        self.url = db.parse_url(url)
        self.engine = db.create_engine(self.url, poolclass=sa.pool.NullPool) if self.url.get_backend_name() != "sqlite" \
            else db.create_engine(self.url)
        self.dialect = canonical_dialect(self.url.get_backend_name())
        self.store = StateStore(self.engine, schema)

    @property
    def display_url(self) -> str:
        return db.display_url(self.url)

    @property
    def transactional_ddl(self) -> bool:
        return self.dialect in TRANSACTIONAL_DDL

    def absent(self) -> bool:
        """An SQLite file that does not exist yet: read-only commands must not create it."""
        if self.dialect != "sqlite":
            return False
        db = self.url.database
        return bool(db) and db != ":memory:" and not db.startswith("file:") and not Path(db).exists()

    def connect(self) -> sa.Connection:
        return db.connect(self.engine)

    @contextlib.contextmanager
    def locked(self, timeout: float) -> Iterator[None]:
        lock = lock_for(self.engine)
        try:
            lock.acquire(timeout)
        except sa.exc.DBAPIError as exc:
            raise db.connection_failed(self.url, exc) from None
        try:
            from .backup.recovery import recover

            recover(self)  # a restore or backup killed earlier is finished or undone first
            yield
        finally:
            lock.release()

    def server_version(self, conn: sa.Connection) -> str:
        info = conn.dialect.server_version_info
        if self.dialect == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        name = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mssql": "SQL Server"}[self.dialect]
        if self.dialect == "mysql" and getattr(conn.dialect, "is_mariadb", False):
            name = "MariaDB"
        return f"{name} {'.'.join(str(p) for p in info or ())}"

    def dispose(self) -> None:
        self.engine.dispose()
