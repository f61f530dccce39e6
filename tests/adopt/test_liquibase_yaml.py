"""Liquibase YAML changelogs, the real tool: `liquibase update` runs a YAML changelog of 12
changesets (sql and sqlFile changes, rollbacks as text and as changes, splitStatements:false,
runInTransaction:false, endDelimiter) on a fresh PostgreSQL database; nexo imports it (the MD5SUMs
equal the ones Liquibase recorded), adopts the database, and the Liquibase tables are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from tests.adopt.helpers import new_on_top_and_roll_back, nexo, rows_of, same_schema_as_fresh_nexo, take_over
from tests.adopt.test_liquibase import liquibase_update

YAML_HEAD = "databaseChangeLog:\n"


def yaml_changelog(root: Path) -> Path:
    (root / "sql").mkdir()
    (root / "sql" / "seed.sql").write_text("CREATE TABLE ly_seed (id INTEGER);\nINSERT INTO ly_seed VALUES (1);\n")
    parts = [YAML_HEAD]
    for i in range(1, 9):
        parts.append(f"""  - changeSet:
      id: {i}
      author: alice
      comment: table {i}
      changes:
        - sql:
            sql: CREATE TABLE ly_t{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));
        - sql:
            sql: INSERT INTO ly_t{i} (id, v) VALUES ({i}, 'x;y');
      rollback: DROP TABLE ly_t{i};
""")
    parts.append("""  - changeSet:
      id: fn
      author: bob
      changes:
        - sql:
            splitStatements: false
            sql: |
              CREATE FUNCTION ly_f() RETURNS integer LANGUAGE plpgsql AS $$
              BEGIN
                RETURN 1;
              END;
              $$;
      rollback:
        - sql:
            sql: DROP FUNCTION ly_f();
  - changeSet:
      id: idx
      author: bob
      runInTransaction: false
      changes:
        - sql:
            sql: CREATE INDEX CONCURRENTLY ly_t1_v ON ly_t1 (v);
      rollback: DROP INDEX ly_t1_v;
  - changeSet:
      id: seed
      author: carol
      changes:
        - sqlFile:
            path: sql/seed.sql
            relativeToChangelogFile: true
      rollback:
        - sql:
            sql: DROP TABLE ly_seed;
  - changeSet:
      id: views
      author: carol
      changes:
        - sql:
            endDelimiter: /
            sql: |
              CREATE VIEW ly_v1 AS SELECT id FROM ly_t1
              /
              CREATE VIEW ly_v2 AS SELECT id FROM ly_t2
              /
      rollback: |
        DROP VIEW ly_v2;
        DROP VIEW ly_v1;
""")
    path = root / "changelog.yaml"
    path.write_text("".join(parts))
    return path


def test_liquibase_yaml_changelog_taken_over(tmp_path, make_db):
    url = make_db("postgresql")
    log = yaml_changelog(tmp_path)
    liquibase_update(url, log)
    recorded = {f"{r[0]}::{r[1]}": r[6] for r in rows_of(url, "databasechangelog")}
    assert len(recorded) == 12
    lock_before = rows_of(url, "databasechangeloglock")
    got = take_over(tmp_path, url, "liquibase", log, "databasechangelog")
    mapping = got["import"]["mapping"]
    assert [m["foreign_id"] for m in mapping][-4:] == ["fn::bob", "idx::bob", "seed::carol", "views::carol"]
    assert len(mapping) == 12 and all(m["down"] for m in mapping)
    for m in mapping:  # our MD5SUM is Liquibase's
        assert f"checksum={recorded[m['foreign_id']].replace(':', '%3A')}" in (got["mig"] / m["file"]).read_text()
    assert mapping[9]["transaction"] == "none"
    assert rows_of(url, "databasechangeloglock") == lock_before
    same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("databasechangelog", "databasechangeloglock"))
    new_on_top_and_roll_back(got["base"], got["mig"], url, mapping[4]["migration_id"], "ly_t6")


def test_liquibase_yaml_unsupported_items_and_json(tmp_path):
    """Other change types, preconditions, contexts and includes are named with the reason (exit 2);
    a JSON changelog imports like the same YAML one; a broken YAML file names its line."""
    log = tmp_path / "other.yaml"
    log.write_text(YAML_HEAD + """  - include:
      file: more.yaml
  - changeSet:
      id: 1
      author: a
      changes:
        - createTable:
            tableName: t
  - changeSet:
      id: 2
      author: a
      context: test
      changes:
        - sql:
            sql: SELECT 1;
  - changeSet:
      id: 3
      author: a
      preConditions:
        - onFail: MARK_RAN
      changes:
        - sql:
            sql: SELECT 3;
  - changeSet:
      id: 4
      author: a
      changes:
        - sql:
            sql: CREATE TABLE j (id INTEGER);
      rollback:
        - dropTable:
            tableName: j
  - changeSet:
      id: 5
      author: a
      changes:
        - sql:
            sql: CREATE TABLE k (id INTEGER);
      rollback: DROP TABLE k;
""")
    r = nexo("--migrations", str(tmp_path / "o"), "import", "--from", "liquibase", str(log))
    assert r.returncode == 2, r.stdout + r.stderr
    for needle in ("createTable", "contexts", "preconditions", "include", "dropTable", "a:1", "a:4"):
        assert needle in r.stderr, (needle, r.stderr)
    r = nexo("--migrations", str(tmp_path / "o"), "import", "--from", "liquibase", str(log), "--skip-unsupported",
             "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    assert [m["foreign_id"] for m in json.loads(r.stdout)["mapping"]] == ["5::a"]
    as_json = tmp_path / "same.json"
    as_json.write_text(json.dumps({"databaseChangeLog": [{"changeSet": {
        "id": 5, "author": "a", "changes": [{"sql": {"sql": "CREATE TABLE k (id INTEGER);"}}],
        "rollback": "DROP TABLE k;"}}]}))
    r = nexo("--migrations", str(tmp_path / "j"), "import", "--from", "liquibase", str(as_json))
    assert r.returncode == 0, r.stderr
    r = nexo("--migrations", str(tmp_path / "y"), "import", "--from", "liquibase", str(log), "--skip-unsupported")
    assert r.returncode == 0, r.stderr
    assert [p.read_bytes() for p in sorted((tmp_path / "j").iterdir())] == \
        [p.read_bytes() for p in sorted((tmp_path / "y").iterdir())]
    bad = tmp_path / "bad.yaml"
    bad.write_text(YAML_HEAD + "  - changeSet:\n      id: 1\n     author: [\n")
    r = nexo("--migrations", str(tmp_path / "b"), "import", "--from", "liquibase", str(bad))
    assert r.returncode != 0 and "bad.yaml" in r.stderr and "YAML" in r.stderr, r.stderr
