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

_WATCHED = ("sqlite", "postgresql", "mssql")

ENDED = ("it ended the migration's transaction itself (conn.commit(), conn.rollback() or COMMIT "
         "sent as SQL): what it did before that may be in the database")


class TransactionWatch:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.tx = None
        self.xid = None
        if conn.dialect.name not in _WATCHED or not conn.in_transaction():
            return
        self.tx = conn.get_transaction()
        if conn.dialect.name == "postgresql":
            self.xid = _pg_xid(conn)

    def ended(self) -> str | None:
        """A message when the transaction the migration was given is no longer the one open."""
        conn, tx = self.conn, self.tx
        if tx is None or conn.invalidated:
            return None
        if conn.get_transaction() is not tx or not tx.is_active:
            return ENDED
        raw = conn.connection.driver_connection
        if conn.dialect.name == "sqlite" and not getattr(raw, "in_transaction", True):
            return ENDED
        if self.xid is not None:
            status = raw.info.transaction_status.name
            if status == "IDLE" or (status == "INTRANS" and _pg_xid(conn) != self.xid):
                return ENDED
        return None


def _pg_xid(conn: sa.Connection) -> int | None:
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
