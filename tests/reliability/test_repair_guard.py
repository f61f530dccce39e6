"""``repair --mark`` resolves a dirty, failed or drifted row and nothing else: on a healthy row
it is refused (marking an applied migration rolled back made the next deploy apply it a second
time), unless ``--override-healthy``, which the history records as an override. A repair that
waited for the lock judges the row as the lock's holder left it.
"""

from __future__ import annotations

import json
import time

from tests.helpers.projects import write_sql
from tests.reliability.harness import ForkedCli, execute, q, run_cli, statuses
from tests.reliability.test_tampering import history_len, setup


def last_event(base) -> dict:
    code, out, err = run_cli(*base, "history", "--json", "--limit", "1")
    return json.loads(out)["events"][0]


def test_mark_on_a_healthy_row_is_refused(db_url, tmp_path):
    mdir, ids, base = setup(db_url, tmp_path)
    before = history_len(base)
    code, out, err = run_cli(*base, "repair", ids[1], "--mark", "rolled-back", "--yes")
    assert code == 2 and ids[1] in err and "applied" in err and "nothing to repair" in err, out + err
    write_sql(mdir, "2025.01.01.000009_later", "CREATE TABLE later_t (id INTEGER);", "DROP TABLE later_t;")
    code, out, err = run_cli(*base, "repair", "2025.01.01.000009_later", "--mark", "applied", "--yes")
    assert code == 2 and "pending" in err, out + err
    assert history_len(base) == before
    assert statuses(db_url, mdir)[ids[1]] == "applied"
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    assert code == 0 and json.loads(out)["applied"] == ["2025.01.01.000009_later"], out + err  # ids[1] not again
    # the rare case, explicit and on record
    code, out, err = run_cli(*base, "repair", ids[2], "--mark", "rolled-back", "--override-healthy", "--yes")
    assert code == 0, out + err
    event = last_event(base)
    assert event["action"] == "repair" and event["details"]["override"] == "healthy", event
    code, out, err = run_cli(*base, "repair", ids[2], "--accept-checksum", "--override-healthy", "--yes")
    assert code == 2 and "--mark" in err, out + err


def test_a_repair_that_waited_for_the_lock_rereads_the_state(db_url, tmp_path):
    """While a deployer holds the lock with a row ``running``, a repair of that row waits; the
    deployer finishes it (applied) and releases; the repair then sees a healthy row and refuses."""
    from nexo_studio.core.target import Target

    mdir, ids, base = setup(db_url, tmp_path)
    m = q(db_url, "__Migrations")
    before = history_len(base)
    target = Target(db_url)
    try:
        with target.locked(10):
            execute(db_url, f"UPDATE {m} SET status = 'running' WHERE id = :i", params={"i": ids[2]})
            p = ForkedCli([*base, "repair", ids[2], "--mark", "rolled-back", "--yes", "--lock-timeout", "60"])
            p.go()
            time.sleep(2.0)
            assert p.proc.poll() is None, p.stdout + p.stderr  # waiting for the lock
            execute(db_url, f"UPDATE {m} SET status = 'applied' WHERE id = :i", params={"i": ids[2]})
        code = p.wait(60)
    finally:
        target.dispose()
    assert code == 2 and "applied" in p.stderr, p.stdout + p.stderr
    assert statuses(db_url, mdir)[ids[2]] == "applied" and history_len(base) == before
