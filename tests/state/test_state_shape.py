"""The health check's look at the state tables' columns: a table missing a column SPEC §3 names
(an older or hand-edited table) refuses the deploy before anything changes, naming the column;
a table with every column -- in a schema of ``nexo.toml``'s too -- passes."""

from __future__ import annotations

import json

from tests.helpers.projects import write_sql
from tests.reliability.harness import execute, run_entry_point

FIRST = "2025.06.01.000001_first"
SECOND = "2025.06.01.000002_second"


def test_a_state_table_missing_a_column_refuses_the_deploy_naming_it(db_url, tmp_path):
    write_sql(tmp_path, FIRST, "CREATE TABLE first_t (id INTEGER);", "DROP TABLE first_t;")
    first = run_entry_point("--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    execute(db_url, 'ALTER TABLE "__MigrationHistory" DROP COLUMN tool_version'
            if not db_url.startswith("mysql") else "ALTER TABLE `__MigrationHistory` DROP COLUMN tool_version")
    write_sql(tmp_path, SECOND, "CREATE TABLE second_t (id INTEGER);", "DROP TABLE second_t;", depends=[FIRST])

    proc = run_entry_point("--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup", "--json")

    doc = json.loads(proc.stdout)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "__MigrationHistory.tool_version" in doc["error"]["message"], doc
    tables = {r[0].lower() for r in execute(db_url, _tables_sql(db_url))}
    assert "second_t" not in tables and "first_t" in tables


def _tables_sql(url: str) -> str:
    if url.startswith("sqlite"):
        return "SELECT name FROM sqlite_master WHERE type = 'table'"
    if url.startswith("mysql"):
        return "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    return "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"


def test_state_tables_in_a_schema_of_nexo_toml_pass_the_check(make_db, tmp_path):
    url = make_db("postgresql")
    execute(url, "CREATE SCHEMA ops")
    mdir = tmp_path / "m"
    write_sql(mdir, FIRST, "CREATE TABLE first_t (id INTEGER);", "DROP TABLE first_t;")
    (tmp_path / "nexo.toml").write_text(f'[database]\nurl = "{url}"\nschema = "ops"\n', encoding="utf-8")
    for _ in range(2):  # the second run finds the tables there and checks them
        proc = run_entry_point("--migrations", str(mdir), "deploy", "--no-backup", "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert execute(url, 'SELECT status FROM ops."__Migrations"') == [("applied",)]
