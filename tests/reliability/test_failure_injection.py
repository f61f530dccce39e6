"""Faults injected into a deploy: a failing statement at every position of a migration, the
connection killed by the server in the middle of a migration, the backup tool failing, and the
backup folder full or unusable. Each ends with a clear error (exit 1, one JSON document) and a
state that ``nexo status`` tells truly, from which the DBA's next step works.
"""

from __future__ import annotations

import json
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import (
    ForkedCli,
    execute,
    q,
    run_cli,
    settle,
    slow_sql,
    statuses,
    user_tables,
)

FIRST = "2025.04.01.000001_first"
FOUR = "2025.04.01.000002_four"
LAST = "2025.04.01.000003_last"
STATEMENTS = [
    ("CREATE TABLE f1 (id INTEGER);", {"f1"}),
    ("CREATE TABLE f2 (id INTEGER);", {"f2"}),
    ("INSERT INTO f1 (id) VALUES (1);", set()),
    ("CREATE TABLE f3 (id INTEGER);", {"f3"}),
]


def four_statements(mdir: Path, fail_at: int | None) -> None:
    write_sql(mdir, FIRST, "CREATE TABLE f0 (id INTEGER);", "DROP TABLE f0;")
    ups = [f"INSERT INTO no_such_table_{i} (id) VALUES (1);" if i == fail_at else sql
           for i, (sql, _) in enumerate(STATEMENTS, 1)]
    write_sql(mdir, FOUR, "\n".join(ups), "DROP TABLE f3;\nDROP TABLE f2;\nDROP TABLE f1;", depends=[FIRST])
    write_sql(mdir, LAST, "CREATE TABLE f9 (id INTEGER);", "DROP TABLE f9;", depends=[FOUR])


def history(url: str) -> list[dict]:
    code, out, err = run_cli("--db", url, "history", "--json", "--limit", "0")
    assert code == 0, err
    return json.loads(out)["events"]


def audit_ok(url: str) -> None:
    code, out, err = run_cli("--db", url, "audit", "verify")
    assert code == 0, out + err


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_failing_statement_at_each_position(db_url, dialect, tmp_path, fail_at, figures):
    mdir = tmp_path / "m"
    four_statements(mdir, fail_at)
    base = ["--db", db_url, "--migrations", str(mdir)]
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    e = doc["error"]
    assert e["migration_id"] == FOUR and e["line"] == 3 + fail_at  # the failing statement's line
    assert e["file"].endswith(f"{FOUR}.sql") and f"no_such_table_{fail_at}" in e["statement"]
    before = set().union(*(objs for _, objs in STATEMENTS[: fail_at - 1]))
    st = statuses(db_url, mdir)
    dirty = dialect == "mysql" and fail_at > 1 and bool(before or fail_at > 1)
    if dirty:  # MariaDB: DDL auto-commits, the statements before the failing one stay
        assert e["dirty"] is True and "DIRTY" in doc["message"] and f"nexo repair {FOUR}" in doc["message"]
        assert st == {FIRST: "applied", FOUR: "dirty", LAST: "pending"}
        assert user_tables(db_url) == {"f0"} | before
        code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
        assert code == 3 and json.loads(out)["error"]["type"] == "DatabaseNeedsRepair"
        assert user_tables(db_url) == {"f0"} | before  # refused: nothing changed
        for t in sorted(before, reverse=True):  # the DBA undoes the partial changes ...
            execute(db_url, f"DROP TABLE {q(db_url, t)}")
        code, out, err = run_cli(*base, "repair", FOUR, "--mark", "rolled-back", "--yes")
        assert code == 0, out + err
    else:  # the migration rolled back whole; auto-rollback undid the first one of the deployment
        assert doc["status"] == "rolled_back" and doc["rolled_back"] == [FIRST]
        assert st == {FIRST: "pending", FOUR: "failed", LAST: "pending"}
        assert user_tables(db_url) == set()
        failed = [h for h in history(db_url) if h["migration_id"] == FOUR and h["status"] == "failed"]
        assert failed and failed[-1]["details"]["line"] == 3 + fail_at
    # the fixed file deploys
    four_statements(mdir, None)
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    assert code == 0, out + err
    assert set(statuses(db_url, mdir).values()) == {"applied"}
    assert user_tables(db_url) == {"f0", "f1", "f2", "f3", "f9"}
    audit_ok(db_url)
    figures("failure injection", f"{dialect} failing statement positions", 1)


