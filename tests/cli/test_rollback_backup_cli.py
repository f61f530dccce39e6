"""`nexo rollback --backup` takes a backup under the lock before the first down runs, records
it in the history like deploy's, and the backup holds the data the down then drops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql

ROOT = Path(__file__).resolve().parents[2]
A = "2025.01.01.000001_create_notes"
B = "2025.01.02.000001_fill_notes"


def nexo(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NEXO_DATA_DIR=str(tmp_path / "data"), NEXO_NO_KEYRING="1")
    env.pop("NEXO_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(tmp_path / "m"), "--db", db]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_rollback_backup_first(tmp_path, make_db, dialect):
    db = make_db(dialect)
    write_sql(tmp_path / "m", A, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(50));", "DROP TABLE notes;")
    write_sql(tmp_path / "m", B, "INSERT INTO notes (id, body) VALUES (1, 'kept in the backup');",
              "DELETE FROM notes WHERE id = 1;", depends=[A])
    assert nexo(tmp_path, db, "deploy", "--no-backup").returncode == 0
    proc = nexo(tmp_path, db, "rollback", "--to", "0", "--backup", "--yes")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    hist = json.loads(nexo(tmp_path, db, "history", "--json").stdout)
    rows = hist["events"]
    backups = [r for r in rows if r.get("action") == "backup" and r.get("status") != "failed"]
    assert backups, rows
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and "backup" in str(p).lower()]
    assert files, list((tmp_path / "data").rglob("*"))
    # the backup was taken before the first down: it still holds the row the down deleted
    backup_rows = [r for r in rows if r.get("action") == "backup"]
    downs = [r for r in rows if r.get("action") == "rollback"]
    assert downs and min(r["seq"] for r in backup_rows) < min(r["seq"] for r in downs)


def test_rollback_without_backup_takes_none(tmp_path, make_db):
    db = make_db("sqlite")
    write_sql(tmp_path / "m", A, "CREATE TABLE notes (id INTEGER PRIMARY KEY);", "DROP TABLE notes;")
    assert nexo(tmp_path, db, "deploy", "--no-backup").returncode == 0
    assert nexo(tmp_path, db, "rollback", "--to", "0", "--yes").returncode == 0
    rows = json.loads(nexo(tmp_path, db, "history", "--json").stdout)["events"]
    assert not [r for r in rows if r.get("action") == "backup"]
