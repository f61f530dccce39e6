"""Liquibase, the real tool (npm `liquibase` 4.28 with its PostgreSQL driver, a Debian JRE):
`liquibase update` runs a formatted SQL changelog on a fresh PostgreSQL database; nexo imports it
(the MD5SUMs it computes equal the ones Liquibase recorded) and adopts the database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from nexo_studio.core.adopt.checksums import liquibase_md5sum
from tests.adopt.helpers import (TOOLS_DIR, need_tool, new_on_top_and_roll_back, nexo, rows_of,
                                 same_schema_as_fresh_nexo, take_over)

LB = TOOLS_DIR / "node_modules" / "liquibase" / "dist"


def changelog(root: Path, dialect: str = "postgresql") -> Path:
    parts = ["--liquibase formatted sql", ""]
    for i in range(1, 8):
        parts += [f"--changeset alice:{i}", f"--comment: table {i}",
                  f"CREATE TABLE lb_t{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));",
                  f"INSERT INTO lb_t{i} (id, v) VALUES ({i}, 'x;y');", f"--rollback DROP TABLE lb_t{i};", ""]
    if dialect == "postgresql":
        parts += ["--changeset bob:fn splitStatements:false",
                  "CREATE FUNCTION lb_f() RETURNS integer LANGUAGE plpgsql AS $$", "BEGIN", "  RETURN 1;", "END;",
                  "$$;", "--rollback DROP FUNCTION lb_f();", "",
                  "--changeset bob:idx runInTransaction:false",
                  "CREATE INDEX CONCURRENTLY lb_t1_v ON lb_t1 (v);", "--rollback DROP INDEX lb_t1_v;", ""]
    else:
        parts += ["--changeset bob:fn splitStatements:false",
                  "CREATE PROCEDURE lb_p() BEGIN", "  SELECT 1;", "  SELECT 2;", "END;",
                  "--rollback DROP PROCEDURE lb_p;", "",
                  "--changeset bob:idx runInTransaction:false",
                  "CREATE INDEX lb_t1_v ON lb_t1 (v);", "--rollback DROP INDEX lb_t1_v ON lb_t1;", ""]
    parts += ["--changeset carol:views endDelimiter:/",
              "CREATE VIEW lb_v1 AS SELECT id FROM lb_t1", "/",
              "CREATE VIEW lb_v2 AS SELECT id FROM lb_t2", "/",
              "--rollback DROP VIEW lb_v2;", "--rollback DROP VIEW lb_v1;", ""]
    path = root / "changelog.sql"
    path.write_text("\n".join(parts))
    return path


def liquibase_update(url: str, log: Path) -> None:
    exe = need_tool(str(LB / "liquibase" / "liquibase"), "liquibase")
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "postgresql":
        jdbc, driver = f"jdbc:postgresql://{u.host}:{u.port or 5432}/{u.database}", "postgresql-42.4.2.jar"
    else:
        jdbc, driver = f"jdbc:mariadb://{u.host}:{u.port or 3306}/{u.database}", "mariadb-java-client-2.5.3.jar"
    r = subprocess.run([exe, f"--url={jdbc}", f"--username={u.username}", f"--changelog-file={log.name}",
                        f"--classpath={LB / 'drivers' / driver}", "--show-banner=false", "update"],
                       cwd=log.parent, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_liquibase_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    log = changelog(tmp_path, dialect)
    liquibase_update(url, log)
    table = "databasechangelog" if dialect == "postgresql" else "DATABASECHANGELOG"
    recorded = {f"{r[0]}::{r[1]}": r[6] for r in rows_of(url, table)}
    got = take_over(tmp_path, url, "liquibase", log, table)
    mapping = got["import"]["mapping"]
    assert len(mapping) == 10 and [m["foreign_id"] for m in mapping][-3:] == ["fn::bob", "idx::bob", "views::carol"]
    for m in mapping:  # our MD5SUM is Liquibase's
        assert f"checksum={recorded[m['foreign_id']].replace(':', '%3A')}" in (got["mig"] / m["file"]).read_text()
    assert mapping[-2]["transaction"] == "none"
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("databasechangelog", "databasechangeloglock"))
    new_on_top_and_roll_back(got["base"], got["mig"], url, mapping[4]["migration_id"], "lb_t6")


def test_liquibase_edited_changeset_and_unsupported_items(tmp_path, make_db):
    url = make_db("postgresql")
    log = changelog(tmp_path)
    liquibase_update(url, log)
    log.write_text(log.read_text().replace("CREATE TABLE lb_t3 (id INTEGER PRIMARY KEY, v VARCHAR(20));",
                                           "CREATE TABLE lb_t3 (id BIGINT PRIMARY KEY, v VARCHAR(20));"))
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "liquibase", str(log)).returncode == 0
    r = nexo(*base, "adopt", "--from", "liquibase", "--yes", "--json")
    assert r.returncode == 2, r.stdout + r.stderr
    doc = json.loads(nexo(*base, "status", "--from", "liquibase", "--json").stdout)
    assert [x["foreign_id"] for x in doc["migrations"] if x["kind"] == "checksum-mismatch"] == ["3::alice"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # an update that died holding Liquibase's lock
        conn.exec_driver_sql("UPDATE databasechangeloglock SET locked = TRUE, lockedby = 'ci-runner'")
    engine.dispose()
    r = nexo(*base, "adopt", "--from", "liquibase", "--yes", "--accept-mismatch")
    assert r.returncode == 3 and "ci-runner" in r.stderr, r.stdout + r.stderr
    other = tmp_path / "other.sql"
    other.write_text("--liquibase formatted sql\n--changeset a:1 context:test\nSELECT 1;\n"
                     "--changeset a:2\n--precondition-sql-check expectedResult:0 SELECT 1\nSELECT 2;\n"
                     "--changeset a:3\nGRANT SELECT ON t TO ${app_user};\n")
    r = nexo("--migrations", str(tmp_path / "o"), "import", "--from", "liquibase", str(other))
    assert r.returncode == 2 and "contexts" in r.stderr and "precondition" in r.stderr, r.stderr
    assert "a:3" in r.stderr and "properties" in r.stderr


def test_md5sum_examples_recorded_by_liquibase_4_28():
    """Values Liquibase 4.28.0 wrote to DATABASECHANGELOG for these bodies."""
    assert liquibase_md5sum("CREATE TABLE lb_a (id INTEGER PRIMARY KEY);") == "9:9827fb308ce5beabd69207dafca447dd"
    assert liquibase_md5sum("  CREATE INDEX CONCURRENTLY lb_a_id ON lb_a (id);   \n-- a comment inside") \
        == "9:2bc9ce24eb2cf6e16557507be0a4b52d"


XML = """<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
      http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">
  <changeSet id="1" author="alice">
    <comment>first table</comment>
    <sql>CREATE TABLE lx_a (id INTEGER PRIMARY KEY);</sql>
    <rollback>DROP TABLE lx_a;</rollback>
  </changeSet>
  <changeSet id="2" author="alice">
    <sqlFile path="sql/f.sql" relativeToChangelogFile="true"/>
    <rollback><sql>DROP TABLE lx_f;</sql></rollback>
  </changeSet>
  <changeSet id="3" author="bob">
    <sql splitStatements="false">
      CREATE TABLE lx_b (id INTEGER);
    </sql>
    <sql>CREATE TABLE lx_c (id INTEGER);</sql>
    <rollback>DROP TABLE lx_c; DROP TABLE lx_b;</rollback>
  </changeSet>
  <changeSet id="4" author="bob">
    <createTable tableName="lx_d"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="5" author="bob" runInTransaction="false">
    <sql>CREATE INDEX CONCURRENTLY lx_a_id ON lx_a (id);</sql>
    <rollback>DROP INDEX lx_a_id;</rollback>
  </changeSet>
