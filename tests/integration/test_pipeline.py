"""The deployment pipeline on SQLite, PostgreSQL and MariaDB: rollback on failure, verify,
backup/restore, cancel, post-deploy checks."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from nexo_studio.cli.main import main
from nexo_studio.core.config import Check
from nexo_studio.core.events import CancelToken, MigrationFinished, run
from nexo_studio.core.operations import status
from nexo_studio.core.pipeline import DeployOptions, deploy
from nexo_studio.core.project import Project
from nexo_studio.core.target import Target
from nexo_studio.errors import Cancelled, VerifyFailed
from tests.helpers.projects import table_project, user_tables, write_sql


def schema_dump(url: str) -> dict:
    """Tables, columns, indexes and views of the user's schema (the tool's own tables excluded)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    insp = sa.inspect(engine)
    out = {}
    for t in sorted(insp.get_table_names()):
        if t.startswith("__"):
            continue
        out[t] = {
            "columns": [(c["name"], str(c["type"])) for c in insp.get_columns(t)],
            "indexes": sorted(i["name"] for i in insp.get_indexes(t)),
        }
    out["views"] = sorted(insp.get_view_names())
    engine.dispose()
    return out


def history_of(url: str, deployment_id: str | None = None) -> list:
    target = Target(url)
    with target.connect() as conn:
        rows = list(target.store.history(conn, deployment_id=deployment_id))
    target.dispose()
    return rows


def deploy_result(project: Project, url: str, cancel: CancelToken | None = None, on_event=None, **kw):
    target = Target(url)
    kw.setdefault("backup", False)
    try:
        return run(deploy(project, target, DeployOptions(**kw), cancel), on_event)
    finally:
        target.dispose()


def failing_third(tmp_path: Path, how: str) -> tuple[Project, list[str]]:
    base = table_project(tmp_path, 1, prefix="base")
    ids = table_project(tmp_path, 2, prefix="new", day=2)
    if how == "statement":
        write_sql(tmp_path, "2025.01.03.000001_third", "CREATE TABLE third_t (id INTEGER);\nCREATE INDEX ix_third ON third_t (nope);",
                  "DROP TABLE third_t;", depends=[ids[-1]])
    else:  # verify fails
        write_sql(tmp_path, "2025.01.03.000001_third", "CREATE TABLE third_t (id INTEGER);", "DROP TABLE third_t;",
                  depends=[ids[-1]], verify="SELECT missing_column FROM third_t;")
    return Project.load(tmp_path), base + ids + ["2025.01.03.000001_third"]


@pytest.mark.parametrize("how", ["statement", "verify"])
def test_failure_in_third_migration_leaves_schema_exactly_as_before(db_url, dialect, tmp_path, how):
    base_only = Project.load(tmp_path) if False else None  # noqa: F841 - documents intent below
    project, ids = failing_third(tmp_path, how)
    # first deploy just the base, then dump the schema
    assert deploy_result(project, db_url, to=ids[0]).ok
    before = schema_dump(db_url)
    result = deploy_result(project, db_url)
    assert not result.ok
    if how == "statement" and dialect == "mysql":
        # MariaDB: the CREATE TABLE before the failing statement auto-committed -> dirty, no rollback
        assert result.status == "failed" and "DIRTY" in result.message
        assert "third_t" in user_tables(db_url)
        return
    assert result.status == "rolled_back", result.message
    assert schema_dump(db_url) == before
    rows = [(h.action, h.status, h.migration_id) for h in history_of(db_url, result.deployment_id)
            if h.action in ("apply", "rollback")]
    assert rows == [("apply", "ok", ids[1]), ("apply", "ok", ids[2]), ("apply", "ok" if how == "verify" else "failed", ids[3]),
                    *([("rollback", "ok", ids[3])] if how == "verify" else []),
                    ("rollback", "ok", ids[2]), ("rollback", "ok", ids[1])]
    if how == "verify":
        assert isinstance(result.error, VerifyFailed) and ids[3] in str(result.error)
    acts = [h.action for h in history_of(db_url, result.deployment_id)]
    assert acts[0] == "deploy_start" and acts[-1] == "deploy_end"