# --- the connection dropped by the server ---------------------------------------------------


def kill_the_sleeper(url: str, dialect: str, timeout: float = 30) -> None:
    """From another connection: end the session that is running the slow statement."""
    if dialect == "postgresql":
        find = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()")
    else:
        find = ("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                "AND INFO LIKE '%SLEEP(5)%' AND ID <> CONNECTION_ID()")
    deadline = time.monotonic() + timeout
    while True:
        rows = execute(url, find)
        if rows:
            break
        assert time.monotonic() < deadline, "the slow statement never started"
        time.sleep(0.02)
    for (pid,) in rows:
        if dialect == "postgresql":
            execute(url, "SELECT pg_terminate_backend(:p)", params={"p": pid})
        else:
            execute(url, f"KILL {int(pid)}")


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_connection_killed_by_the_server_mid_migration(make_db, dialect, tmp_path, figures):
    url = make_db(dialect)
    mdir = tmp_path / "m"
    write_sql(mdir, FIRST, "CREATE TABLE d1 (id INTEGER);", "DROP TABLE d1;")
    up = f"CREATE TABLE d2 (id INTEGER);\n{slow_sql(dialect, 5)};\nCREATE TABLE d2b (id INTEGER);"
    write_sql(mdir, FOUR, up, "DROP TABLE d2b;\nDROP TABLE d2;", depends=[FIRST])
    write_sql(mdir, LAST, "CREATE TABLE d3 (id INTEGER);", "DROP TABLE d3;", depends=[FOUR])
    base = ["--db", url, "--migrations", str(mdir)]
    proc = ForkedCli([*base, "deploy", "--json", "--no-backup"])
    proc.go()
    kill_the_sleeper(url, dialect)
    code = proc.wait(60)
    out, err = proc.stdout, proc.stderr
    assert code == 1, out + err
    doc = json.loads(out)  # exactly one JSON document
    assert doc["ok"] is False and "Traceback" not in err
    assert doc["error"]["migration_id"] == FOUR, doc
    assert "connection" in doc["message"].lower() or "terminat" in doc["message"].lower(), doc["message"]
    settle(url)
    st = statuses(url, mdir)
    events = history(url)
    assert events[-1]["action"] == "deploy_end" and events[-1]["status"] in ("failed", "rolled_back")
    assert any(h["migration_id"] == FOUR and h["action"] == "apply" and h["status"] == "failed" for h in events)
    if dialect == "postgresql":  # the migration's transaction died with its session
        assert st[FOUR] == "failed" and st[LAST] == "pending"
        assert "d2" not in user_tables(url)
        assert st[FIRST] == "pending" and "d1" not in user_tables(url)  # auto-rollback on a new connection
    else:  # DDL auto-committed: dirty, with the instructions to resolve it
        assert st == {FIRST: "applied", FOUR: "dirty", LAST: "pending"}
        assert "d2" in user_tables(url) and "DIRTY" in doc["message"]
        execute(url, "DROP TABLE d2")
        assert run_cli(*base, "repair", FOUR, "--mark", "rolled-back", "--yes")[0] == 0
    write_sql(mdir, FOUR, "CREATE TABLE d2 (id INTEGER);\nCREATE TABLE d2b (id INTEGER);",
              "DROP TABLE d2b;\nDROP TABLE d2;", depends=[FIRST])
    code, out, err = run_cli(*base, "deploy", "--json", "--no-backup")
    assert code == 0, out + err
    assert user_tables(url) == {"d1", "d2", "d2b", "d3"}
    audit_ok(url)
    figures("failure injection", f"{dialect} connections killed mid-migration", 1)


# --- backups ---------------------------------------------------------------------------------

FAILING_TOOL = """#!/bin/sh
# writes half a file where the real tool would, then fails like it
for a in "$@"; do
  case "$a" in
    --file=*) printf 'half a dump' > "${a#--file=}" ;;
    --result-file=*) printf 'half a dump' > "${a#--result-file=}" ;;
  esac
done
echo "simulated failure: could not write the dump" >&2
exit 1
"""


def small_project(mdir: Path) -> None:
    write_sql(mdir, FIRST, "CREATE TABLE b1 (id INTEGER);", "DROP TABLE b1;")


def nothing_applied_and_backup_recorded_failed(url: str, mdir: Path, backup_dir: Path) -> None:
    assert set(statuses(url, mdir).values()) == {"pending"}
    assert user_tables(url) <= {"blobs"}, "a migration ran although the backup failed"
    leftovers = [p.name for p in backup_dir.rglob("*") if p.is_file()] if backup_dir.exists() else []
    assert leftovers == [], f"a failed backup left {leftovers}"
    events = history(url)
    assert [(e["action"], e["status"]) for e in events][-2:] == [("backup", "failed"), ("deploy_end", "failed")]
    audit_ok(url)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_backup_tool_failing_stops_the_deploy_before_anything_changes(make_db, dialect, tmp_path, monkeypatch,
                                                                     figures):
    url = make_db(dialect)
    mdir = tmp_path / "m"
    small_project(mdir)
    tool = tmp_path / "bin" / "failing-dump"
    tool.parent.mkdir()
    tool.write_text(FAILING_TOOL)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("NEXO_PG_DUMP" if dialect == "postgresql" else "NEXO_MYSQLDUMP", str(tool))
    backup_dir = tmp_path / "backups"
    config = tmp_path / "nexo.toml"
    config.write_text(f'[deploy]\nbackup_dir = "{backup_dir}"\n')
    base = ["--db", url, "--migrations", str(mdir), "--config", str(config)]
    code, out, err = run_cli(*base, "deploy", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["error"]["type"] == "BackupError", doc
    assert "failing-dump failed (exit 1)" in doc["message"] and "simulated failure" in doc["message"]
    nothing_applied_and_backup_recorded_failed(url, mdir, backup_dir)
    out_file = tmp_path / "manual" / "b.dump"
    code, out, err = run_cli(*base, "backup", "--out", str(out_file))
    assert code == 1 and "simulated failure" in err and not out_file.exists()
    assert not list(out_file.parent.glob("*"))
    figures("failure injection", f"{dialect} backup tool failures", 2)


@pytest.fixture
def tiny_fs(tmp_path):
    """``tiny_fs(bytes)`` -> a fresh tmpfs of that size, or None where mounting is not allowed."""
    mounted: list[Path] = []

    def make(size: int) -> Path | None:
        d = tmp_path / f"tmpfs{len(mounted)}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        mounted.append(d)
        return d

    yield make
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def fill_database(url: str, dialect: str, kib: int) -> int:
    """A table ``blobs`` of ``kib`` KiB of random bytes; returns the size nexo estimates."""
    if dialect == "sqlite":
        execute(url, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)",
                *[f"INSERT INTO blobs VALUES ({i}, randomblob(1024))" for i in range(kib)])
        return Path(url.removeprefix("sqlite:///")).stat().st_size
    if dialect == "mysql":
        execute(url, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b LONGBLOB)",
                *[f"INSERT INTO blobs VALUES ({i}, RANDOM_BYTES(1024))" for i in range(kib)])
        execute(url, "ANALYZE TABLE blobs")
        return int(execute(url, "SELECT SUM(data_length + index_length) FROM information_schema.tables "
                                "WHERE table_schema = DATABASE()")[0][0])
    execute(url, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BYTEA)",
            *[f"INSERT INTO blobs VALUES ({i}, decode(md5(random()::text), 'hex'))" for i in range(kib)])
    return int(execute(url, "SELECT pg_database_size(current_database())")[0][0])


