"""What a migration leaves behind in its session must not make the recorded state untrue or reach
the next migration (adversarial run, 2026-12-03), through the real entry point:

- a ``transaction: none`` migration that opens a transaction and never commits it (``BEGIN``
  without ``COMMIT``, MySQL ``SET autocommit = 0``): the server rolls its last statements back
  when the connection closes, so it must not be recorded ``applied``;
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import execute, run_entry_point, statuses

FIRST = "2025.06.01.000001_first"
SECOND = "2025.06.01.000002_second"


def deploy_json(url: str, mdir: Path, *extra: str) -> tuple[int, dict]:
    proc = run_entry_point("--db", url, "--migrations", str(mdir), "deploy", "--no-backup", "--json", *extra)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not one JSON document (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


OPENERS = {"sqlite": ["BEGIN;"], "postgresql": ["BEGIN;"], "mysql": ["START TRANSACTION;", "SET autocommit = 0;"]}


@pytest.mark.parametrize("opener", [0, 1])
def test_a_transaction_left_open_by_a_transaction_none_migration_is_not_recorded_applied(
        db_url, dialect, tmp_path, opener):
    if opener >= len(OPENERS[dialect]):
        pytest.skip(f"one way to open a transaction on {dialect}")
    write_sql(tmp_path, FIRST,
              f"CREATE TABLE kept (id INTEGER PRIMARY KEY);\n{OPENERS[dialect][opener]}\n"
              "INSERT INTO kept VALUES (1);",
              "DROP TABLE kept;", extra="-- transaction: none")
    code, doc = deploy_json(db_url, tmp_path)
    rows = execute(db_url, "SELECT id FROM kept")
    state = statuses(db_url, tmp_path)[FIRST]
    # the INSERT was rolled back by the server when the connection closed: never "applied"
    assert rows == [], rows
    assert code == 1 and doc["ok"] is False, doc
    assert state == "dirty", state  # its CREATE TABLE was committed
    assert "left a transaction open" in doc["error"]["message"], doc["error"]