def test_no_auto_rollback_keeps_the_good_migrations(db_url, tmp_path):
    project, ids = failing_third(tmp_path, "verify")
    result = deploy_result(project, db_url, auto_rollback=False)
    assert not result.ok and result.rolled_back == []
    assert {"base1", "new1", "new2", "third_t"} <= user_tables(db_url)


def test_irreversible_failure_names_the_backup_to_restore(tmp_path, make_db):
    url = make_db("sqlite")
    write_sql(tmp_path, "2025.01.01.000001_no_down", "CREATE TABLE kept (id INTEGER);")
    write_sql(tmp_path, "2025.01.01.000002_broken", "INSERT INTO nope VALUES (1);", "SELECT 1;",
              depends=["2025.01.01.000001_no_down"])
    project = Project.load(tmp_path)
    result = deploy_result(project, url, backup=True, backup_dir=tmp_path / "backups")
    assert not result.ok and result.backup and result.backup.is_file()
    assert "no down section in 2025.01.01.000001_no_down" in result.message
    assert f"nexo restore {result.backup} --yes" in result.message


def test_post_deploy_checks_from_config(db_url, tmp_path):
    table_project(tmp_path, 1)
    project = Project.load(tmp_path)
    ok = deploy_result(project, db_url, checks=(Check("tables", "SELECT COUNT(*) FROM t1", "0"),))
    assert ok.ok and ok.step("verify").status == "ok"
    write_sql(tmp_path, "2025.01.05.000000_second", "CREATE TABLE second_t (id INTEGER);", "DROP TABLE second_t;")
    project = Project.load(tmp_path)
    bad = deploy_result(project, db_url, checks=(Check("rows", "SELECT COUNT(*) FROM t1", "42"),))
    assert not bad.ok and isinstance(bad.error, VerifyFailed)
    assert "expected '42', got 0" in str(bad.error) or "expected '42', got '0'" in str(bad.error) or "42" in str(bad.error)
    assert bad.rolled_back == ["2025.01.05.000000_second"]
    assert "second_t" not in user_tables(db_url)


def test_cancel_during_a_deploy_of_50_leaves_a_consistent_state(db_url, tmp_path):
    ids = table_project(tmp_path, 50, chain=False)
    project = Project.load(tmp_path)
    cancel = CancelToken()
    done = []

    def on_event(ev):
        if isinstance(ev, MigrationFinished) and ev.action == "apply":
            done.append(ev.migration_id)
            if len(done) == 17:
                cancel.cancel()

    result = deploy_result(project, db_url, cancel=cancel, on_event=on_event)
    assert result.status == "cancelled" and isinstance(result.error, Cancelled)
    tables = user_tables(db_url)
    target = Target(db_url)
    st = {s.id: s.status for s in status(project, target).states}
    target.dispose()
    for i, mid in enumerate(ids, 1):
        applied = st[mid] == "applied"
        assert applied == (f"t{i}" in tables), mid  # applied and recorded, or absent
        assert st[mid] in ("applied", "pending")
    assert sum(1 for s in st.values() if s == "applied") == 17
    end = [h for h in history_of(db_url, result.deployment_id) if h.action == "deploy_end"]
    assert end and end[0].status == "cancelled"
    # and the next deploy finishes the job
    assert deploy_result(project, db_url).ok
    assert len(user_tables(db_url)) == 50


SLOW_STATEMENT = {
    "postgresql": "SELECT pg_sleep(60);",
    "mysql": "SELECT SLEEP(60);",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;",
}


