"""golang-migrate: its `schema_migrations(version, dirty)` table written exactly as its database
drivers create it (the tool cannot be installed here): one row, the current version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adopt.helpers import new_on_top_and_roll_back, nexo, run_sql, same_schema_as_fresh_nexo, take_over
from tests.conftest import DIALECTS

DDL = {  # database/postgres, database/mysql, database/sqlite3 drivers
    "postgresql": "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, "
                  "dirty boolean not null)",
    "mysql": "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, "
             "dirty boolean not null)",
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);\n"
              "CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version)",
}


def write_project(root: Path) -> tuple[Path, list[tuple[int, str, str]]]:
    src = root / "gm"
    src.mkdir(parents=True)
    steps = []
    for i in range(1, 12):
        version = 20240101000000 + i if i > 5 else i  # sequence numbers, then timestamps: numeric order
        up = f"CREATE TABLE gm_t{i} (id INTEGER PRIMARY KEY);\nINSERT INTO gm_t{i} (id) VALUES ({i});"
        (src / f"{version}_create_t{i}.up.sql").write_text(up + "\n")
        (src / f"{version}_create_t{i}.down.sql").write_text(f"DROP TABLE gm_t{i};\n")
        steps.append((version, up, f"gm_t{i}"))
    return src, steps


def migrate_up(url: str, dialect: str, steps, dirty_last: bool = False) -> None:
    run_sql(url, DDL[dialect])
    for version, up, _t in steps:
        run_sql(url, up)
    run_sql(url, f"INSERT INTO schema_migrations (version, dirty) VALUES ({steps[-1][0]}, "
                 f"{'TRUE' if dirty_last else 'FALSE'})")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golang_migrate_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    src, steps = write_project(tmp_path)
    migrate_up(url, dialect, steps)
    got = take_over(tmp_path, url, "golang-migrate", src, "schema_migrations")
    mapping = got["import"]["mapping"]
    assert [int(m["foreign_id"]) for m in mapping] == [v for v, *_ in steps]
    assert all(m["down"] for m in mapping)
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("schema_migrations",))
    new_on_top_and_roll_back(got["base"], got["mig"], url, mapping[4]["migration_id"], "gm_t6")
    if dialect == "sqlite":  # the audit report filters adopt rows like any other action
        out = tmp_path / "report.json"
        r = nexo(*got["base"], "export", "--format", "json", "--out", str(out), "--action", "adopt")
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(json.loads(out.read_text())["events"]) == len(mapping) + 1


def test_golang_migrate_dirty_refuses_with_exit_3(tmp_path, make_db):
    url = make_db("sqlite")
    src, steps = write_project(tmp_path)
    migrate_up(url, "sqlite", steps, dirty_last=True)
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "golang-migrate", str(src)).returncode == 0
    r = nexo(*base, "status", "--from", "golang-migrate")
    assert r.returncode == 0 and "failed/dirty" in r.stdout
    r = nexo("--db", url, "--migrations", str(tmp_path / "none"), "status", "--from", "golang-migrate", "--json")
    doc = json.loads(r.stdout)  # a DBA inspects the database without importing anything
    assert r.returncode == 0 and doc["found"] and doc["counts"] == {"failed/dirty": 1}, r.stdout + r.stderr
    r = nexo(*base, "adopt", "--from", "golang-migrate", "--yes")
    assert r.returncode == 3 and str(steps[-1][0]) in r.stderr, r.stdout + r.stderr
    r = nexo(*base, "status", "--json")
    assert '"applied"' not in r.stdout  # nothing recorded
