"""dbmate, the real binary (npm `dbmate`, installed by packaging/setup-dev.sh): it migrates a fresh
database; nexo imports its folder and adopts the database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.adopt.helpers import (TOOLS_DIR, need_tool, new_on_top_and_roll_back, nexo, same_schema_as_fresh_nexo,
                                 take_over)

DBMATE = TOOLS_DIR / "node_modules" / "@dbmate" / "linux-x64" / "bin" / "dbmate"


def write_project(root: Path, dialect: str) -> Path:
    src = root / "db" / "migrations"
    src.mkdir(parents=True)
    for i in range(1, 11):
        (src / f"2024010112{i:02d}00_create_t{i}.sql").write_text(
            f"-- migrate:up\nCREATE TABLE dm_t{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));\n"
            f"INSERT INTO dm_t{i} (id, v) VALUES ({i}, 'a;b');\n\n-- migrate:down\nDROP TABLE dm_t{i};\n")
    index = ("CREATE INDEX CONCURRENTLY dm_t1_v ON dm_t1 (v);" if dialect == "postgresql"
             else "CREATE INDEX dm_t1_v ON dm_t1 (v);")
    drop = "DROP INDEX dm_t1_v ON dm_t1;" if dialect == "mysql" else "DROP INDEX dm_t1_v;"
    (src / "20240102000000_index_v.sql").write_text(
        f"-- migrate:up transaction:false\n{index}\n\n-- migrate:down transaction:false\n{drop}\n")
    return src


def dbmate_url(url: str) -> str:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"sqlite:{u.database}"
    if u.get_backend_name() in ("mysql", "mariadb"):
        return f"mysql://{u.username}@{u.host}:{u.port or 3306}/{u.database}"
    return f"postgres://{u.username}@{u.host}:{u.port or 5432}/{u.database}?sslmode=disable"


def dbmate_up(url: str, src: Path) -> None:
    exe = need_tool(str(DBMATE), "dbmate")
    r = subprocess.run([exe, "--url", dbmate_url(url), "--migrations-dir", str(src), "--no-dump-schema", "up"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_dbmate_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    src = write_project(tmp_path, dialect)
    dbmate_up(url, src)
    got = take_over(tmp_path, url, "dbmate", src, "schema_migrations")
    mapping = got["import"]["mapping"]
    assert [m["foreign_id"] for m in mapping] == sorted(p.name.split("_")[0] for p in src.iterdir())
    assert mapping[-1]["transaction"] == "none" and mapping[0]["migration_id"].startswith("2024.01.01.120100_")
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("schema_migrations",))
    new_on_top_and_roll_back(got["base"], got["mig"], url, mapping[4]["migration_id"], "dm_t6")


def test_dbmate_migration_not_applied_is_pending(tmp_path, make_db):
    url = make_db("sqlite")
    src = write_project(tmp_path, "sqlite")
    dbmate_up(url, src)
    (src / "20240103000000_later.sql").write_text("-- migrate:up\nCREATE TABLE dm_later (id INTEGER);\n"
                                                  "-- migrate:down\nDROP TABLE dm_later;\n")
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "dbmate", str(src)).returncode == 0
    r = nexo(*base, "adopt", "--from", "dbmate", "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "pending" in r.stdout
    r = nexo(*base, "deploy", "--no-backup", "--json")
    assert r.returncode == 0 and '"2024.01.03.000000_later"' in r.stdout, r.stdout + r.stderr
