"""`nexo fleet deploy` and `nexo fleet rollback` killed (SIGKILL) before steps of every target,
and with writes of every target refused by the server: a canary SQLite file, a PostgreSQL and a
MariaDB database at different versions, `--parallel 2` (see fleetkill.py for the loop and what
each run must leave, steps.py for what a step is). By default a sample of each target's steps;
``NEXO_KILL_EVERY_STEP=1``: every step.
"""

from __future__ import annotations

import pytest

from tests.reliability.fleetkill import Fleet, at_each_step, write_project, write_targets
from tests.reliability.harness import run_cli

#: where each target starts (migrations applied) and the command; goal: applied on all after it
SCENARIOS = {
    "deploy": ({"lite": 1, "pg": 2, "maria": 0}, ["deploy", "--no-backup"], 3),
    "rollback": ({"lite": 3, "pg": 2, "maria": 3}, ["rollback", "--to", "{first}", "--yes"], 1),
}


@pytest.mark.parametrize("operation", list(SCENARIOS))
def test_fleet_killed_or_failing_at_each_step(make_db, tmp_path, operation, figures):
    at, command, goal = SCENARIOS[operation]
    mdir = tmp_path / "m"
    ids, tables = write_project(mdir, 3)
    urls = {"lite": ("sqlite", make_db("sqlite")), "pg": ("postgresql", make_db("postgresql")),
            "maria": ("mysql", make_db("mysql"))}
    for name, (_dialect, url) in urls.items():
        if at[name]:
            code, out, err = run_cli("--db", url, "--migrations", str(mdir), "deploy", "--no-backup",
                                     "--to", ids[at[name] - 1])
            assert code == 0, out + err
    fleet = Fleet(mdir, ids, tables, urls, write_targets(tmp_path / "targets.toml", urls))
    args = ["--migrations", str(mdir), "fleet", *[a.format(first=ids[0]) for a in command],
            "--parallel", "2", "--targets", str(fleet.targets), "--json"]
    outcome = at_each_step(fleet, args, set(ids[:goal]), tmp_path)
    figures("fleet kill/fail at each step", f"{operation} kills", outcome.kills)
    figures("fleet kill/fail at each step", f"{operation} failures", outcome.failures)
    figures("fleet kill/fail at each step", f"{operation} re-runs", outcome.reruns)
    figures("fleet kill/fail at each step", f"{operation} dirty repaired", outcome.dirty_repaired)
