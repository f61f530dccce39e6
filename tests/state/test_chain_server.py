"""MySQL/MariaDB confirm an intact hash chain in one query (core/state/chainscan.py).

The server builds each row's canonical JSON and hashes it; only a count comes back. It may only
ever *confirm*: an intact history with awkward text is confirmed by the server, and any edit
(a value, a link, a hash, a seq) is left to the Python walk, which names the row.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

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
