"""`nexo plan --dialect NAME` (SPEC §7): plan for a dialect offline, all migrations pending."""

from __future__ import annotations

import json

from nexo_studio.cli.main import main
from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_plan_for_mssql_with_no_database_reachable(sample_dir):
    base = ["--db", UNREACHABLE, "--migrations", str(sample_dir)]
    r = nexo(*base, "plan", "--dialect", "mssql", "--sql")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "9 migration(s) to apply" in r.stdout
    assert "IDENTITY(1, 1)" in r.stdout and "NVARCHAR(200)" in r.stdout  # the mssql variants
    r = nexo(*base, "plan", "--dialect", "mssql", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["dialect"] == "mssql" and len(doc["plan"]) == 9
    assert "IDENTITY(1, 1)" in doc["plan"][0]["statements"][0]["sql"]
    r = nexo(*base, "plan")  # without --dialect, plan connects (and fails: exit 1)
    assert r.returncode == 1


def test_plan_dialect_ignores_the_configured_database_state(tmp_path, make_db, dialect):
    m = tmp_path / "m"
    table_project(m, 2)
    base = ["--db", make_db(dialect), "--migrations", str(m)]
    assert main([*base, "deploy", "--no-backup"]) == 0
    r = nexo(*base, "plan", "--json")
    assert json.loads(r.stdout)["plan"] == []  # connected: up to date
    r = nexo(*base, "plan", "--dialect", dialect, "--json")
    assert [p["id"] for p in json.loads(r.stdout)["plan"]] == sorted(p.stem for p in m.iterdir())


def test_plan_dialect_names_a_bad_dialect_and_validates_for_it(tmp_path):
    m = tmp_path / "m"
    m.mkdir()
    (m / "2025.01.01.000000_only_pg.sql").write_text("-- +up postgresql\nSELECT 1;\n")
    r = nexo("--migrations", str(m), "plan", "--dialect", "oracle", cwd=tmp_path)
    assert r.returncode == 2 and "oracle" in r.stderr
    r = nexo("--migrations", str(m), "plan", "--dialect", "mssql", "--json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert r.returncode == 2 and doc["ok"] is False and doc["error"]["type"] == "ValidationFailed"
    assert not (tmp_path / "nexo.db").exists()  # nothing connected, nothing created