def test_cancel_interrupts_a_running_statement(db_url, dialect, tmp_path):
    url = db_url
    write_sql(tmp_path, "2025.01.01.000001_slow", f"CREATE TABLE slow_t (id INTEGER);\n{SLOW_STATEMENT[dialect]}",
              "DROP TABLE slow_t;")
    project = Project.load(tmp_path)
    cancel = CancelToken()
    threading.Timer(1.0, cancel.cancel).start()
    t0 = time.monotonic()
    result = deploy_result(project, url, cancel=cancel)
    assert time.monotonic() - t0 < 20
    assert result.status == "cancelled"
    if dialect != "mysql":  # MariaDB auto-committed the CREATE TABLE: the row is dirty instead
        assert "slow_t" not in user_tables(url)
    rows = history_of(url, result.deployment_id)
    assert ("apply", "cancelled") in [(h.action, h.status) for h in rows]


def test_backup_then_restore_through_the_cli(db_url, tmp_path, capsys):
    m = tmp_path / "m"
    table_project(m, 2)
    base = ["--db", db_url, "--migrations", str(m)]
    assert main([*base, "deploy", "--no-backup"]) == 0
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t1 (id, v) VALUES (1, 'kept')")
    before = schema_dump(db_url)
    out = tmp_path / "b" / "snap.bak"
    capsys.readouterr()
    assert main([*base, "backup", "--out", str(out)]) == 0
    assert out.is_file() and Path(str(out) + ".json").is_file()
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM t1")
        conn.exec_driver_sql("CREATE TABLE after_backup (id INTEGER)")
    assert main([*base, "restore", str(out), "--yes"]) == 0
    assert schema_dump(db_url) == before
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT v FROM t1").scalar() == "kept"
    engine.dispose()
    capsys.readouterr()
    assert main([*base, "history", "--json", "--limit", "0"]) == 0
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)["events"]]
    assert actions[-2:] == ["backup", "restore"]  # the backup row written after... kept across the restore
    assert main([*base, "audit", "verify"]) == 0
    capsys.readouterr()
    assert main([*base, "backup", "--list"]) == 0
    assert str(out.resolve()) in capsys.readouterr().out
    # a corrupted file is refused by its checksum, nothing changes
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    assert main([*base, "restore", str(out), "--yes"]) == 1
    assert "snap.bak" in capsys.readouterr().err


def test_missing_client_tool_fails_before_anything_changes(make_db, tmp_path, monkeypatch):
    url = make_db("postgresql")
    table_project(tmp_path, 1)
    project = Project.load(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("NEXO_PG_DUMP", raising=False)
    result = deploy_result(project, url, backup=True, backup_dir=tmp_path / "backups")
    assert not result.ok
    assert "pg_dump" in result.message and "postgresql-client" in result.message
    assert user_tables(url) == set()


def test_status_during_a_non_transactional_migration_says_in_progress_not_dirty(db_url, dialect, tmp_path):
    write_sql(tmp_path, "2025.01.01.000001_slow", f"CREATE TABLE slow_t (id INTEGER);\n{SLOW_STATEMENT[dialect]}",
              "DROP TABLE slow_t;", extra="-- transaction: none")
    project = Project.load(tmp_path)
    cancel = CancelToken()
    box = {}
    worker = threading.Thread(target=lambda: box.update(result=deploy_result(project, db_url, cancel=cancel)))
    worker.start()
    target = Target(db_url)
    try:
        deadline = time.monotonic() + 30
        snap = None
        while time.monotonic() < deadline:
            snap = status(project, target)
            row = snap.by_id["2025.01.01.000001_slow"].row
            if row is not None and row.status == "running":
                break
            time.sleep(0.1)
        state = snap.by_id["2025.01.01.000001_slow"]
        assert state.row is not None and state.row.status == "running"
        assert state.status == "pending"  # being applied right now, not dirty
        assert [f.code for f in snap.findings if f.ids == ("2025.01.01.000001_slow",)] == ["in_progress"]
    finally:
        cancel.cancel()
        worker.join(60)
        target.dispose()
    assert box["result"].status == "cancelled"
    # now nobody holds the lock: the interrupted migration is dirty
    target = Target(db_url)
    assert status(project, target).by_id["2025.01.01.000001_slow"].status == "dirty"
    target.dispose()
