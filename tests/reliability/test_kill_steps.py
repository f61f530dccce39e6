"""`nexo repair` (every mode), `nexo baseline`, `nexo snapshot` and `nexo adopt --from flyway`
killed (SIGKILL) before each step they send, and with each of their writes refused by the
server, on SQLite, PostgreSQL and MariaDB (see killsteps.py for the loop and what each run
must leave, steps.py for what a step is).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from nexo_studio.core.adopt.checksums import flyway_crc32
from tests.helpers.projects import write_sql
from tests.reliability.harness import ForkedCli, execute, q, run_cli, settle, slow_sql, statuses
from tests.reliability.killsteps import at_each_step

A, B, C = "2025.06.01.000001_a", "2025.06.01.000002_b", "2025.06.01.000003_c"


def project(mdir: Path, c_up: str = "CREATE TABLE c (id INTEGER);", c_extra: str = "") -> list[str]:
    write_sql(mdir, A, "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    write_sql(mdir, B, "CREATE TABLE b (id INTEGER);", "DROP TABLE b;", depends=[A])
    write_sql(mdir, C, c_up, "DROP TABLE c;", depends=[B], extra=c_extra)
    return ["--migrations", str(mdir)]


def deployed(url: str, tmp: Path, **kw) -> list[str]:
    base = ["--db", url, *project(tmp / "m", **kw)]
    code, out, err = run_cli(*base, "deploy", "--no-backup")
    assert code == 0, out + err
    return base


# --- starting states: each returns the command to run -------------------------------------


def mark_applied_on_failed(url: str, dialect: str, tmp: Path) -> list[str]:
    base = ["--db", url, *project(tmp / "m", c_up="INSERT INTO no_such_table (id) VALUES (1);")]
    code, out, err = run_cli(*base, "deploy", "--no-backup")
    assert code == 1, out + err
    assert statuses(url, tmp / "m")[C] == "failed"
    return [*base, "repair", C, "--mark", "applied", "--yes"]


def mark_rolled_back_on_dirty(url: str, dialect: str, tmp: Path) -> list[str]:
    """A real dirty row: a `transaction: none` migration whose deploy was killed in it."""
    base = ["--db", url, *project(tmp / "m", c_up=f"{slow_sql(dialect, 0.8)};", c_extra="-- transaction: none")]
    proc = ForkedCli([*base, "deploy", "--no-backup"])
    proc.go()
    assert proc.wait_stderr(re.escape(f"apply {C} ..."), 60), proc.stderr
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    settle(url)
    assert statuses(url, tmp / "m")[C] == "dirty"
    return [*base, "repair", C, "--mark", "rolled-back", "--yes"]


def accept_checksum(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    path = tmp / "m" / f"{B}.sql"
    path.write_text(path.read_text().replace("CREATE TABLE b (id INTEGER);", "CREATE TABLE b (id INTEGER, v INTEGER);"))
    assert statuses(url, tmp / "m")[B] == "drifted"
    return [*base, "repair", B, "--accept-checksum", "--yes"]


def forget_missing(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    (tmp / "m" / f"{C}.sql").unlink()
    return [*base, "repair", "--forget-missing", C, "--yes"]


def override_healthy(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    return [*base, "repair", C, "--mark", "rolled-back", "--override-healthy", "--yes"]


def accept_edited_history(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    h = q(url, "__MigrationHistory")
    execute(url, f"UPDATE {h} SET {q(url, 'operator')} = 'someone else' WHERE seq = 2")
    return [*base, "repair", "--accept-history", "--yes"]


def accept_lost_history_table(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    execute(url, f"DROP TABLE {q(url, '__MigrationHistory')}")
    return [*base, "repair", "--accept-history", "--yes"]


def baseline_new_database(url: str, dialect: str, tmp: Path) -> list[str]:
    base = ["--db", url, *project(tmp / "m")]
    execute(url, "CREATE TABLE a (id INTEGER)")
    return [*base, "baseline", "--to", A, "--yes"]


def snapshot_after_a_hand_change(url: str, dialect: str, tmp: Path) -> list[str]:
    base = deployed(url, tmp)
    execute(url, "CREATE TABLE by_hand (id INTEGER)")
    return [*base, "snapshot", "--yes"]


FLYWAY_DDL = {
    "postgresql": "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), "
                  "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, "
                  "checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL "
                  "DEFAULT now(), execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)",
    "mysql": "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), "
             "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, "
             "checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL "
             "DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOL NOT NULL) ENGINE=InnoDB",
    "sqlite": "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), "
              "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, "
              "checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL "
              "DEFAULT '2025-01-01 00:00:00', execution_time INT NOT NULL, success BOOLEAN NOT NULL)",
}
FLYWAY = [("1", "users", "CREATE TABLE fw_users (id INTEGER)"), ("2", "roles", "CREATE TABLE fw_roles (id INTEGER)")]


def flyway_database(url: str, dialect: str, tmp: Path, applied: int = 1, success: bool = True) -> list[str]:
    """A Flyway project (2 versions) and a database Flyway migrated to ``applied`` of them,
    imported into nexo; returns the base arguments."""
    loc = tmp / "flyway"
    loc.mkdir(parents=True)
    execute(url, FLYWAY_DDL[dialect])
    for rank, (version, desc, up) in enumerate(FLYWAY, 1):
        path = loc / f"V{version}__{desc}.sql"
        path.write_text(up + ";\n")
        if rank > applied:
            continue
        ok = success or rank < applied
        if ok:
            execute(url, up)
        execute(url, "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
                     "checksum, installed_by, execution_time, success) VALUES "
                     f"({rank}, '{version}', '{desc}', 'SQL', '{path.name}', {flyway_crc32(path.read_bytes())}, "
                     f"'flyway', 5, {'TRUE' if ok else 'FALSE'})")
    base = ["--db", url, "--migrations", str(tmp / "m")]
    code, out, err = run_cli(*base, "import", "--from", "flyway", str(loc))
    assert code == 0, out + err
    return base


def adopt_flyway(url: str, dialect: str, tmp: Path) -> list[str]:
    return [*flyway_database(url, dialect, tmp), "adopt", "--from", "flyway", "--yes"]


def without_problems(view: dict) -> dict:
    """A killed accept-history leaves __MigrationHistory created and empty (ensure() commits
    before the acceptance row): the next run then accepts "ends at seq 0 but seq 5 was written"
    where the first would have accepted "__MigrationHistory is missing (it had 5 rows)". Both
    are true; only the wording of what was lost differs."""
    rows = view.get("__MigrationHistory", [])
    return {**view, "__MigrationHistory": [(*r[:4], "accepted") if r[1] == "repair" else r for r in rows]}


#: name -> (starting state, whether the command leaves the audit passing, what a second run
#: must reproduce). On the servers, the repair modes whose steps are the same statements as
#: another's (accept-checksum, override-healthy and an edited row's accept-history send the
#: UPDATE / history INSERT / tail UPDATE / COMMIT of mark-rolled-back) run on SQLite only:
#: the suite's budget is 90 s for all of this on 2 cores.
SCENARIOS = {
    "repair-mark-applied-failed": (mark_applied_on_failed, True),
    "repair-mark-rolled-back-dirty": (mark_rolled_back_on_dirty, True),
    "repair-forget-missing": (forget_missing, True),
    "repair-accept-history-lost-table": (accept_lost_history_table, False, lambda v: without_problems(v)),
    "baseline": (baseline_new_database, True),
    "snapshot": (snapshot_after_a_hand_change, True),
    "adopt-flyway": (adopt_flyway, True),
}
SQLITE_ONLY = {
    "repair-accept-checksum": (accept_checksum, True),
    "repair-override-healthy": (override_healthy, True),
    "repair-accept-history-edited-row": (accept_edited_history, True),
}
CASES = [(d, s) for d in ("sqlite", "postgresql", "mysql") for s in SCENARIOS] + [("sqlite", s) for s in SQLITE_ONLY]


@pytest.mark.parametrize(("dialect", "scenario"), CASES)
def test_killed_or_failing_at_each_step(make_db, dialect, tmp_path, scenario, figures):
    url = make_db(dialect)
    build, audit_after, *same = {**SCENARIOS, **SQLITE_ONLY}[scenario]
    args = build(url, dialect, tmp_path)
    outcome = at_each_step(url, args, tmp_path, audit_after=audit_after, **({"same": same[0]} if same else {}))
    figures("kill/fail at each step", f"{dialect} kills", outcome.kills)
    figures("kill/fail at each step", f"{dialect} failures", outcome.failures)
