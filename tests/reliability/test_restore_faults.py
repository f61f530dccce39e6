"""Restore under faults: killed (SIGKILL) and failing at every step, on every dialect.

Every run ends -- after the failing command, or after the next command that takes the lock --
with the database either exactly as before the restore or as in the backup, plus every history
row that existed before (same seq, same hash), the chain intact (`nexo audit verify`), and
nothing of the restore's left over (journal, renamed schemas, safety dump, temp file).

Fault points are driven by ``NEXO_FAULT=restore:POINT`` (kill) / ``restore:POINT:fail`` (a
BackupError raised there); at ``mid_client`` the client tool is running: a kill leaves it to
finish on its own, a failure stops it half way.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import ForkedCli, execute, q, run_cli, user_tables

A = "2025.05.01.000001_a"
B = "2025.05.01.000002_b"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump", "mysql": ".sql"}
POINTS = ["before_drop", "after_drop", "mid_client", "before_reinsert", "after_reinsert"]
#: where a kill at each point ends up once the next command has finished or undone the restore
KILLED_ENDS = {"before_drop": "before", "after_drop": "before", "mid_client": "before",
               "before_reinsert": "backup", "after_reinsert": "backup"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """NEXO_DATA_DIR (where default backups and the restore journal live) for this test."""
    d = tmp_path / "data"
    monkeypatch.setenv("NEXO_DATA_DIR", str(d))
    return d


def rows_of_a(url: str) -> list:
    return sorted(r[0] for r in execute(url, f"SELECT v FROM {q(url, 'a')}"))


def snapshot(url: str) -> dict:
    return {"tables": user_tables(url), "a": rows_of_a(url)}


def history_pairs(url: str) -> list[tuple[int, str]]:
    return [tuple(r) for r in execute(url, f"SELECT seq, {q(url, 'hash')} FROM {q(url, '__MigrationHistory')} "
                                           "ORDER BY seq")]


def audit_ok(url: str) -> None:
    code, out, err = run_cli("--db", url, "audit", "verify")
    assert code == 0, out + err


def prepared(url: str, dialect: str, tmp_path: Path) -> dict:
    """A database with a backup behind it and history written after the backup."""
    mdir = tmp_path / "m"
    write_sql(mdir, A, "CREATE TABLE a (v VARCHAR(40));", "DROP TABLE a;")
    base = ["--db", url, "--migrations", str(mdir)]
    code, out, err = run_cli(*base, "deploy", "--to", A, "--no-backup")
    assert code == 0, out + err
    execute(url, f"INSERT INTO {q(url, 'a')} (v) VALUES ('before the backup')")
    snap = tmp_path / "b" / f"snap{SUFFIX[dialect]}"
    code, out, err = run_cli(*base, "backup", "--out", str(snap))
    assert code == 0, out + err
    backup_state = snapshot(url)
    write_sql(mdir, B, "CREATE TABLE b (id INTEGER);", "DROP TABLE b;", depends=[A])
    code, out, err = run_cli(*base, "deploy", "--no-backup")
    assert code == 0, out + err
    execute(url, f"INSERT INTO {q(url, 'a')} (v) VALUES ('after the backup')")
    return {"base": base, "snap": snap, "backup": backup_state, "before": snapshot(url),
            "history": history_pairs(url)}


def assert_whole(url: str, dialect: str, setup: dict, data_dir: Path, expect: str) -> None:
    """The database is as ``expect`` says, every earlier history row is there, nothing left over."""
    assert snapshot(url) == setup[expect], f"expected the database as {expect}"
    now = dict(history_pairs(url))
    for seq, digest in setup["history"]:
        assert now.get(seq) == digest, f"history row seq {seq} lost or changed"
    audit_ok(url)
    leftovers = [p.name for p in data_dir.rglob("*") if p.name.startswith(("restore-", "backup-in-progress"))]
    assert leftovers == [], leftovers
    if dialect == "postgresql":
        left = execute(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE '\\_\\_nexo\\_restore%'")
        assert left == []
    if dialect == "sqlite":
        assert not Path(url.removeprefix("sqlite:///") + ".nexo-restore").exists()


def next_command(setup: dict, tmp_path: Path) -> str:
    """A command that takes the lock (so it finishes or undoes an interrupted restore)."""
    out = tmp_path / "later" / f"after{setup['snap'].suffix}"
    code, stdout, err = run_cli(*setup["base"], "backup", "--out", str(out))
    assert code == 0, stdout + err
    return err


@pytest.mark.parametrize("point", POINTS)
def test_restore_killed_at_each_step(make_db, dialect, tmp_path, data_dir, point, figures):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    proc = ForkedCli([*setup["base"], "restore", str(setup["snap"]), "--yes"],
                     env={"NEXO_FAULT": f"restore:{point}"})
    proc.go()
    assert proc.wait() == -9, proc.stderr
    said = next_command(setup, tmp_path)
    # SQLite changes the database only in the last step (one copy, one transaction)
    expect = KILLED_ENDS[point] if dialect != "sqlite" or point == "after_reinsert" else "before"
    assert_whole(url, dialect, setup, data_dir, expect)
    if expect == "before":
        assert "as it was" in said
    figures("restore faults", f"{dialect} kills", 1)


@pytest.mark.parametrize("point", POINTS)
def test_restore_failing_at_each_step(make_db, dialect, tmp_path, data_dir, point, monkeypatch, figures):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    monkeypatch.setenv("NEXO_FAULT", f"restore:{point}:fail")
    code, out, err = run_cli(*setup["base"], "restore", str(setup["snap"]), "--yes")
    monkeypatch.delenv("NEXO_FAULT")
    if point == "after_reinsert":  # restored and recorded; only the clean-up failed
        assert code == 0, out + err
        assert "left until the next command" in err
        next_command(setup, tmp_path)
        assert_whole(url, dialect, setup, data_dir, "backup")
    else:
        assert code == 1, out + err
        assert "put back as it was" in err or "is as it was" in err, err
        assert str(setup["snap"]) in err
        assert_whole(url, dialect, setup, data_dir, "before")
        code, out, err = run_cli("--db", url, "history", "--json", "--limit", "1")
        assert '"restore"' in out and '"failed"' in out
    figures("restore faults", f"{dialect} failures", 1)


def test_restore_succeeds_and_keeps_every_history_row(make_db, dialect, tmp_path, data_dir):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    code, out, err = run_cli(*setup["base"], "restore", str(setup["snap"]), "--yes")
    assert code == 0, out + err
    assert_whole(url, dialect, setup, data_dir, "backup")


def test_postgresql_restore_failing_on_a_grant_puts_everything_back(make_db, tmp_path, data_dir):
    """The issue's case: a GRANT to a role dropped since the backup makes pg_restore fail."""
    url = make_db("postgresql")
    role = "nexo_gone_" + url.rsplit("_", 1)[-1]
    execute(url, f"CREATE ROLE {role}")
    try:
        mdir = tmp_path / "m"
        write_sql(mdir, A, "CREATE TABLE a (v VARCHAR(40));", "DROP TABLE a;")
        base = ["--db", url, "--migrations", str(mdir)]
        assert run_cli(*base, "deploy", "--no-backup")[0] == 0
        execute(url, f"GRANT SELECT ON a TO {role}", "INSERT INTO a (v) VALUES ('kept')")
        snap = tmp_path / "b" / "snap.dump"
        assert run_cli(*base, "backup", "--out", str(snap))[0] == 0
        execute(url, "INSERT INTO a (v) VALUES ('after')", "CREATE SCHEMA extra", "CREATE TABLE extra.x (id int)")
    finally:
        execute(url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")
    before = history_pairs(url)
    code, out, err = run_cli(*base, "restore", str(snap), "--yes")
    assert code == 1 and "put back as it was" in err and role in err, err
    assert rows_of_a(url) == ["after", "kept"]
    assert execute(url, "SELECT count(*) FROM extra.x") == [(0,)]
    now = dict(history_pairs(url))
    assert all(now.get(s) == h for s, h in before) and len(now) == len(before) + 1
    audit_ok(url)
    assert list(data_dir.rglob("restore-*")) == []


def test_restoring_another_databases_backup_is_refused(make_db, dialect, tmp_path, data_dir):
    url = make_db(dialect)
    other = make_db(dialect) if dialect != "sqlite" else f"sqlite:///{tmp_path / 'other.db'}"
    setup = prepared(url, dialect, tmp_path)
    mdir = tmp_path / "m2"
    write_sql(mdir, "2025.06.01.000001_z", "CREATE TABLE z (id INTEGER);", "DROP TABLE z;")
    base2 = ["--db", other, "--migrations", str(mdir)]
    assert run_cli(*base2, "deploy", "--no-backup")[0] == 0
    theirs = history_pairs(other)
    code, out, err = run_cli(*base2, "restore", str(setup["snap"]), "--yes")
    assert code == 2, out + err
    assert "backup of" in err and "--from-other-database" in err and str(setup["snap"]) in err
    assert user_tables(other) == {"z"} and history_pairs(other) == theirs
    code, out, err = run_cli(*base2, "restore", str(setup["snap"]), "--yes", "--from-other-database")
    assert code == 0, out + err
    assert user_tables(other) == setup["backup"]["tables"]
    now = dict(history_pairs(other))
    assert all(now.get(s) == h for s, h in theirs), "the target's history was replaced"
    audit_ok(other)


def test_restore_of_a_missing_file_exits_2_naming_it(tmp_path, data_dir):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    missing = tmp_path / "nonexistent.dump"
    code, out, err = run_cli("--db", url, "restore", str(missing), "--yes")
    assert code == 2 and str(missing) in err and "not found" in err, (code, err)


SLOW_DUMP = """#!/bin/sh
for a in "$@"; do
  case "$a" in
    --file=*) printf 'half a dump' > "${a#--file=}" ;;
    --result-file=*) printf 'half a dump' > "${a#--result-file=}" ;;
  esac
done
sleep 2
exit 1
"""


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_partial_file_of_a_killed_backup_is_removed_when_the_lock_is_next_taken(make_db, dialect, tmp_path,
                                                                                data_dir):
    url = make_db(dialect)
    tool = tmp_path / "bin" / "slow-dump"
    tool.parent.mkdir()
    tool.write_text(SLOW_DUMP)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    var = "NEXO_PG_DUMP" if dialect == "postgresql" else "NEXO_MYSQLDUMP"
    out = tmp_path / "manual" / f"b{SUFFIX[dialect]}"
    partial = out.with_name(out.name + ".partial")
    proc = ForkedCli(["--db", url, "backup", "--out", str(out)], env={var: str(tool)})
    proc.go()
    deadline = time.monotonic() + 30
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert partial.exists()
    proc.kill()
    proc.wait()
    time.sleep(2.5)  # the tool finishes on its own and leaves the partial file
    assert partial.exists()
    code, stdout, err = run_cli("--db", url, "backup", "--out", str(tmp_path / "again" / out.name))
    assert code == 0, stdout + err
    assert not partial.exists()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_killed_restore_waits_for_the_client_that_outlived_it(make_db, dialect, tmp_path, data_dir, monkeypatch):
    """The client tool (slowed down by a wrapper) still runs when the next command takes the
    lock: that command waits for it to finish before putting the database back."""
    import shutil

    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    real = shutil.which("pg_restore" if dialect == "postgresql" else "mariadb") or shutil.which("mysql")
    wrapper = tmp_path / "bin" / "slow-client"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nsleep 2\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    var = "NEXO_PG_RESTORE" if dialect == "postgresql" else "NEXO_MYSQL"
    monkeypatch.setenv(var, str(wrapper))
    proc = ForkedCli([*setup["base"], "restore", str(setup["snap"]), "--yes"],
                     env={"NEXO_FAULT": "restore:mid_client"})
    proc.go()
    assert proc.wait() == -9, proc.stderr
    said = next_command(setup, tmp_path)
    assert "waiting for the client tool" in said and "as it was" in said, said
    assert_whole(url, dialect, setup, data_dir, "before")
