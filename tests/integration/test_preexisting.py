"""Item 17: an existing database with tables. `status` and `validate` warn (finding
`preexisting_objects`) when the migration deploy would run next creates tables or views that
already exist, and point to `nexo baseline`; nothing is queried when nothing is pending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from nexo_studio.core.operations import status
from nexo_studio.core.preexisting import created_objects, with_preexisting
from nexo_studio.core.project import Project, read_snapshot
from nexo_studio.core.target import Target
from tests.cli.test_cli import nexo
from tests.helpers.projects import write_sql

FIRST = "2025.01.01.000001_initial_schema"
SECOND = "2025.01.02.000001_orders"


def legacy_db(url: str) -> None:
    """A database built before nexo: a table and a view, no state tables."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40))")
        conn.exec_driver_sql("CREATE VIEW customer_names AS SELECT name FROM customers")
    engine.dispose()


def project(directory: Path) -> Path:
    write_sql(directory, FIRST,
              "-- the original schema\nCREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40));\n"
              "CREATE TABLE IF NOT EXISTS settings (k VARCHAR(20));\n"
              "CREATE VIEW customer_names AS SELECT name FROM customers;\n"
              "CREATE TABLE invoices (id INTEGER PRIMARY KEY);",
              "DROP TABLE invoices;\nDROP VIEW customer_names;\nDROP TABLE settings;\nDROP TABLE customers;")
    write_sql(directory, SECOND, "CREATE TABLE orders (id INTEGER PRIMARY KEY);", "DROP TABLE orders;",
              depends=[FIRST])
    return directory


def codes(findings) -> list[str]:
    return [f["code"] for f in findings]


def test_existing_tables_are_reported_with_a_baseline_hint(tmp_path, db_url):
    legacy_db(db_url)
    base = ["--db", db_url, "--migrations", str(project(tmp_path / "m"))]
    r = nexo(*base, "status")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stdout and "table customers" in r.stdout and "view customer_names" in r.stdout
    assert "nexo baseline --to" in r.stdout
    assert "settings" not in r.stdout.split("preexisting")[-1] and "invoices" not in r.stdout
    r = nexo(*base, "validate", "--json")
    assert r.returncode == 0, r.stdout + r.stderr  # a warning: validate still passes
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "preexisting_objects"]
    assert len(found) == 1 and found[0]["level"] == "warning" and found[0]["ids"] == [FIRST]
    assert found[0]["line"] == 4 and found[0]["path"].endswith(FIRST + ".sql")  # the CREATE TABLE customers

    # baseline the first one: the next migration's objects do not exist, so no more warning
    r = nexo(*base, "baseline", "--to", FIRST, "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    r = nexo(*base, "status", "--json")
    assert "preexisting_objects" not in codes(json.loads(r.stdout)["findings"])
    r = nexo(*base, "deploy", "--no-backup", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["applied"] == [SECOND]


def test_an_empty_database_or_if_not_exists_gives_no_warning(tmp_path, db_url):
    base = ["--db", db_url, "--migrations", str(project(tmp_path / "m"))]
    r = nexo(*base, "status", "--json")
    assert r.returncode == 0 and "preexisting_objects" not in codes(json.loads(r.stdout)["findings"])
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE settings (k VARCHAR(20))")  # only IF NOT EXISTS creates it
    engine.dispose()
    r = nexo(*base, "status", "--json")
    assert "preexisting_objects" not in codes(json.loads(r.stdout)["findings"])


def test_nothing_pending_means_nothing_is_split_or_queried(tmp_path, db_url):
    m = project(tmp_path / "m")
    r = nexo("--db", db_url, "--migrations", str(m), "deploy", "--no-backup")
    assert r.returncode == 0, r.stderr
    proj = Project.load(m)
    target = Target(db_url)
    try:
        with target.connect() as conn:
            snap = read_snapshot(proj, target, conn)
            sent: list[str] = []
            sa.event.listen(target.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
            assert with_preexisting(snap, conn, target.dialect) is snap
            assert sent == []
            assert not [s for s in proj.migrations.values() if "statements" in s.sections[0].__dict__]
        assert not [f for f in status(proj, target).findings if f.code == "preexisting_objects"]
    finally:
        target.dispose()


@pytest.mark.parametrize("sql, expected", [
    ("CREATE TABLE a (id INT)", [("table", None, "a")]),
    ("-- note\n/* block */ create table IF NOT EXISTS a (id INT)", []),
    ('CREATE TABLE "Quoted Name" (id INT)', [("table", None, "Quoted Name")]),
    ("CREATE TABLE app.users (id INT)", [("table", "app", "users")]),
    ("CREATE TABLE `app`.`users` (id INT)", [("table", "app", "users")]),
    ("create view v_all as select 1", [("view", None, "v_all")]),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", []),
    ("CREATE TEMPORARY TABLE scratch (id INT)", []),
    ("CREATE UNLOGGED TABLE fast (id INT)", [("table", None, "fast")]),
    ("CREATE INDEX ix ON a (id)", []),
    ("INSERT INTO a VALUES (1)", []),
])
def test_names_come_from_the_leading_create_only(tmp_path, sql, expected):
    write_sql(tmp_path, FIRST, sql + ";")
    m = Project.load(tmp_path).migrations[FIRST]
    assert [(k, s, n) for k, s, n, _line in created_objects(m, "postgresql")] == expected
