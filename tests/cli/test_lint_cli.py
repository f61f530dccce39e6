"""`nexo lint` as users run it: a subprocess, exit codes, one JSON document, row estimates
from live PostgreSQL and MariaDB databases raising the level (SPEC §11)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers.projects import write_sql

ROOT = Path(__file__).resolve().parents[2]
A = "2025.01.01.000001_create_orgs"
B = "2025.01.02.000001_index_users"
C = "2025.01.03.000001_drop_legacy"


def nexo(*args: str, db: str | None = None, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("NEXO_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(cwd / "m")]
    if db:
        cmd += ["--db", db]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def project(tmp_path: Path, *, drop: bool = True) -> None:
    m = tmp_path / "m"
    write_sql(m, A, "CREATE TABLE orgs (id bigint PRIMARY KEY, name varchar(50));\nCREATE INDEX orgs_name ON orgs (name);",
              "DROP TABLE orgs;")
    write_sql(m, B, "CREATE INDEX users_email ON users (email);", "DROP INDEX users_email;", depends=[A])
    if drop:
        write_sql(m, C, "ALTER TABLE users DROP COLUMN legacy;", depends=[B])


def test_clean_project_exits_0_and_names_nothing(tmp_path):
    project(tmp_path, drop=False)
    r = nexo("lint", "--dialect", "mysql", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "0 error(s), 0 warning(s)" in r.stdout


def test_error_finding_exits_1_with_file_line_and_rule(tmp_path):
    project(tmp_path)
    r = nexo("lint", "--dialect", "postgresql", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert f"[drop_column] {C}.sql:4 (up)" in r.stdout
    assert f"[create_index_locks] {B}.sql:4 (up)" in r.stdout
    assert "orgs_name" not in r.stdout and "[create_index_locks] " + A not in r.stdout  # created in the plan


def test_json_is_one_document_with_every_field(tmp_path):
    project(tmp_path)
    r = nexo("lint", "--dialect", "postgresql", "--json", cwd=tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["dialect"] == "postgresql"
    drop = next(f for f in doc["findings"] if f["code"] == "drop_column")
    assert set(drop) == {"code", "level", "migration_id", "path", "line", "section", "message", "allowed"}
    assert (drop["level"], drop["migration_id"], drop["line"], drop["section"], drop["allowed"]) == (
        "error", C, 4, "up", None)
    assert drop["path"].endswith(f"{C}.sql")


def test_ids_limit_what_is_linted_and_unknown_id_is_invalid(tmp_path):
    project(tmp_path)
    r = nexo("lint", B, "--dialect", "postgresql", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert {f["migration_id"] for f in json.loads(r.stdout)["findings"]} == {B}
    r = nexo("lint", "2025.09.09.000000_nope", "--dialect", "postgresql", "--json", cwd=tmp_path)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "2025.09.09.000000_nope" in doc["error"]["message"]


def test_bad_dialect_and_broken_project_exit_2(tmp_path):
    project(tmp_path)
    assert nexo("lint", "--dialect", "oracle", cwd=tmp_path).returncode == 2
    (tmp_path / "m" / "2025.01.04.000001_bad.sql").write_text("-- colour: blue\n-- +up\nSELECT 1;\n")
    r = nexo("lint", "--dialect", "postgresql", cwd=tmp_path)
    assert r.returncode == 2 and "2025.01.04.000001_bad.sql" in r.stderr


def test_without_dialect_uses_the_database_dialect_without_creating_it(tmp_path):
    project(tmp_path)
    db = tmp_path / "absent.db"
    r = nexo("lint", "--json", db=f"sqlite:///{db}", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["dialect"] == "sqlite" and r.returncode == 1
    assert not db.exists()


def test_unreachable_database_still_lints_without_estimates(tmp_path):
    project(tmp_path)
    r = nexo("lint", "--json", db="postgresql+psycopg://nexo:s3cret-pw@127.0.0.1:1/none", cwd=tmp_path)
    assert r.returncode == 1 and json.loads(r.stdout)["dialect"] == "postgresql"
    assert "without row estimates" in r.stderr and "s3cret-pw" not in r.stderr + r.stdout


def _fill(url: str, dialect: str) -> None:
    """`users` with 150,000 rows and `tags` with 10, statistics up to date."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(80))")
        conn.exec_driver_sql("CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(80))")
        if dialect == "postgresql":
            conn.exec_driver_sql("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 150000) g")
            conn.exec_driver_sql("INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 10) g")
        elif dialect == "mysql":
            conn.exec_driver_sql("INSERT INTO users SELECT seq, CONCAT('u', seq) FROM seq_1_to_150000")
            conn.exec_driver_sql("INSERT INTO tags SELECT seq, CONCAT('t', seq) FROM seq_1_to_10")
        else:
            for table, n in (("users", 150000), ("tags", 10)):
                conn.exec_driver_sql(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
                                     f"INSERT INTO {table} SELECT i, 'x' || i FROM n")
    with engine.connect() as conn:  # statistics, as a DBA's server keeps them
        if dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE users")
            conn.exec_driver_sql("ANALYZE tags")
        elif dialect == "mysql":
            conn.exec_driver_sql("ANALYZE TABLE users, tags").all()
    engine.dispose()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_row_estimates_from_a_live_database_raise_the_level(tmp_path, make_db, dialect):
    """UPDATE without WHERE is a warning; on a table of 150,000 rows it is an error naming the
    size; on a 10-row table it stays a warning. Offline (--dialect) nothing is raised."""
    write_sql(tmp_path / "m", A, "UPDATE users SET email = LOWER(email);\nUPDATE tags SET name = LOWER(name);")
    url = make_db(dialect)
    _fill(url, dialect)
    r = nexo("lint", "--json", db=url, cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    users, tags = json.loads(r.stdout)["findings"]
    assert (users["code"], users["level"]) == ("update_without_where", "error")
    # InnoDB's table_rows is an estimate (146 k for 150,000 rows is usual): the size, roughly
    assert re.search(r"on a table of about 1[3-6]\d k rows", users["message"]), users["message"]
    assert (tags["code"], tags["level"]) == ("update_without_where", "warning")
    assert "about 10 rows" in tags["message"]
    offline = nexo("lint", "--json", "--dialect", dialect, cwd=tmp_path)
    assert offline.returncode == 0
    assert [f["level"] for f in json.loads(offline.stdout)["findings"]] == ["warning", "warning"]


def test_postgresql_index_on_a_large_table_is_an_error(tmp_path, make_db):
    project(tmp_path, drop=False)
    url = make_db("postgresql")
    _fill(url, "postgresql")
    doc = json.loads(nexo("lint", "--json", db=url, cwd=tmp_path).stdout)
    (f,) = [f for f in doc["findings"] if f["code"] == "create_index_locks"]
    assert f["level"] == "error" and f["migration_id"] == B and "about 150 k rows" in f["message"]
