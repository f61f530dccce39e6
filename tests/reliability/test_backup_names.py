"""An automatic backup never replaces another one (adversarial run, 2026-12-03).

Automatic backups are named ``<database>-<UTC second>Z-v<version>``, in a folder per database
name (``sqlite-local-app.db``) or the shared ``[deploy] backup_dir``. Two backups in one second
of one database (a ``rollback --backup`` and the next deploy's backup, in a script), or of two
databases with the same name (a fleet of SQLite tenants ``t1/app.db``, ``t2/app.db``; servers
with one database name and one ``backup_dir``) got the same file: the second replaced the first
-- recorded in the history with a SHA-256 the file no longer had -- or, side by side, the two
writers removed each other's ``.partial`` and every deploy failed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from tests.helpers.projects import write_sql
from tests.reliability.harness import run_cli, run_entry_point

MID = "2025.06.01.000001_first"


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_backups_in_one_second_are_two_files(tmp_path, monkeypatch):
    from nexo_studio.core.backup import operations

    monkeypatch.setattr(operations, "datetime", _FrozenClock)
    monkeypatch.setenv("NEXO_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "app.db"
    url = f"sqlite:///{db}"
    write_sql(tmp_path / "m", MID, "CREATE TABLE kept (v TEXT);", "DROP TABLE kept;")
    assert run_cli("--db", url, "--migrations", str(tmp_path / "m"), "deploy", "--no-backup")[0] == 0
    for value in ("before", "after"):
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO kept VALUES (?)", (value,))
        code, out, err = run_cli("--db", url, "--migrations", str(tmp_path / "m"), "backup")
        assert code == 0, err
    code, out, err = run_cli("--db", url, "--migrations", str(tmp_path / "m"), "backup", "--list", "--json")
    backups = json.loads(out)["backups"]
    paths = [Path(b["path"]) for b in backups]
    assert len(set(paths)) == 2, paths
    for b in backups:
        assert _sha(Path(b["path"])) == b["sha256"], f"{b['path']} is not the backup the history recorded"


def test_a_fleet_of_sqlite_databases_with_one_file_name_backs_each_up(tmp_path):
    mdir = tmp_path / "migrations"
    write_sql(mdir, MID, "CREATE TABLE kept (v TEXT);", "DROP TABLE kept;")
    lines = ['migrations_dir = "migrations"', "", "[fleet]", "parallel = 4", ""]
    for i in range(4):
        (tmp_path / f"t{i}").mkdir()
        with sqlite3.connect(tmp_path / f"t{i}" / "app.db") as conn:
            conn.execute("CREATE TABLE tenant (name TEXT)")
            conn.execute("INSERT INTO tenant VALUES (?)", (f"tenant {i}",))
        lines += ["[[targets]]", f'name = "t{i}"', f'url = "sqlite:///t{i}/app.db"', ""]
    (tmp_path / "nexo.toml").write_text("\n".join(lines), encoding="utf-8")
    proc = run_entry_point("--config", str(tmp_path / "nexo.toml"), "fleet", "deploy", "--json",
                           env={"NEXO_DATA_DIR": str(tmp_path / "data")})
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, [(t["name"], t["message"]) for t in doc["targets"]]
    for t in doc["targets"]:
        backup = Path(t["backup"])
        with sqlite3.connect(backup) as conn:
            assert conn.execute("SELECT name FROM tenant").fetchall() == [(f"tenant {t['name'][1:]}",)], t["name"]
