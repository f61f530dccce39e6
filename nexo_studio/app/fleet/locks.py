"""Who holds each server target's lock, asked once per server rather than once per database.

`nexo status` asks its one database with a connection of its own; over a fleet that would be a
second connection per target. PostgreSQL's ``pg_locks`` and MySQL/MariaDB's ``IS_USED_LOCK``
are server-wide, so one connection per server answers for all of its databases, with the same
lock keys and names the engine takes (``core.state.locks``). SQLite's file lock is tried
directly (no connection).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ...core.state.locks import held_by, lock_for, lock_key, lock_name
from ...core.target import Target

_PG_HELD = sa.text(
    "SELECT l.classid, l.objid, a.pid, a.usename, a.application_name, a.backend_start "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1")


def server_of(url: URL) -> tuple | None:
    """The server a URL's database lives on (None: SQLite, no server)."""
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        return None
    return (url.drivername, url.host, url.port, url.username, tuple(sorted(url.query.items())))


def _postgres(conn: sa.Connection, databases: Sequence[str]) -> dict[str, str]:
    wanted = {}
    for db in databases:
        key = lock_key(db) & 0xFFFFFFFFFFFFFFFF
        wanted[(key >> 32, key & 0xFFFFFFFF)] = db
    out: dict[str, str] = {}
    for row in conn.execute(_PG_HELD):
        name = wanted.get((int(row.classid), int(row.objid)))
        if name is not None:
            out[name] = (f"{row.application_name or 'backend'} (pid {row.pid}, user {row.usename}, "
                       f"since {row.backend_start:%Y-%m-%d %H:%M:%S})")
    return out


def _mysql(conn: sa.Connection, databases: Sequence[str]) -> dict[str, str]:
    names = list(databases)
    params = {f"n{i}": lock_name(db) for i, db in enumerate(names)}
    cols = ", ".join(f"IS_USED_LOCK(:n{i})" for i in range(len(names)))
    row = conn.execute(sa.text(f"SELECT {cols}"), params).first()
    return {db: f"connection {cid}" for db, cid in zip(names, row or ()) if cid is not None}


def server_holders(target: Target, databases: Sequence[str]) -> dict[str, str]:
    """{database: holder} for the databases of ``target``'s server whose lock is held now."""
    with target.connect() as conn:
        if target.dialect == "postgresql":
            return _postgres(conn, databases)
        return _mysql(conn, databases)


def file_holder(target: Target) -> str | None:
    return None if target.absent() else held_by(lock_for(target.engine))
