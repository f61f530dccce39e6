"""The target database: engine, state store, lock, dialect facts."""

from __future__ import annotations

import contextlib
from pathlib import Path
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL

from . import db
from .dialects import DialectRules, rules_for
from .model import canonical_dialect
from .state.store import StateStore

class Target:
    def __init__(self, url: str | URL, schema: str | None = None) -> None:
        self.url = db.parse_url(url)
        rules = rules_for(self.url.get_backend_name())
        # servers: a connection per use (NullPool); a file keeps SQLAlchemy's default pool
        self.engine = db.create_engine(self.url) if rules.is_local_file() \
            else db.create_engine(self.url, poolclass=sa.pool.NullPool)
        #: the dialect's name (``mariadb`` -> ``mysql``); its facts are in ``rules``
        self.dialect = canonical_dialect(self.url.get_backend_name())
        self.rules: DialectRules = rules_for(self.dialect)
        self.store = StateStore(self.engine, schema)

    @property
    def display_url(self) -> str:
        return db.display_url(self.url)

    @property
    def transactional_ddl(self) -> bool:
        return self.rules.transactional_ddl

    def absent(self) -> bool:
        """An SQLite file that does not exist yet: read-only commands must not create it."""
        if not self.rules.is_local_file():
            return False
        db = self.url.database
        return bool(db and db != ":memory:" and not db.startswith("file:") and not Path(db).exists())

    def connect(self) -> sa.Connection:
        return db.connect(self.engine)

    @contextlib.contextmanager
    def locked(self, timeout: float) -> Iterator[None]:
        from .state.locks import lock_for  # read-only commands take no lock: they need not load it

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
        return self.rules.server_version(conn)

    def dispose(self) -> None:
        self.engine.dispose()
