"""A ``running`` row is ``in progress`` while its deployer holds the lock and ``dirty`` once no
live process does, on every dialect, deterministically: status no longer decides by asking for
the holder after its read (a deploy finishing in between made its last migration look dirty,
1 sample in 102 on MariaDB, and invited the wrong repair).

The deployer here is another process that takes the real lock and writes the row as a deploy
on MySQL/MariaDB or with ``transaction: none`` does (``running`` committed, then the result).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

from tests.reliability.harness import execute, q, run_cli
from tests.reliability.test_tampering import setup

FORK = multiprocessing.get_context("fork")


def _hold(url: str, mid: str, ready, stop, restore: bool) -> None:
    """Child: hold the lock with ``mid`` recorded running until ``stop``."""
    from nexo_studio.core.target import Target

    target = Target(url)
    m = q(url, "__Migrations")
    with target.locked(30):
        execute(url, f"UPDATE {m} SET status = 'running' WHERE id = :i", params={"i": mid})
        ready.set()
        stop.wait(60)
        if restore:
            execute(url, f"UPDATE {m} SET status = 'applied' WHERE id = :i", params={"i": mid})
    os._exit(0)


def _churn(url: str, mid: str, ready, stop) -> None:
    """Child: deploy ``mid`` again and again: lock, running, applied, unlock, in a tight loop."""
    import sqlalchemy as sa

    from nexo_studio.core.target import Target

    target = Target(url)
    m = q(url, "__Migrations")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        ready.set()
        while not stop.is_set():
            with target.locked(30):
                conn.exec_driver_sql(f"UPDATE {m} SET status = 'running' WHERE id = '{mid}'")
                time.sleep(0.002)
                conn.exec_driver_sql(f"UPDATE {m} SET status = 'applied' WHERE id = '{mid}'")
            time.sleep(0.001)
    os._exit(0)


def status_of(base, mid: str) -> tuple[str, list[dict]]:
    import json

    code, out, err = run_cli(*base, "status", "--json")
    assert code == 0, out + err
    doc = json.loads(out)
    return {m["id"]: m["status"] for m in doc["migrations"]}[mid], doc["findings"]


def test_a_running_row_is_in_progress_while_another_process_holds_the_lock(db_url, tmp_path):
    mdir, ids, base = setup(db_url, tmp_path)
    ready, stop = FORK.Event(), FORK.Event()
    child = FORK.Process(target=_hold, args=(db_url, ids[2], ready, stop, True))
    child.start()
    try:
        assert ready.wait(30)
        for _ in range(3):
            status, findings = status_of(base, ids[2])
            assert status == "pending", (status, findings)
            assert any(f["code"] == "in_progress" and ids[2] in f["ids"] for f in findings), findings
            assert not any(f["code"] == "dirty" for f in findings), findings
    finally:
        stop.set()
        child.join(30)
    assert status_of(base, ids[2])[0] == "applied"
    # the deployer dies holding it: the lock goes with the process, the row is dirty
    ready, stop = FORK.Event(), FORK.Event()
    child = FORK.Process(target=_hold, args=(db_url, ids[2], ready, stop, False))
    child.start()
    assert ready.wait(30)
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    deadline = time.monotonic() + 20
    while status_of(base, ids[2])[0] != "dirty":  # the server notices the session is gone
        assert time.monotonic() < deadline, "a running row nobody holds the lock for must be dirty"
        time.sleep(0.1)
    status, findings = status_of(base, ids[2])
    assert any(f["code"] == "dirty" and ids[2] in f["ids"] for f in findings), findings


def test_status_during_back_to_back_deploys_never_says_dirty(db_url, tmp_path, figures):
    """The race: the deployer finishes and releases between status's read and its look at the
    lock. A deployer that does nothing but that, as fast as it can, against 60 status reads."""
    from nexo_studio.core.operations import status
    from nexo_studio.core.project import Project
    from nexo_studio.core.target import Target

    mdir, ids, base = setup(db_url, tmp_path)
    ready, stop = FORK.Event(), FORK.Event()
    child = FORK.Process(target=_churn, args=(db_url, ids[2], ready, stop))
    child.start()
    project, target = Project.load(mdir), Target(db_url)
    seen = []
    try:
        assert ready.wait(30)
        for _ in range(60):
            seen.append(status(project, target).by_id[ids[2]].status)
    finally:
        stop.set()
        child.join(30)
        target.dispose()
    assert "dirty" not in seen, seen
    assert set(seen) <= {"applied", "pending"}, seen
    figures("concurrency", "status samples during back-to-back deploys, none dirty", len(seen))
