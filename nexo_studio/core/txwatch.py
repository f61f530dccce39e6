"""Noticing that a Python migration ended the transaction it was given.

On SQLite, PostgreSQL and SQL Server a migration runs in one transaction that the engine commits
together with its state rows. A migration that commits (``conn.commit()``, or ``COMMIT`` sent as
SQL) has put part of itself in the database for good: if it then fails, "failed" (nothing of it is
in the database) would be untrue. The watch sees it through SQLAlchemy (the transaction object
changed or ended) and through the driver (SQLite: no longer in a transaction; PostgreSQL: the
transaction id changed or the session is idle). MySQL/MariaDB commit DDL implicitly anyway; there
a Python migration that fails is dirty already.
"""

from __future__ import annotations

import sqlalchemy as sa

from .dialects import rules_for

ENDED = ("it ended the migration's transaction itself (conn.commit(), conn.rollback() or COMMIT "
         "sent as SQL): what it did before that may be in the database")


class TransactionWatch:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.rules = rules_for(conn.dialect.name)
        self.tx = None
        self.xid = None
        if not self.rules.watch_transaction or not conn.in_transaction():
            return
        self.tx = conn.get_transaction()
        self.xid = self.rules.transaction_id(conn)

    def ended(self) -> str | None:
        """A message when the transaction the migration was given is no longer the one open
        (SQLAlchemy's view, then the driver's: SQLite no longer in a transaction; PostgreSQL the
        transaction id changed or the session is idle)."""
        conn, tx = self.conn, self.tx
        if tx is None or conn.invalidated:
            return None
        if conn.get_transaction() is not tx or not tx.is_active:
            return ENDED
        if self.rules.transaction_ended(conn, self.xid):
            return ENDED
        return None
