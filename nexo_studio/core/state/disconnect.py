"""Noticing a lost connection after a driver error on a cursor used directly.

Below the state store (``prepared.py`` needs it) so that state imports nothing above it; the
executor uses it too."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def note_driver_error(conn: sa.Connection, exc: BaseException, cursor: Any = None) -> None:
    """After a driver error from a cursor we used directly (not through ``Connection.execute``):
    when it says the connection is gone, invalidate it as SQLAlchemy would have, so the next use
    of ``conn`` reconnects instead of failing with "the connection is lost"."""
    if conn.invalidated or not isinstance(exc, conn.dialect.loaded_dbapi.Error):
        return
    if conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor):
        conn.invalidate(exc)
