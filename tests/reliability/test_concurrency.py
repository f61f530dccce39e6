"""2-4 processes deploy the same project at the same moment, 5 rounds per dialect by default
(``NEXO_RELIABILITY_ROUNDS``: another count; the figures in docs/reliability.md are of 10). The
first round always has 4 processes, two of them with lock timeouts (0.1 s, 0.3 s) shorter than
the slow migration holds the lock, so one at least times out; the other rounds are drawn at
random (``NEXO_RELIABILITY_SEED``), so runs with different seeds race differently.

Each round on a new database: every migration is applied exactly once, exactly one process
deploys, each other one exits 0 ("up to date", after waiting for the lock) or 1 with the
lock-timeout message naming the holder, a concurrent ``status`` always answers, and the
history chain verifies (``nexo audit verify``).
"""

from __future__ import annotations

import json
import os
import random

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import ForkedCli, run_cli, slow_sql, status_json

ROUNDS = int(os.environ.get("NEXO_RELIABILITY_ROUNDS", "5"))


def lock_project(directory, n: int = 6) -> list[str]:
    ids = []
    for i in range(1, n + 1):
        mid = f"2025.03.01.{i:06d}_lock{i}"
        up = f"CREATE TABLE k{i} (id INTEGER PRIMARY KEY);"
        if i == 3:  # hold the lock for a while
            write_sql(directory, mid, f"{up}\n{slow_sql('sqlite', 0.4)};", f"DROP TABLE k{i};",
                      variants={f"up {d}": f"{up}\n{slow_sql(d, 0.4)};" for d in ("postgresql", "mysql")})
        else:
            write_sql(directory, mid, up, f"DROP TABLE k{i};")
        ids.append(mid)
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_concurrent_deploys_apply_each_migration_once(make_db, dialect, tmp_path, figures):
    seed = int(os.environ.get("NEXO_RELIABILITY_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    mdir = tmp_path / "m"
    ids = lock_project(mdir)
    timeouts_hit = processes = 0
    for round_no in range(1, ROUNDS + 1):
        context = f"seed {seed}, {dialect}, round {round_no}"
        url = make_db(dialect)
        n = 4 if round_no == 1 else rng.randint(2, 4)
        # one waits long enough to see "up to date"; the others wait a random while (in the first
        # round two of them less than the lock is held: the one that does not deploy times out)
        waits = [30.0] + [rng.choice([0.1, 0.3, 1.0, 30.0]) for _ in range(n - 1)]
        if round_no == 1:
            waits[1:3] = [0.1, 0.3]
        rng.shuffle(waits)
        procs = [ForkedCli(["--db", url, "--migrations", str(mdir), "deploy", "--json", "--no-backup",
                            "--lock-timeout", str(w)]) for w in waits]
        watcher = ForkedCli(["--db", url, "--migrations", str(mdir), "status", "--json"])
        for p in procs:
            p.go()
        watcher.go()
        codes = [p.wait() for p in procs]
        assert watcher.wait() == 0, f"{context}: status during deploys failed: {watcher.stdout}{watcher.stderr}"
        seen = json.loads(watcher.stdout)
        assert seen["ok"] and not [f for f in seen["findings"] if f["code"] == "tampered"], seen["findings"]
        assert "dirty" not in {m["status"] for m in seen["migrations"]}, f"{context}: {seen['migrations']}"
        processes += n
        outcomes = []
        for p, code in zip(procs, codes):
            doc = json.loads(p.stdout)  # one JSON document, whatever happened
            if code == 1:
                assert doc["error"]["type"] == "LockTimeout", f"{context}: {doc}"
                assert "another operation holds the lock" in doc["error"]["message"]
                assert doc["error"].get("holder"), f"{context}: holder not named: {doc}"
                outcomes.append("lock_timeout")
                timeouts_hit += 1
            else:
                assert code == 0, f"{context}: exit {code}: {p.stdout}{p.stderr}"
                outcomes.append(doc["status"])
        assert outcomes.count("deployed") == 1, f"{context}: {outcomes}"
        assert set(outcomes) <= {"deployed", "up_to_date", "lock_timeout"}, outcomes
        code, out, err = run_cli("--db", url, "history", "--json", "--limit", "0")
        events = json.loads(out)["events"]
        applies = sorted(e["migration_id"] for e in events if e["action"] == "apply" and e["status"] == "ok")
        assert applies == sorted(ids), f"{context}: applied {applies}"
        assert [e["action"] for e in events].count("deploy_start") == 1
        assert {m["status"] for m in status_json(url, mdir)["migrations"]} == {"applied"}
        code, out, err = run_cli("--db", url, "audit", "verify")
        assert code == 0, f"{context}: {out}{err}"
    figures("concurrency", f"{dialect} rounds", ROUNDS)
    figures("concurrency", f"{dialect} processes", processes)
    figures("concurrency", f"{dialect} lock timeouts", timeouts_hit)
