"""Item 6: two projects deployed onto one database. Each sees the other's rows as `missing`;
`rollback --to 0` says the truth (no file in this project, maybe another project's) instead of
"irreversible", and `--only-this-project` rolls back this project's migrations only, leaving
the other's rows and objects alone. Real databases, the real `nexo` entry point."""

from __future__ import annotations

import json

from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project, user_tables


def test_two_projects_on_one_database(tmp_path, db_url):
    a_dir, b_dir = tmp_path / "alpha", tmp_path / "beta"
    a_ids = table_project(a_dir, 2, prefix="alpha", day=1)
    b_ids = table_project(b_dir, 3, prefix="beta", day=2)
    a = ["--db", db_url, "--migrations", str(a_dir)]
    b = ["--db", db_url, "--migrations", str(b_dir)]
    for base in (a, b):
        r = nexo(*base, "deploy", "--no-backup", "--json")
        assert r.returncode == 0, r.stdout + r.stderr
    r = nexo(*b, "status", "--json")
    statuses = {m["id"]: m["status"] for m in json.loads(r.stdout)["migrations"]}
    assert {statuses[i] for i in a_ids} == {"missing"} and {statuses[i] for i in b_ids} == {"applied"}

    r = nexo(*b, "rollback", "--to", "0", "--dry-run")
    assert r.returncode == 2
    assert "2 applied migrations have no file in this project" in r.stderr
    assert all(i in r.stderr for i in a_ids) and "another project" in r.stderr
    assert "--only-this-project" in r.stderr and "irreversible" not in r.stderr
    r = nexo(*b, "rollback", "--to", "0", "--dry-run", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 2 and doc["error"]["type"] == "NotInProject" and sorted(doc["error"]["ids"]) == a_ids

    r = nexo(*b, "rollback", "--to", "0", "--only-this-project", "--dry-run", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["plan"] == list(reversed(b_ids))
    r = nexo(*b, "rollback", "--to", "0", "--only-this-project", "--yes", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["rolled_back"] == list(reversed(b_ids))

    assert user_tables(db_url) == {"alpha1", "alpha2"}
    r = nexo(*a, "status", "--json")
    statuses = {m["id"]: m["status"] for m in json.loads(r.stdout)["migrations"]}
    assert {statuses[i] for i in a_ids} == {"applied"} and not set(b_ids) & set(statuses)
    r = nexo(*a, "rollback", "--to", "0", "--yes", "--json")  # alpha alone now: no option needed
    assert r.returncode == 0, r.stdout + r.stderr
    assert user_tables(db_url) == set()
    assert nexo(*a, "audit", "verify").returncode == 0