def deploy_with_backup_dir(url: str, mdir: Path, backup_dir: Path, tmp_path: Path) -> dict:
    config = tmp_path / "nexo.toml"
    config.write_text(f'[deploy]\nbackup_dir = "{backup_dir}"\n')
    code, out, err = run_cli("--db", url, "--migrations", str(mdir), "--config", str(config), "deploy", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False and doc["error"]["type"] == "BackupError", doc
    return doc


def test_backup_folder_smaller_than_the_database_is_refused_up_front(db_url, dialect, tmp_path, tiny_fs, figures):
    folder = tiny_fs(64 * 1024)
    if folder is None:
        pytest.skip("cannot mount a tmpfs here (not root); test_backup_folder_unusable simulates instead")
    mdir = tmp_path / "m"
    small_project(mdir)
    fill_database(db_url, dialect, 200)
    doc = deploy_with_backup_dir(db_url, mdir, folder / "backups", tmp_path)
    assert "not enough free disk" in doc["message"], doc["message"]
    nothing_applied_and_backup_recorded_failed(db_url, mdir, folder / "backups")
    figures("failure injection", f"{dialect} backup folder too small (tmpfs)", 1)


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_disk_full_while_writing_the_backup(make_db, dialect, tmp_path, tiny_fs, figures):
    """The free space passes the up-front estimate but runs out while the backup is written
    (SQLite: the copy needs a journal page more than the file; MariaDB: a hex dump is larger
    than the table data)."""
    url = make_db(dialect)
    mdir = tmp_path / "m"
    small_project(mdir)
    # nexo's own tables first (a backup creates them), so the estimate below is the real one
    assert run_cli("--db", url, "backup", "--out", str(tmp_path / "first" / "b"))[0] == 0
    estimate = fill_database(url, dialect, 300)
    size = estimate if dialect == "sqlite" else estimate + 64 * 1024
    folder = tiny_fs(size)
    if folder is None:
        pytest.skip("cannot mount a tmpfs here (not root); test_backup_folder_unusable simulates instead")
    doc = deploy_with_backup_dir(url, mdir, folder, tmp_path)
    assert "disk is full" in doc["message"], doc["message"]
    nothing_applied_and_backup_recorded_failed(url, mdir, folder)
    figures("failure injection", f"{dialect} disk full while writing (tmpfs)", 1)


@pytest.mark.parametrize("how", ["parent is a file", "folder is a file"])
def test_backup_folder_unusable(db_url, dialect, tmp_path, how, figures):
    """Without root (no tmpfs), an unwritable backup folder: its parent, or itself, is a file."""
    mdir = tmp_path / "m"
    small_project(mdir)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    backup_dir = blocker / "backups" if how == "parent is a file" else blocker
    config = tmp_path / "nexo.toml"
    config.write_text(f'[deploy]\nbackup_dir = "{backup_dir}"\n')
    code, out, err = run_cli("--db", db_url, "--migrations", str(mdir), "--config", str(config), "deploy", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["error"]["type"] == "BackupError", doc
    assert str(blocker) in doc["message"]
    assert set(statuses(db_url, mdir).values()) == {"pending"} and user_tables(db_url) == set()
    events = history(db_url)
    assert [(e["action"], e["status"]) for e in events][-2:] == [("backup", "failed"), ("deploy_end", "failed")]
    audit_ok(db_url)
    figures("failure injection", f"{dialect} unusable backup folder", 1)
