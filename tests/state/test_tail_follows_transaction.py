"""The history writer's cached tail is bound to the transaction that wrote it.

No caller says "committed" or "rolled back": the connection's own transaction events do. A
rolled-back write (or one whose COMMIT itself fails) must not advance the cached tail, a
committed one must; otherwise the next row gets the wrong seq / prev_hash and the chain breaks.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from nexo_studio.core.operations import audit_verify
from nexo_studio.core.run_one import abandon
from nexo_studio.core.target import Target

NOW = datetime(2026, 1, 1)


def _append(target: Target, conn: sa.Connection, action: str = "deploy_start"):
    return target.store.append(conn, action=action, status="ok", started_at=NOW, finished_at=NOW)


def _seqs(target: Target, conn: sa.Connection) -> list[int]:
    rows = [r.seq for r in target.store.history(conn)]
    if conn.in_transaction():
        conn.rollback()
    return rows


@pytest.mark.parametrize("batched", [False, True], ids=["plain", "batch"])
def test_a_rolled_back_write_does_not_advance_the_tail_and_a_committed_one_does(db_url, batched):
    target = Target(db_url)
    store = target.store
    try:
        with target.connect() as conn:
            store.ensure(conn)
            with conn.begin():
                assert _append(target, conn).seq == 1
            assert store._tail is not None and store._tail[0] == 1  # committed: advanced
            with pytest.raises(RuntimeError), conn.begin():
                assert _append(target, conn).seq == 2
                raise RuntimeError("the step failed after its history row was written")
            assert store._tail[0] == 1  # rolled back: not advanced
            tx = conn.begin()
            if batched:
                with store.batch(conn):
                    row = _append(target, conn, "deploy_end")
            else:
                row = _append(target, conn, "deploy_end")
            tx.commit()
            assert row.seq == 2 and store._tail == (2, row.hash)
            assert _seqs(target, conn) == [1, 2]
        assert audit_verify(target).ok
    finally:
        target.dispose()


def test_a_write_on_another_connection_is_followed_too(db_url):
    """The GUI and the CLI keep one store for many connections: each one's transaction counts."""
    target = Target(db_url)
    try:
        with target.connect() as first:
            target.store.ensure(first)
            with first.begin():
                _append(target, first)
        with target.connect() as second:
            with second.begin():
                assert _append(target, second).seq == 2
            second.begin()
            _append(target, second)
            second.rollback()
        with target.connect() as third:
            with third.begin():
                assert _append(target, third).seq == 3
            assert _seqs(target, third) == [1, 2, 3]
        assert audit_verify(target).ok
    finally:
        target.dispose()


def _deferred_violation(dialect: str, conn: sa.Connection) -> None:
    """Leave a constraint violation that only COMMIT reports (a deferred constraint)."""
    if dialect == "postgresql":
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS once (v INTEGER, "
                             "CONSTRAINT once_v UNIQUE (v) DEFERRABLE INITIALLY DEFERRED)")
        conn.exec_driver_sql("INSERT INTO once VALUES (1), (1)")
    else:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS child (p INTEGER REFERENCES parent (id) "
                             "DEFERRABLE INITIALLY DEFERRED)")
        conn.exec_driver_sql("INSERT INTO child VALUES (42)")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_commit_that_fails_does_not_advance_the_tail(make_db, dialect):
    target = Target(make_db(dialect))
    store = target.store
    try:
        with target.connect() as conn:
            store.ensure(conn)
            if dialect == "sqlite":  # outside any transaction, or SQLite ignores it
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
            with conn.begin():
                _append(target, conn)
            tx = conn.begin()
            _deferred_violation(dialect, conn)
            assert _append(target, conn).seq == 2
            with pytest.raises(sa.exc.IntegrityError):
                tx.commit()
            abandon(conn)  # what the engine does after a failure (SQLite: the driver's stays open)
            assert store._tail is not None and store._tail[0] == 1
            with conn.begin():
                assert _append(target, conn).seq == 2
            assert _seqs(target, conn) == [1, 2]
        assert audit_verify(target).ok
    finally:
        target.dispose()
