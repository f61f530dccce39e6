"""Live schema drift (SPEC §10): snapshots after every changing operation, `nexo drift`,
`nexo snapshot`, deploy refusing drift -- on real SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DIALECTS
from tests.helpers.projects import write_sql
from tests.reliability.harness import execute, run_cli

M1 = "2025.01.01.000001_create_a"
M2 = "2025.01.01.000002_create_view"
M3 = "2025.01.01.000003_create_b"


def project(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    write_sql(d, M1, "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));\nCREATE INDEX a_v ON a (v);",
              "DROP TABLE a;")
    write_sql(d, M2, "CREATE VIEW av AS SELECT id, v FROM a;", "DROP VIEW av;", depends=[M1])
    write_sql(d, M3, "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER,\n"
                     "  CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id));", "DROP TABLE b;", depends=[M2])
    return d


def nexo(url: str, mdir: Path, *args: str) -> tuple[int, str, str]:
    return run_cli("--db", url, "--migrations", str(mdir), *args)


def drift(url: str, mdir: Path) -> tuple[int, dict]:
    code, out, err = nexo(url, mdir, "drift", "--json")
    return code, json.loads(out)


def history(url: str, mdir: Path) -> list[dict]:
    code, out, _ = nexo(url, mdir, "history", "--limit", "0", "--json")
    assert code == 0
    doc = json.loads(out)
    return doc["events"] if "events" in doc else doc["rows"]


def snapshots(url: str) -> list[tuple]:
    return execute(url, 'SELECT id, history_seq, sha256 FROM "__SchemaSnapshots" ORDER BY id'
                   .replace('"', "`" if url.startswith("mysql") else '"'))


def assert_clean(url: str, mdir: Path) -> dict:
    code, doc = drift(url, mdir)
    assert code == 0, doc
    assert doc["ok"] and doc["changes"] == [] and doc["live_sha256"] == doc["snapshot"]["sha256"]
    return doc


def assert_recorded(url: str, mdir: Path, since: int = 0) -> None:
    """Every history row (from seq ``since``) with schema_sha256 names a stored snapshot of its
    own seq; the chain verifies."""
    stored = {seq: sha for _, seq, sha in snapshots(url)}
    rows = [r for r in history(url, mdir) if "schema_sha256" in (r.get("details") or {}) and r["seq"] >= since]
    assert rows
    for r in rows:
        assert stored[r["seq"]] == r["details"]["schema_sha256"]
    code, out, err = nexo(url, mdir, "audit", "verify")
    assert code == 0, out + err


@pytest.mark.parametrize("dialect", DIALECTS)
def test_deploy_rollback_redeploy_leave_no_drift(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    code, doc = drift(url, mdir)
    assert code == 2 and doc["status"] == "no_snapshot" and "nexo snapshot" in doc["hint"]
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert_clean(url, mdir)
    assert nexo(url, mdir, "rollback", "--to", M1, "--yes")[0] == 0
    assert_clean(url, mdir)
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    doc = assert_clean(url, mdir)
    assert len(snapshots(url)) == 3 and doc["snapshot"]["id"] == 3
    assert_recorded(url, mdir)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_backup_restore_leaves_no_drift(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M2, "--no-backup")[0] == 0
    backup = tmp_path / "b.bak"
    code, out, err = nexo(url, mdir, "backup", "--out", str(backup))
    assert code == 0, err
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    code, out, err = nexo(url, mdir, "restore", str(backup), "--yes")
    assert code == 0, err
    assert_clean(url, mdir)
    restore = [r for r in history(url, mdir) if r["action"] == "restore"][-1]
    assert restore["details"]["schema_sha256"] == drift(url, mdir)[1]["live_sha256"]
    # the snapshots taken between backup and restore went with the rest of that database
    assert_recorded(url, mdir, since=restore["seq"])


def _hand_changes(url: str, dialect: str) -> None:
    drop_index = "DROP INDEX a_v ON a" if dialect == "mysql" else "DROP INDEX a_v"
    execute(url, "ALTER TABLE a ADD COLUMN extra INTEGER")
    execute(url, drop_index)
    execute(url, "DROP VIEW av")
    execute(url, "CREATE VIEW av AS SELECT id FROM a")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hand_change_is_drift_deploy_refuses_allow_drift_proceeds(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M2, "--no-backup")[0] == 0
    _hand_changes(url, dialect)
    code, doc = drift(url, mdir)
    assert code == 1 and not doc["ok"]
    found = {(c["kind"], c["object_type"], c["name"]) for c in doc["changes"]}
    assert ("added", "column", "a.extra") in found
    assert any(k == "removed" and t == "index" and "a_v" in n for k, t, n in found)
    assert any(k == "changed" and t == "view" and "av" in n for k, t, n in found)
    code, out, err = nexo(url, mdir, "drift")
    assert code == 1 and "a.extra" in out and "a_v" in out
    # deploy refuses, naming the changes, and changes nothing
    before = len(history(url, mdir))
    code, out, err = nexo(url, mdir, "deploy", "--no-backup")
    assert code == 3 and "a.extra" in err and "a_v" in err and "--allow-drift" in err
    assert len(history(url, mdir)) == before
    code, out, err = nexo(url, mdir, "deploy", "--no-backup", "--json")
    assert code == 3
    error = json.loads(out)["error"]
    assert error["type"] == "SchemaDrift" and ("added", "a.extra") in {(c["kind"], c["name"]) for c in error["changes"]}
    # --allow-drift proceeds and takes a new snapshot
    code, out, err = nexo(url, mdir, "deploy", "--no-backup", "--allow-drift")
    assert code == 0, err
    start = [r for r in history(url, mdir) if r["action"] == "deploy_start"][-1]
    assert any("a.extra" in c for c in start["details"]["drift_accepted"])
    assert_clean(url, mdir)
    assert_recorded(url, mdir)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_snapshot_accepts_a_hand_change(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M2, "--no-backup")[0] == 0
    _hand_changes(url, dialect)
    assert drift(url, mdir)[0] == 1
    code, out, err = nexo(url, mdir, "snapshot")  # no tty, no --yes: refused, nothing recorded
    assert code == 2 and len(snapshots(url)) == 1
    code, out, err = nexo(url, mdir, "snapshot", "--yes", "--json")
    assert code == 0, err
    done = json.loads(out)
    assert_clean(url, mdir)
    row = history(url, mdir)[-1]
    assert row["action"] == "snapshot" and row["details"]["schema_sha256"] == done["sha256"]
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert_recorded(url, mdir)


def test_database_from_before_snapshots_gets_the_table(make_db, tmp_path):
    """An existing database without __SchemaSnapshots: drift says "no snapshot" (exit 2, read-only),
    deploy is not refused (nothing to compare) and creates the table."""
    url, mdir = make_db("sqlite"), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M1, "--no-backup")[0] == 0
    execute(url, 'DROP TABLE "__SchemaSnapshots"')
    assert drift(url, mdir)[0] == 2
    assert "__SchemaSnapshots" not in {r[0] for r in execute(url, "SELECT name FROM sqlite_master")}
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert_clean(url, mdir)


def test_reflection_failure_never_fails_the_deploy(make_db, tmp_path, monkeypatch):
    url, mdir = make_db("sqlite"), project(tmp_path)
    monkeypatch.setenv("NEXO_FAULT", "snapshot:reflect:fail")
    code, out, err = nexo(url, mdir, "deploy", "--no-backup")
    assert code == 0, err
    end = [r for r in history(url, mdir) if r["action"] == "deploy_end"][-1]
    assert end["details"]["schema_sha256"] is None and "injected" in end["details"]["schema_snapshot_error"]
    assert snapshots(url) == []
    monkeypatch.delenv("NEXO_FAULT")
    assert nexo(url, mdir, "audit", "verify")[0] == 0


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("point", ["before_insert", "after_insert"])
def test_sigkill_during_the_snapshot_write_leaves_the_chain_intact(make_db, tmp_path, dialect, point):
    """The snapshot row commits with its history row or not at all: a deploy killed while writing
    it leaves a verifying chain, no orphan snapshot, and the next deploy recovers to no drift."""
    from tests.reliability.harness import ForkedCli

    url, mdir = make_db(dialect), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M1, "--no-backup")[0] == 0
    proc = ForkedCli(["--db", url, "--migrations", str(mdir), "deploy", "--no-backup"],
                     env={"NEXO_FAULT": f"snapshot:{point}"})
    proc.go()
    assert proc.wait() == -9
    code, out, err = nexo(url, mdir, "audit", "verify")
    assert code == 0, out + err
    rows = history(url, mdir)
    assert rows[-1]["action"] == "apply"  # the deploy_end row went with its snapshot
    assert [s[1] for s in snapshots(url)] == [r["seq"] for r in rows if r["action"] == "deploy_end"]
    # M2, M3 ran after the last snapshot: not called drift, listed, and deploy is not refused
    code, doc = drift(url, mdir)
    assert code == 2 and doc["status"] == "stale" and doc["changes"] and "nexo snapshot" in doc["hint"]
    assert doc["stale_since"] == [r["seq"] for r in rows if r["action"] == "apply" and r["seq"] > rows[0]["seq"]][-2:]
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert_clean(url, mdir)
    assert_recorded(url, mdir)


def test_a_hand_change_after_the_last_snapshot_of_a_killed_deploy_is_not_hidden_for_long(make_db, tmp_path):
    """After a killed deploy the next deploy is not refused (the kill guarantee: it resumes), and
    records a snapshot; a hand change after that is drift again."""
    from tests.reliability.harness import ForkedCli

    url, mdir = make_db("sqlite"), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M1, "--no-backup")[0] == 0
    proc = ForkedCli(["--db", url, "--migrations", str(mdir), "deploy", "--no-backup"],
                     env={"NEXO_FAULT": "snapshot:before_insert"})
    proc.go()
    assert proc.wait() == -9
    code, out, err = nexo(url, mdir, "deploy", "--no-backup")  # up to date, not refused
    assert code == 0, err
    row = history(url, mdir)[-1]  # it closes the killed deployment with a snapshot
    assert row["action"] == "snapshot" and row["details"]["operation"] == "deploy"
    assert_clean(url, mdir)
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert history(url, mdir)[-1]["seq"] == row["seq"]  # up to date, not stale: records nothing
    execute(url, "ALTER TABLE a ADD COLUMN extra INTEGER")
    assert drift(url, mdir)[0] == 1
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 3


@pytest.mark.parametrize("dialect", DIALECTS)
def test_json_report_carries_the_drift_verdict(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M2, "--no-backup")[0] == 0
    out = tmp_path / "clean.json"
    assert nexo(url, mdir, "export", "--format", "json", "--out", str(out))[0] == 0
    assert json.loads(out.read_text())["drift"]["status"] == "none"
    execute(url, "ALTER TABLE a ADD COLUMN extra INTEGER")
    out = tmp_path / "drift.json"
    assert nexo(url, mdir, "export", "--format", "json", "--out", str(out))[0] == 0
    drift_doc = json.loads(out.read_text())["drift"]
    assert drift_doc["status"] == "drift"
    assert [(c["kind"], c["name"]) for c in drift_doc["changes"]] == [("added", "a.extra")]
    code, text, err = nexo(url, mdir, "audit", "verify", str(out))
    assert code == 0, text + err


def test_allow_drift_in_nexo_toml(make_db, tmp_path):
    url, mdir = make_db("sqlite"), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M1, "--no-backup")[0] == 0
    execute(url, "ALTER TABLE a ADD COLUMN extra INTEGER")
    cfg = tmp_path / "nexo.toml"
    cfg.write_text('[deploy]\nallow_drift = "yes"\n')
    code, out, err = nexo(url, mdir, "--config", str(cfg), "deploy", "--no-backup")
    assert code == 2 and "allow_drift" in err
    cfg.write_text("[deploy]\nallow_drift = true\nbackup = false\n")
    code, out, err = nexo(url, mdir, "--config", str(cfg), "deploy")
    assert code == 0, err
    assert_clean(url, mdir)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_baseline_records_the_schema_it_accepts(make_db, tmp_path, dialect):
    url, mdir = make_db(dialect), project(tmp_path)
    execute(url, "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20))", "CREATE INDEX a_v ON a (v)")
    code, out, err = nexo(url, mdir, "baseline", "--to", M1, "--yes")
    assert code == 0, err
    row = history(url, mdir)[-1]
    assert row["action"] == "baseline" and row["details"]["schema_sha256"]
    assert_clean(url, mdir)
    assert_recorded(url, mdir)
    assert nexo(url, mdir, "deploy", "--no-backup")[0] == 0
    assert_clean(url, mdir)


def test_adopt_records_the_schema_it_takes_over(make_db, tmp_path):
    from tests.adopt.test_alembic import alembic, write_project

    url = make_db("sqlite")
    src = write_project(tmp_path, url)
    alembic(src, "upgrade", "d5")
    mdir = tmp_path / "m"
    assert nexo(url, mdir, "import", "--from", "alembic", str(src))[0] == 0
    assert drift(url, mdir)[0] == 2
    code, out, err = nexo(url, mdir, "adopt", "--from", "alembic", "--yes")
    assert code == 0, err
    row = history(url, mdir)[-1]
    assert row["action"] == "adopt" and row["details"]["schema_sha256"]
    assert_clean(url, mdir)
    assert_recorded(url, mdir)


def test_a_repair_that_fixes_only_records_does_not_hide_a_later_hand_change(make_db, tmp_path):
    """`repair --accept-checksum` takes no snapshot and changes no schema: a hand change after it is
    drift (deploy refuses it), not "stale" (which deploy would record over, hiding it)."""
    url, mdir = make_db("sqlite"), project(tmp_path)
    assert nexo(url, mdir, "deploy", "--to", M2, "--no-backup")[0] == 0
    f = mdir / f"{M1}.sql"
    f.write_text(f.read_text(encoding="utf-8").replace("CREATE INDEX a_v", "CREATE  INDEX a_v"), encoding="utf-8")
    assert nexo(url, mdir, "repair", M1, "--accept-checksum", "--yes")[0] == 0
    execute(url, "CREATE INDEX a_hand ON a (id, v)")
    code, doc = drift(url, mdir)
    assert code == 1 and doc["status"] == "drift", doc
    assert [(c["kind"], c["name"]) for c in doc["changes"]] == [("added", "a.a_hand")]
    code, out, err = nexo(url, mdir, "deploy", "--no-backup")
    assert code == 3 and "a_hand" in err