</databaseChangeLog>
"""


def test_liquibase_xml_changelog(tmp_path, make_db):
    url = make_db("postgresql")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "f.sql").write_text("CREATE TABLE lx_f (id INTEGER);\nINSERT INTO lx_f VALUES (1);\n")
    log = tmp_path / "changelog.xml"
    log.write_text(XML)
    liquibase_update(url, log)
    recorded = {f"{r[0]}::{r[1]}": r[6] for r in rows_of(url, "databasechangelog")}
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    r = nexo(*base, "import", "--from", "liquibase", str(log))
    assert r.returncode == 2 and "createTable" in r.stderr
    r = nexo(*base, "import", "--from", "liquibase", str(log), "--skip-unsupported", "--json")
    mapping = json.loads(r.stdout)["mapping"]
    assert [m["foreign_id"] for m in mapping] == ["1::alice", "2::alice", "3::bob", "5::bob"]
    assert mapping[-1]["transaction"] == "none"
    for m in mapping:
        assert f"checksum={recorded[m['foreign_id']].replace(':', '%3A')}" in (mig / m["file"]).read_text()
    r = nexo(*base, "adopt", "--from", "liquibase", "--yes")  # 4::bob ran but has no file
    assert r.returncode == 2 and "4::bob" in r.stderr, r.stdout + r.stderr
    r = nexo(*base, "adopt", "--from", "liquibase", "--yes", "--accept-mismatch", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["adopted"]) == 4, r.stdout + r.stderr
    r = nexo(*base, "rollback", "--to", "0", "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert {"lx_a", "lx_b", "lx_c", "lx_f"}.isdisjoint(sa.inspect(sa.create_engine(url)).get_table_names())
