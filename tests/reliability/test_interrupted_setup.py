"""A first deploy killed while it created the state tables (MySQL/MariaDB DDL is not
transactional, so some tables can exist without the others) is not tampering: nothing was
recorded yet, and the next changing command creates the rest. Found by the crash test in CI
(seed 296863733, MariaDB, kill 15: "__NexoMeta is missing ... tampered", exit 3).

The same missing table once rows were recorded is still tampering."""

from __future__ import annotations

import json

import pytest

from tests.helpers.projects import table_project
from tests.reliability.harness import execute, q, run_cli, user_tables

DIALECTS = ["sqlite", "postgresql", "mysql"]


def _leave_only_empty_state_tables(url: str, keep_rows: bool) -> None:
    """What a kill during the first run's table creation leaves: empty __Migrations and
    __MigrationHistory, no __NexoMeta (``keep_rows``: the rows stay — that is tampering)."""
    statements = [f"DROP TABLE {q(url, '__NexoMeta')}"]
    if not keep_rows:
        statements += ["DROP TABLE t1"] + [f"DELETE FROM {q(url, name)}" for name in ("__SchemaSnapshots", "__MigrationHistory",
                                                                   "__Migrations")]
    execute(url, *statements)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_state_tables_left_half_created_by_a_killed_first_run_are_completed(make_db, tmp_path, dialect):
    url = make_db(dialect)
    mdir = tmp_path / "m"
    table_project(mdir, 1)
    base = ["--db", url, "--migrations", str(mdir)]
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    _leave_only_empty_state_tables(url, keep_rows=False)
    code, out, err = run_cli(*base, "status", "--json")
    assert code == 0 and not [f for f in json.loads(out)["findings"] if f["code"] == "tampered"], out
    code, out, err = run_cli(*base, "deploy", "--no-backup")
    assert code == 0, out + err
    assert user_tables(url) == {"t1"}
    assert run_cli(*base, "audit", "verify")[0] == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_missing_meta_table_with_recorded_rows_is_still_tampering(make_db, tmp_path, dialect):
    url = make_db(dialect)
    mdir = tmp_path / "m"
    table_project(mdir, 1)
    base = ["--db", url, "--migrations", str(mdir)]
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    _leave_only_empty_state_tables(url, keep_rows=True)
    code, out, err = run_cli(*base, "status", "--json")
    tampered = [f["message"] for f in json.loads(out)["findings"] if f["code"] == "tampered"]
    assert any("__NexoMeta is missing" in m for m in tampered), out
    assert run_cli(*base, "audit", "verify")[0] == 1
