"""Deploy's refusals in order: tampered state tables before live schema drift.

Both exit 3, but the drift is judged against the snapshot the state tables point to; while
those are tampered that baseline is not to be trusted, so the tamper finding is named first
(and the DBA is sent to `repair --accept-history` or a restore, not to `nexo snapshot`).
Once the tampering is accepted, the drift still stops the deploy.
"""

from __future__ import annotations

import json

from tests.helpers.projects import table_project, write_sql
from tests.reliability.harness import execute, q, run_cli


def tampered_and_drifted(db_url, tmp_path) -> list[str]:
    """A deployed database with a history row edited and a table made by hand, and a new
    migration to deploy."""
    mdir = tmp_path / "m"
    table_project(mdir, 2)
    base = ["--db", db_url, "--migrations", str(mdir)]
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    execute(db_url, f"UPDATE {q(db_url, '__MigrationHistory')} SET {q(db_url, 'operator')} = 'x' WHERE seq = 2")
    execute(db_url, "CREATE TABLE by_hand (id INTEGER)")  # drift
    write_sql(mdir, "2025.01.01.000009_later", "CREATE TABLE later_t (id INTEGER);", "DROP TABLE later_t;")
    return base


def test_tampered_history_is_named_before_drift(db_url, tmp_path):
    base = tampered_and_drifted(db_url, tmp_path)
    code, out, err = run_cli(*base, "deploy", "--no-backup", "--json")
    error = json.loads(out)["error"]
    assert code == 3, out + err
    assert error["type"] == "DatabaseNeedsRepair", error
    assert "history seq 2" in error["message"] and "tampered" in error["message"], error


def test_drift_is_still_refused_after_the_tampering_is_accepted(db_url, tmp_path):
    """`repair --accept-history` changes no schema: it used to count as an unfinished
    operation's work, so the drift made before it passed as "stale" and was deployed over."""
    base = tampered_and_drifted(db_url, tmp_path)
    assert run_cli(*base, "repair", "--accept-history", "--yes")[0] == 0
    code, out, err = run_cli(*base, "deploy", "--no-backup", "--json")
    assert code == 3 and json.loads(out)["error"]["type"] == "SchemaDrift", out + err
