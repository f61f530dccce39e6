"""The bookkeeping writes that run on the driver's cursor (core/state/prepared.py).

They must store exactly what Core would, keep the chain and the tail right on every dialect,
and fail like Core (a DBAPIError naming the statement), also inside a PostgreSQL pipeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from nexo_studio.core.events import run
from nexo_studio.core.operations import audit_verify, repair
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback
from nexo_studio.core.project import Project
from nexo_studio.core.state.store import TAIL_KEY
from nexo_studio.core.target import Target
from nexo_studio.errors import DatabaseNeedsRepair
from tests.helpers.projects import table_project


def test_rows_written_on_the_driver_read_back_as_written(db_url):
    target = Target(db_url)
    started = datetime(2026, 3, 4, 5, 6, 7, 123456)
    try:
        with target.connect() as conn:
            target.store.ensure(conn)
            with conn.begin(), target.store.batch(conn):
                target.store.put_migration(
                    conn, exists=False, id="2026.03.04.050607_x", version="2026.03.04.050607", name="x",
                    description="100% ok? :yes", checksum="c" * 64, status="applied", depends=["a", "b"],
                    applied_at=started, applied_by="me", execution_ms=7, metadata={"k": [1, "%s"]})
                written = target.store.append(conn, action="apply", status="ok", started_at=started,
                                              finished_at=started + timedelta(microseconds=1),
                                              migration_id="2026.03.04.050607_x", details={"why": "50% :x ?"})
            row = target.store.applied(conn)["2026.03.04.050607_x"]
            [read] = list(target.store.history(conn))
            # the time filter compares stored values: they must be stored as Core stores them
            assert [r.seq for r in target.store.history(conn, since=started, until=started)] == [1]
        assert (row.description, row.depends, row.metadata) == ("100% ok? :yes", ("a", "b"), {"k": [1, "%s"]})
        assert row.applied_at.replace(tzinfo=None) == started
        assert read == written
        assert audit_verify(target).ok
    finally:
        target.dispose()


@pytest.mark.parametrize("same_process", [False, True], ids=["new process", "same process (GUI)"])
def test_a_deleted_tail_row_is_written_again_by_the_next_rollback(db_url, tmp_path, same_process):
    """The hot path skips the "did the UPDATE hit a row?" check only when it knows the tail row
    is there. A tail row that is gone (deleted since this process last looked) is tampering in
    itself: rollback refuses naming it; accepted on record, the tail row is back and the next
    rollback keeps it current."""
    table_project(tmp_path, 3)
    project = Project.load(tmp_path)
    target = Target(db_url)
    try:
        assert run(deploy(project, target, DeployOptions(backup=False, verify=False))).ok
        meta = target.store.t.meta
        with target.engine.begin() as conn:
            conn.execute(meta.delete().where(meta.c.key == TAIL_KEY))
        if not same_process:
            target.dispose()
            target = Target(db_url)  # it knows nothing
        with pytest.raises(DatabaseNeedsRepair, match="history_tail"):
            run(rollback(project, target, RollbackOptions(to="0")))
        run(repair(project, target, None, accept_history=True))
        assert run(rollback(project, target, RollbackOptions(to="0"))).ok
        with target.connect() as conn:
            tail = conn.execute(sa.select(meta.c.value).where(meta.c.key == TAIL_KEY)).scalar()
            last = list(target.store.history(conn))[-1]
        assert f'"seq":{last.seq}' in tail and last.hash in tail
        assert audit_verify(target).ok
    finally:
        target.dispose()


def test_an_error_in_a_batch_is_a_dbapi_error_and_the_connection_recovers(db_url):
    target = Target(db_url)
    try:
        with target.connect() as conn:
            target.store.ensure(conn)
            now = datetime(2026, 1, 1)
            with conn.begin():
                target.store.append(conn, action="deploy_start", status="ok", started_at=now, finished_at=now)
            target.store.invalidate()
            target.store._exists = True
            target.store._tail = (0, "0" * 64)  # a stale tail: the next insert collides on seq 1
            with pytest.raises(sa.exc.IntegrityError) as info:
                with conn.begin(), target.store.batch(conn):
                    target.store.append(conn, action="deploy_end", status="ok", started_at=now, finished_at=now)
            # the statement (on PostgreSQL: the statements of the pipeline) and the key are named
            assert "INSERT INTO" in info.value.statement and "__MigrationHistory" in info.value.statement
            assert any(key in str(info.value.orig) for key in ("__MigrationHistory_pk", "__MigrationHistory.seq",
                                                                "PRIMARY"))
            assert conn.execute(sa.select(sa.func.count()).select_from(target.store.t.history)).scalar() == 1
    finally:
        target.dispose()


HOSTILE = [
    "it's", "\\", "\\'", "'; DROP TABLE x; --", "E'\\x41'", "$$ $q$ ;", "back\\slash\\\\two", "%s %(x)s %%",
    "line\nbreak\ttab", "ünïcødé ✓ 日本", "''", "\\0 not a NUL", "/* not a comment */ -- nor this",
]


def test_hostile_values_written_in_one_batch_read_back_exactly(db_url):
    """On PostgreSQL a batch's writes travel as one query with their values written in as SQL
    literals: quotes, backslashes, semicolons, placeholders and non-ASCII text must come back
    byte for byte, the chain must verify, and a time with no microseconds must stay that time."""
    target = Target(db_url)
    started = datetime(2026, 3, 4, 5, 6, 7)  # microsecond 0: isoformat() leaves the fraction out
    try:
        with target.connect() as conn:
            target.store.ensure(conn)
            with conn.begin(), target.store.batch(conn):
                for i, text in enumerate(HOSTILE):
                    mid = f"2026.03.04.0506{i:02d}_x"
                    target.store.put_migration(
                        conn, exists=False, id=mid, version=mid[:17], name=text, description=text,
                        checksum="c" * 64, status="applied", depends=[text], applied_at=started,
                        applied_by=text, execution_ms=i, metadata={"text": text})
                    target.store.append(conn, action="apply", status="ok", started_at=started,
                                        finished_at=started, migration_id=mid, details={"text": text},
                                        error=text)
            rows = target.store.applied(conn)
            history = list(target.store.history(conn))
        for i, text in enumerate(HOSTILE):
            row = rows[f"2026.03.04.0506{i:02d}_x"]
            assert (row.name, row.description, row.applied_by, row.depends, row.metadata) == \
                (text, text, text, (text,), {"text": text})
            assert row.applied_at.replace(tzinfo=None) == started
        assert [(h.error, h.details_dict()["text"]) for h in history] == [(t, t) for t in HOSTILE]
        assert audit_verify(target).ok
    finally:
        target.dispose()
