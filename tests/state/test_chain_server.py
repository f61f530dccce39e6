"""MySQL/MariaDB confirm an intact hash chain in one query (core/state/chainscan.py).

The server builds each row's canonical JSON and hashes it; only a count comes back. It may only
ever *confirm*: an intact history with awkward text is confirmed by the server, and any edit
(a value, a link, a hash, a seq) is left to the Python walk, which names the row.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from nexo_studio.core.state.chain import row_hash
from nexo_studio.core.state.chainscan import _server_verify, verify_history
from nexo_studio.core.target import Target

AWKWARD = ['quote " backslash \\ slash /', "line\nbreak\ttab\rreturn \x01", "ünïcödé € 😀 \u2028",
           "", "  trailing  ", '{"json":"in \\"text\\""}']


def _history(target: Target) -> None:
    with target.connect() as conn:
        target.store.ensure(conn)
        with conn.begin():
            for i, text in enumerate(AWKWARD):
                at = datetime(2026, 1, 1, 0, 0, i, 123456)
                target.store.append(conn, action="apply", status="failed" if i % 2 else "ok",
                                    started_at=at, finished_at=at,
                                    migration_id=f"2026.01.01.00000{i}_x", deployment_id=None if i == 3 else "d",
                                    details={"text": text, "n": i}, error=text or None)


@pytest.mark.parametrize("edit", ["operator = 'mallory'", "hash = UPPER(hash)", "seq = 99",
                                  "operator = CONCAT(operator, ' ')", "prev_hash = CONCAT(SUBSTRING(prev_hash, 1, 63), 'F')", "error = 'line\\nbreak'"])
def test_the_server_confirms_an_intact_history_and_nothing_else(make_db, edit):
    target = Target(make_db("mysql"))
    try:
        _history(target)
        with target.connect() as conn:
            confirmed = _server_verify(target.store, conn)
            assert confirmed is not None and confirmed.ok and confirmed.rows == len(AWKWARD)
            assert not conn.in_transaction()
            with conn.begin():
                conn.exec_driver_sql(f"UPDATE `__MigrationHistory` SET {edit} WHERE seq = 2")
            assert _server_verify(target.store, conn) is None  # not confirmed: the walk decides
            verdict = verify_history(target.store, conn)
            assert not verdict.ok and verdict.breaks[0].seq in (2, 3, 99)
    finally:
        target.dispose()


def test_the_server_check_reads_inside_the_callers_transaction(make_db):
    target = Target(make_db("mysql"))
    try:
        _history(target)
        with target.connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT 1"))
            assert verify_history(target.store, conn).ok
            assert conn.in_transaction()
    finally:
        target.dispose()


@pytest.mark.parametrize("prev", ["0" * 64, "f" * 64, 'x","seq":2,"z":"'])
def test_a_row_rewritten_with_a_hash_of_its_own_is_not_confirmed(make_db, prev):
    """Only the link to the previous row gives it away: the row's hash is right for its new
    text. ``prev_hash`` enters the server's text in plain quotes, safe only because it must
    equal the previous row's hash (a hex digest) to be confirmed."""
    target = Target(make_db("mysql"))
    try:
        _history(target)
        h = target.store.t.history
        with target.connect() as conn:
            with conn.begin():
                row = dict(conn.execute(sa.select(h).where(h.c.seq == 2)).mappings().one())
                row["prev_hash"] = prev
                conn.execute(h.update().where(h.c.seq == 2).values(prev_hash=prev, hash=row_hash(row)))
            assert _server_verify(target.store, conn) is None
            verdict = verify_history(target.store, conn)
            assert not verdict.ok and verdict.breaks[0].seq == 2
    finally:
        target.dispose()


def test_the_server_check_starts_afresh_each_time(make_db):
    """The previous row's seq and hash ride in session variables: a check after another (one
    that confirmed, one that did not) starts again from the genesis."""
    target = Target(make_db("mysql"))
    try:
        _history(target)
        with target.connect() as conn:
            for _ in range(2):
                assert _server_verify(target.store, conn) is not None
            h = target.store.t.history
            with conn.begin():
                was = conn.execute(sa.select(h.c.operator).where(h.c.seq == 4)).scalar_one()
                conn.execute(h.update().where(h.c.seq == 4).values(operator="mallory"))
            assert _server_verify(target.store, conn) is None
            with conn.begin():
                conn.execute(h.update().where(h.c.seq == 4).values(operator=was))
            confirmed = _server_verify(target.store, conn)
            assert confirmed is not None and confirmed.rows == len(AWKWARD)
    finally:
        target.dispose()
