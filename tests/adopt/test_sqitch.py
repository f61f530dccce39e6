"""Sqitch, the real tool (Debian `sqitch` with DBD::Pg, installed by packaging/setup-dev.sh): it
deploys a project to a fresh PostgreSQL database; nexo imports the plan and adopts the database,
Sqitch's registry (schema `sqitch`) left as it was."""

from __future__ import annotations

import json
import os

import pytest
import subprocess
from pathlib import Path

import sqlalchemy as sa

from tests.adopt.helpers import (need_tool, new_on_top_and_roll_back, nexo, rows_of, same_schema_as_fresh_nexo,
                                 take_over)

WHO = "Tester <tester@example.com>"


def write_project(root: Path, dialect: str = "postgresql") -> Path:
    src = root / "sq"
    for d in ("deploy", "revert", "verify"):
        (src / d).mkdir(parents=True)
    pg = dialect == "postgresql"
    (src / "sqitch.conf").write_text(f"[core]\n\tengine = {'pg' if pg else 'sqlite'}\n")
    plan = ["%syntax-version=1.0.0", "%project=adopt", ""]
    app = "app." if pg else ""
    changes = [("appschema", [], "CREATE SCHEMA app;", "DROP SCHEMA app;",
                "SELECT pg_catalog.has_schema_privilege('app', 'usage');") if pg else
               ("appschema", [], "CREATE TABLE meta (k TEXT);", "DROP TABLE meta;", "SELECT k FROM meta WHERE 0;")]
    for i in range(1, 9):
        req = ["appschema"] + ([f"t{i - 1}"] if i > 1 else [])
        changes.append((f"t{i}", req, f"CREATE TABLE {app}t{i} (id INTEGER PRIMARY KEY, v TEXT);",
                        f"DROP TABLE {app}t{i};", f"SELECT id, v FROM {app}t{i} WHERE 1 = 0;"))
    changes.append(("touch", ["t1"],
                    "CREATE FUNCTION app.touch() RETURNS integer LANGUAGE plpgsql AS $$\nBEGIN\n"
                    "  RETURN 1;\nEND;\n$$;", "DROP FUNCTION app.touch();", "SELECT app.touch();") if pg else
                   ("touch", ["t1"], "CREATE TRIGGER touch AFTER INSERT ON t1 BEGIN\n"
                    "  UPDATE t1 SET v = 'x' WHERE id = NEW.id;\nEND;", "DROP TRIGGER touch;",
                    "SELECT name FROM sqlite_master WHERE name = 'touch';"))
    for n, (name, req, deploy, revert, verify) in enumerate(changes):
        deps = f"[{' '.join(req)}] " if req else ""
        plan.append(f"{name} {deps}2024-01-01T00:00:{n // 2:02d}Z {WHO} # change {name}")
        if n == 5:
            plan.append(f"@v1.0 2024-01-01T00:00:03Z {WHO} # a tag")
        (src / "deploy" / f"{name}.sql").write_text(f"-- Deploy adopt:{name}\n\nBEGIN;\n\n{deploy}\n\nCOMMIT;\n")
        (src / "revert" / f"{name}.sql").write_text(f"-- Revert adopt:{name}\n\nBEGIN;\n\n{revert}\n\nCOMMIT;\n")
        (src / "verify" / f"{name}.sql").write_text(f"-- Verify adopt:{name}\n\nBEGIN;\n\n{verify}\n\nROLLBACK;\n")
    (src / "sqitch.plan").write_text("\n".join(plan) + "\n")
    return src


def sqitch(src: Path, *args: str) -> subprocess.CompletedProcess:
    exe = need_tool(None, "sqitch")
    env = {**os.environ, "SQITCH_FULLNAME": "Tester", "SQITCH_EMAIL": "tester@example.com"}
    return subprocess.run([exe, *args], cwd=src, env=env, capture_output=True, text=True, timeout=300)


def target_uri(url: str) -> str:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"db:sqlite:{u.database}"
    return f"db:pg://{u.username}@{u.host}:{u.port or 5432}/{u.database}"


def registry_rows(url: str, table: str) -> list[tuple]:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":  # Sqitch's SQLite registry: sqitch.db beside the database
        return rows_of(f"sqlite:///{Path(u.database).with_name('sqitch.db')}", table)
    return rows_of(url, table, "sqitch")


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_sqitch_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    src = write_project(tmp_path, dialect)
    r = sqitch(src, "deploy", "--verify", target_uri(url))
    assert r.returncode == 0, r.stdout + r.stderr
    events, changes = registry_rows(url, "events"), registry_rows(url, "changes")
    if dialect == "sqlite":
        got = take_over(tmp_path, url, "sqitch", src, "changes", read_foreign=lambda: registry_rows(url, "changes"))
    else:
        got = take_over(tmp_path, url, "sqitch", src, "changes", schema="sqitch")
    assert registry_rows(url, "events") == events and registry_rows(url, "changes") == changes
    mapping = got["import"]["mapping"]
    assert [m["foreign_id"] for m in mapping][:3] == ["appschema", "t1", "t2"] and all(m["verify"] for m in mapping)
    text = (got["mig"] / mapping[-1]["file"]).read_text()
    assert "COMMIT;" not in text.split("-- +down")[0] and "END;" in text  # sqitch's BEGIN/COMMIT stripped, body kept
    t3 = (got["mig"] / mapping[3]["file"]).read_text()
    assert f"-- depends: {mapping[0]['migration_id']}, {mapping[2]['migration_id']}" in t3  # requires kept
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("sqitch",))
    new_on_top_and_roll_back(got["base"], got["mig"], url, mapping[5]["migration_id"], "t8",
                             schema="app" if dialect == "postgresql" else None)


def test_sqitch_status_from_reads_only(tmp_path, make_db):
    url = make_db("postgresql")
    src = write_project(tmp_path)
    r = sqitch(src, "deploy", "--to", "t2", target_uri(url))
    assert r.returncode == 0, r.stdout + r.stderr
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "sqitch", str(src)).returncode == 0
    r = nexo(*base, "status", "--from", "sqitch", "--json")
    doc = json.loads(r.stdout)
    assert doc["counts"] == {"matched-applied": 3, "pending": 7}, doc
    assert not any(t.startswith("__") for t in sa.inspect(sa.create_engine(url)).get_table_names())
