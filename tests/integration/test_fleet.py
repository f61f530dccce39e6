"""Fleets (SPEC §9): one project, many databases, on real SQLite files, PostgreSQL and MariaDB.

Every fleet command runs the real `nexo` (``main()`` in this process, a forked child for the
kills, the entry point once) and is checked target by target against what the
single-database commands say about the same database.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import DIALECTS
from tests.helpers.projects import table_project
from tests.reliability.harness import ForkedCli, execute, run_cli, run_entry_point, status_json

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def write_fleet(path: Path, targets: dict[str, str], tags: dict[str, list[str]] | None = None,
                migrations: Path | None = None, parallel: int = 4) -> Path:
    lines = []
    if migrations is not None:
        lines.append(f'migrations_dir = "{migrations}"')
    lines.append(f"[fleet]\nparallel = {parallel}")
    for name, url in targets.items():
        lines.append(f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = {json.dumps((tags or {}).get(name, []))}')
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def fleet(cfg: Path, *args: str) -> tuple[int, dict]:
    code, out, err = run_cli("--config", str(cfg), "fleet", *args, "--json")
    return code, json.loads(out)


def history(url: str, migrations: Path) -> list[dict]:
    code, out, err = run_cli("--db", url, "--migrations", str(migrations), "history", "--limit", "0", "--json")
    assert code == 0, out + err
    doc = json.loads(out)
    return doc["events"] if isinstance(doc, dict) else doc


def audit_ok(url: str, migrations: Path) -> bool:
    code, out, err = run_cli("--db", url, "--migrations", str(migrations), "audit", "verify", "--json")
    return code == 0


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list[str]]:
    mdir = tmp_path / "migrations"
    return mdir, table_project(mdir, 6)


# -- targets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ('[[targets]]\nname = "Bad Name"\nurl = "sqlite:///a.db"\n', "[a-z0-9_.-]+"),
    ('[[targets]]\nname = "a"\nurl = "sqlite:///a.db"\n[[targets]]\nname = "a"\nurl = "sqlite:///b.db"\n',
     "used twice"),
    ('[[targets]]\nname = "eu-1"\nurl = "postgresql+psycopg://app:s3cret@db/x"\n', "must not contain a password"),
    ('[fleet]\nparallel = 0\n[[targets]]\nname = "a"\nurl = "sqlite:///a.db"\n', "parallel"),
    ('[[targets]]\nname = "a"\nurl = "sqlite:///a.db"\ncolour = "red"\n', "unknown key"),
])
def test_bad_targets_file_is_refused_naming_the_file(tmp_path, project, body, expected):
    mdir, _ = project
    targets = tmp_path / "fleet.toml"
    targets.write_text(body, encoding="utf-8")
    code, out, err = run_cli("--migrations", str(mdir), "fleet", "status", "--targets", str(targets))
    assert code == 2
    assert str(targets) in err and expected in err
    assert "s3cret" not in out + err
    assert not list(tmp_path.glob("*.db"))  # nothing opened or created


def test_unknown_target_name_is_an_error(tmp_path, project):
    mdir, _ = project
    cfg = write_fleet(tmp_path / "nexo.toml", {"a": "sqlite:///a.db"}, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--target", "typo")
    assert code == 2 and "typo" in doc["error"]["message"]
    assert not (tmp_path / "a.db").exists()


def test_tags_and_names_select_the_union_and_sqlite_paths_are_beside_the_file(tmp_path, project):
    mdir, ids = project
    cfg = write_fleet(tmp_path / "nexo.toml", {"a": "sqlite:///a.db", "b": "sqlite:///b.db", "c": "sqlite:///c.db"},
                      tags={"a": ["eu"], "b": ["us"]}, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--no-backup", "--tag", "eu", "--target", "c")
    assert code == 0, doc
    assert [t["name"] for t in doc["targets"]] == ["a", "c"]
    assert (tmp_path / "a.db").exists() and (tmp_path / "c.db").exists() and not (tmp_path / "b.db").exists()


# -- status ----------------------------------------------------------------------------------


def test_status_agrees_with_single_status_and_reports_unreachable_and_locked(tmp_path, project, make_db):
    from nexo_studio.core.state.locks import lock_for
    from nexo_studio.core.target import Target

    mdir, ids = project
    urls = {f"{d}-{i}": make_db(d) for d in DIALECTS for i in range(2)}
    cfg = write_fleet(tmp_path / "nexo.toml", {**urls, "down": UNREACHABLE}, migrations=mdir)
    for i, (name, url) in enumerate(urls.items()):  # each at another version
        assert run_cli("--db", url, "--migrations", str(mdir), "deploy", "--no-backup", "--to", ids[i % 6])[0] == 0
    busy = ("sqlite-1", "postgresql-1", "mysql-1")
    held = [Target(urls[name]) for name in busy]
    locks = [lock_for(t.engine) for t in held]
    for lock in locks:
        lock.acquire(5)
    try:
        code, doc = fleet(cfg, "status")
    finally:
        for lock, t in zip(locks, held):
            lock.release()
            t.dispose()
    assert code == 1 and doc["ok"] is False  # one target did not answer
    rows = {t["name"]: t for t in doc["targets"]}
    assert rows["down"]["state"] == "unreachable" and "127.0.0.1:1" in rows["down"]["error"]
    for name in busy:  # answered, and said who holds the lock
        assert rows[name]["state"] == "locked" and rows[name]["error"].startswith("locked by"), rows[name]
    assert {r["state"] for n, r in rows.items() if n not in busy and n != "down"} <= {"pending", "up_to_date"}
    for i, (name, url) in enumerate(urls.items()):
        single = status_json(url, mdir)
        assert rows[name]["migrations"] == {m["id"]: m["status"] for m in single["migrations"]}
        assert rows[name]["applied"] == i % 6 + 1 and rows[name]["pending"] == 6 - (i % 6 + 1)
        assert rows[name]["head"] == ids[i % 6]
        assert rows[name]["dialect"] == single["dialect"]
        if name not in busy:
            assert rows[name]["state"] == ("up_to_date" if i % 6 == 5 else "pending")
    code, doc = fleet(cfg, "status", "--target", "sqlite-0")
    assert code == 0 and doc["ok"] is True
    code, out, err = run_cli("--config", str(cfg), "fleet", "status", "--matrix")
    assert code == 1
    assert re.search(r"sqlite-0 +A\.{5}  pending", out) and "down" in out and "??????" in out


# -- deploy ----------------------------------------------------------------------------------


def _fail_on(url: str) -> None:
    """t3 exists already: the third migration fails there (and is rolled back automatically)."""
    execute(url, "CREATE TABLE t3 (x INTEGER)")


@pytest.mark.parametrize("failing", DIALECTS)
def test_failure_stops_new_targets_unless_continue_on_error(tmp_path, project, make_db, failing):
    mdir, ids = project
    urls = {"first": make_db("sqlite"), "bad": make_db(failing), "down": UNREACHABLE,
            **{f"{d}-ok": make_db(d) for d in DIALECTS}}
    _fail_on(urls["bad"])
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "1")
    assert code == 1 and doc["ok"] is False
    got = {t["name"]: t["status"] for t in doc["targets"]}
    assert got == {"first": "deployed", "bad": "failed", "down": "not_started",
                   **{f"{d}-ok": "not_started" for d in DIALECTS}}
    assert status_json(urls["sqlite-ok"], mdir)["counts"] == {"pending": 6}
    bad = next(t for t in doc["targets"] if t["name"] == "bad")
    assert bad["failed"] == ids[2] and "t3" in bad["message"]
    # a re-run with --continue-on-error finishes the others and reports both problems
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "3", "--continue-on-error")
    assert code == 1
    got = {t["name"]: t["status"] for t in doc["targets"]}
    assert got == {"first": "up_to_date", "bad": "failed", "down": "unreachable",
                   **{f"{d}-ok": "deployed" for d in DIALECTS}}
    for d in DIALECTS:
        assert status_json(urls[f"{d}-ok"], mdir)["counts"] == {"applied": 6}
    assert status_json(urls["bad"], mdir)["counts"].get("applied", 0) == 0  # rolled back whole


def test_canary_runs_first_and_its_failure_stops_the_rest(tmp_path, project, make_db):
    mdir, ids = project
    urls = {"a": make_db("postgresql"), "b": make_db("sqlite"), "c": make_db("mysql"), "canary": make_db("sqlite")}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, tags={"canary": ["canary"]}, migrations=mdir)
    _fail_on(urls["canary"])
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "8")
    assert code == 1
    got = {t["name"]: (t["status"], t["canary"]) for t in doc["targets"]}
    assert got == {"a": ("not_started", False), "b": ("not_started", False), "c": ("not_started", False),
                   "canary": ("failed", True)}
    execute(urls["canary"], "DROP TABLE t3")
    # the failed deploy recorded the schema with the hand-made t3; dropping it is drift (SPEC §10)
    assert run_cli("--db", urls["canary"], "--migrations", str(mdir), "snapshot", "--yes")[0] == 0
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "8", "--to", ids[1])
    assert code == 0, doc
    # the canary finished before any other target started
    canary_end = [e for e in history(urls["canary"], mdir) if e["action"] == "deploy_end"][-1]["finished_at"]
    for name in "abc":
        start = [e for e in history(urls[name], mdir) if e["action"] == "deploy_start"][0]["started_at"]
        assert start >= canary_end


def test_refused_target_exits_3(tmp_path, project, make_db):
    mdir, ids = project
    urls = {"ok": make_db("sqlite"), "dirty": make_db("postgresql")}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    assert fleet(cfg, "deploy", "--no-backup", "--to", ids[0])[0] == 0
    execute(urls["dirty"], "UPDATE \"__Migrations\" SET status = 'failed'")
    code, doc = fleet(cfg, "deploy", "--no-backup", "--continue-on-error")
    assert code == 3
    assert {t["name"]: t["status"] for t in doc["targets"]} == {"ok": "deployed", "dirty": "refused"}
    code, doc = fleet(cfg, "status")
    assert code == 0 and {t["name"]: t["state"] for t in doc["targets"]}["dirty"] in ("dirty", "tampered")


def test_locked_target_fails_after_lock_timeout(tmp_path, project, make_db):
    from nexo_studio.core.state.locks import lock_for
    from nexo_studio.core.target import Target

    mdir, _ = project
    urls = {"free": make_db("mysql"), "busy": make_db("mysql")}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    busy = Target(urls["busy"])
    lock = lock_for(busy.engine)
    lock.acquire(5)
    try:
        code, doc = fleet(cfg, "deploy", "--no-backup", "--lock-timeout", "0.5", "--continue-on-error")
    finally:
        lock.release()
        busy.dispose()
    assert code == 1
    assert {t["name"]: t["status"] for t in doc["targets"]} == {"free": "deployed", "busy": "locked"}


def test_dry_run_changes_nothing(tmp_path, project, make_db):
    mdir, ids = project
    urls = {d: make_db(d) for d in DIALECTS}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--dry-run")
    assert code == 0
    for t in doc["targets"]:
        assert t["status"] == "dry_run" and t["plan"] == ids and t["sql"]
        assert status_json(urls[t["name"]], mdir)["counts"] == {"pending": 6}


def test_rollback_needs_confirmation_and_records_fleet_id(tmp_path, project, make_db):
    mdir, ids = project
    urls = {d: make_db(d) for d in DIALECTS}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, deployed = fleet(cfg, "deploy", "--no-backup")
    assert code == 0
    code, doc = fleet(cfg, "rollback", "--to", ids[2])
    assert code == 2 and doc["error"]["type"] == "ConfirmationRequired"
    code, doc = fleet(cfg, "rollback", "--to", ids[2], "--yes")
    assert code == 0, doc
    for t in doc["targets"]:
        assert t["status"] == "rolled_back" and t["rolled_back"] == ids[:2:-1]
        events = history(urls[t["name"]], mdir)
        rolled = [e for e in events if e["action"] == "rollback"]
        assert len(rolled) == 3 and all(e["details"]["fleet_id"] == doc["fleet_id"] for e in rolled)
        deploys = [e for e in events if e["action"] in ("deploy_start", "deploy_end")]
        assert deploys and all(e["details"]["fleet_id"] == deployed["fleet_id"] for e in deploys)
        assert audit_ok(urls[t["name"]], mdir)


# -- export ----------------------------------------------------------------------------------


def test_export_has_the_matrix_and_each_chain_verdict(tmp_path, project, make_db):
    mdir, ids = project
    urls = {d: make_db(d) for d in DIALECTS}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    assert fleet(cfg, "deploy", "--no-backup", "--to", ids[1])[0] == 0
    execute(urls["postgresql"], "UPDATE \"__MigrationHistory\" SET operator = 'mallory' WHERE seq = 2")
    for fmt in ("json", "csv", "html"):
        out = tmp_path / f"fleet.{fmt}"
        code, doc = fleet(cfg, "export", "--format", fmt, "--out", str(out))
        assert code == 0 and doc["chain_broken"] == ["postgresql"]
    doc = json.loads((tmp_path / "fleet.json").read_text())
    assert doc["migrations"] == ids
    chains = {t["name"]: t["chain"] for t in doc["targets"]}
    assert chains["postgresql"]["ok"] is False and chains["postgresql"]["bad_seq"] == 2
    assert chains["sqlite"]["ok"] is True and chains["mysql"]["ok"] is True
    assert all(t["migrations"][ids[1]] == "applied" and t["migrations"][ids[2]] == "pending" for t in doc["targets"])
    csv_lines = (tmp_path / "fleet.csv").read_text().splitlines()
    assert csv_lines[0].startswith("name,dialect,state,chain_ok") and ids[0] in csv_lines[0]
    assert any(line.startswith("postgresql,postgresql,") and ",no," in line for line in csv_lines)
    page = (tmp_path / "fleet.html").read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page and "postgresql" in page


# -- the acceptance fleet: 40 PostgreSQL, 20 MariaDB, 40 SQLite --------------------------------


@pytest.mark.slow
def test_hundred_targets_status_agrees_and_parallel_deploy_brings_all_to_head(tmp_path, project, make_db):
    mdir, ids = project
    urls = {}
    tags = {}
    for d, n in (("postgresql", 40), ("mysql", 20), ("sqlite", 40)):
        for i in range(n):
            name = f"{d}-{i:02d}"
            urls[name] = make_db(d)
            tags[name] = [f"v{i % 4}"]
    cfg = write_fleet(tmp_path / "nexo.toml", urls, tags=tags, migrations=mdir, parallel=8)
    for v in range(1, 4):  # v0 stays empty, v1 at the first migration, v2 at the second, v3 at the fourth
        code, doc = fleet(cfg, "deploy", "--no-backup", "--tag", f"v{v}", "--to", ids[[0, 1, 3][v - 1]])
        assert code == 0, doc
    code, doc = fleet(cfg, "status")
    assert code == 0 and doc["ok"] is True and len(doc["targets"]) == 100
    for row in doc["targets"]:
        single = status_json(urls[row["name"]], mdir)
        assert row["migrations"] == {m["id"]: m["status"] for m in single["migrations"]}, row["name"]
        assert row["applied"] == single["counts"].get("applied", 0)
        assert row["pending"] == single["counts"].get("pending", 0)
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "8")
    assert code == 0, [t for t in doc["targets"] if not t["ok"]]
    fleet_id = doc["fleet_id"]
    code, doc = fleet(cfg, "status")
    assert all(t["state"] == "up_to_date" and t["head"] == ids[-1] for t in doc["targets"])
    for name, url in urls.items():
        starts = [e for e in history(url, mdir) if e["action"] == "deploy_start"]
        assert starts[-1]["details"]["fleet_id"] == fleet_id, name


# -- the real entry point, SIGKILL and Ctrl-C -----------------------------------------------------


def _slow_project(mdir: Path, n: int = 12) -> list[str]:
    """Migrations of one statement that each take a moment on every dialect (MariaDB caps
    recursive CTEs at 1,000 rows: it sleeps instead)."""
    from tests.helpers.projects import write_sql

    ids = []
    for i in range(1, n + 1):
        mid = f"2025.02.01.{i:06d}_slow_{i}"
        write_sql(mdir, mid, f"CREATE TABLE s{i} AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                  f"WHERE x < 40000) SELECT x AS id FROM c;", f"DROP TABLE s{i};", depends=ids[-1:],
                  variants={"up mysql": f"CREATE TABLE s{i} AS SELECT SLEEP(0.05) AS id;"})
        ids.append(mid)
    return ids


def _repair_dirty(url: str, mdir: Path) -> int:
    """What a user does after a killed deploy on MariaDB (SPEC §3): the migration that was
    running is dirty; its one statement either ran (its table exists) or did not."""
    from tests.reliability.harness import other_sessions, tables

    deadline = time.monotonic() + 30
    while other_sessions(url) and time.monotonic() < deadline:  # the server finishes what it ran
        time.sleep(0.05)
    dirty = [m["id"] for m in status_json(url, mdir)["migrations"] if m["status"] == "dirty"]
    for mid in dirty:
        table = "s" + mid.rsplit("_", 1)[1]
        mark = "applied" if table in tables(url) else "rolled-back"
        code, out, err = run_cli("--db", url, "--migrations", str(mdir), "repair", mid, "--mark", mark, "--yes")
        assert code == 0, out + err
    return len(dirty)


@pytest.mark.parametrize("how", ["sigkill", "sigint"])
def test_killed_or_interrupted_fleet_deploy_leaves_targets_consistent_and_rerun_finishes(
        tmp_path, make_db, how):
    mdir = tmp_path / "migrations"
    ids = _slow_project(mdir)
    urls = {f"{d}-{i}": make_db(d) for d in ("postgresql", "sqlite", "mysql") for i in range(3)}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    cli = ForkedCli(["--config", str(cfg), "fleet", "deploy", "--no-backup", "--parallel", "3", "--verbose"])
    cli.go()
    assert cli.wait_stderr(r"\] deployed", 60), cli.stderr  # the first target is done, others are running
    cli.wait_stderr(r"apply \S+: ok", 1)
    if how == "sigkill":
        cli.kill()
        cli.wait()
    else:
        os.kill(cli.proc.pid, signal.SIGINT)
        assert cli.wait(60) == 1
        assert "cancelled" in cli.stdout or "not_started" in cli.stdout
    dirty = 0
    for name, url in urls.items():
        doc = status_json(url, mdir)
        assert doc["ok"] is True and audit_ok(url, mdir), name
        allowed = {"applied", "pending"} | ({"dirty"} if name.startswith("mysql") else set())
        assert set(doc["counts"]) <= allowed and doc["counts"].get("dirty", 0) <= 1, (name, doc["counts"])
        if name.startswith("mysql"):
            dirty += _repair_dirty(url, mdir)
    if how == "sigint":
        assert dirty == 0  # cancelled cleanly, even on MariaDB: the statement finished or never started
    code, doc = fleet(cfg, "deploy", "--no-backup", "--parallel", "4")
    assert code == 0, doc
    assert any(t["status"] == "deployed" for t in doc["targets"])
    for name, url in urls.items():
        assert status_json(url, mdir)["counts"] == {"applied": len(ids)}, name
        assert audit_ok(url, mdir), name
        starts = [e for e in history(url, mdir) if e["action"] == "deploy_start"]
        assert starts and all("fleet_id" in e["details"] for e in starts)


def test_entry_point_fleet_status_json(tmp_path, project, make_db):
    mdir, _ = project
    urls = {"one": make_db("sqlite"), "two": make_db("postgresql")}
    targets = write_fleet(tmp_path / "targets.toml", urls)
    proc = run_entry_point("--migrations", str(mdir), "fleet", "status", "--targets", str(targets), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [t["state"] for t in doc["targets"]] == ["pending", "pending"]
    assert set(doc["targets"][0]) >= {"name", "dialect", "state", "applied", "pending", "head",
                                      "last_deployed_at", "error", "migrations"}


def test_each_target_takes_its_own_backup_by_default(tmp_path, project, make_db, monkeypatch):
    monkeypatch.setenv("NEXO_DATA_DIR", str(tmp_path / "data"))
    mdir, ids = project
    urls = {"lite": make_db("sqlite"), "pg": make_db("postgresql")}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--to", ids[0])
    assert code == 0, doc
    backups = {t["name"]: Path(t["backup"]) for t in doc["targets"]}
    assert len(set(backups.values())) == 2 and all(p.is_file() for p in backups.values())
    for name, url in urls.items():  # recorded in that target's history, with the fleet_id
        rows = [e for e in history(url, mdir) if e["action"] == "backup"]
        assert rows and rows[-1]["details"]["path"] == str(backups[name])
        start = next(e for e in history(url, mdir) if e["action"] == "deploy_start")
        assert start["details"]["fleet_id"] == doc["fleet_id"]


def test_canary_k_and_bad_parallel_and_invalid_project(tmp_path, project, make_db):
    mdir, ids = project
    urls = {n: f"sqlite:///{tmp_path / n}.db" for n in ("a", "b", "c")}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--no-backup", "--canary", "2", "--to", ids[0])
    assert code == 0
    assert [(t["name"], t["canary"]) for t in doc["targets"]] == [("a", True), ("b", True), ("c", False)]
    code, doc = fleet(cfg, "status", "--parallel", "0")
    assert code == 2 and "--parallel" in doc["error"]["message"]
    # a project that does not validate stops the run before any target starts (exit 2)
    (mdir / "2025.01.01.000002_create_t2.sql").write_text("-- +up\nCREATE TABLE t2 (id INT);\n", encoding="utf-8")
    (mdir / "2025.01.09.000001_cycle.sql").write_text("-- description: x\n-- depends: 2025.01.09.000001_cycle\n"
                                                      "-- +up\nSELECT 1;\n", encoding="utf-8")
    before = {n: status_json(u, mdir)["migrations"] for n, u in urls.items()}
    code, doc = fleet(cfg, "deploy", "--no-backup")
    assert code == 2 and doc["error"]["type"] == "ValidationFailed"
    assert {n: status_json(u, mdir)["migrations"] for n, u in urls.items()} == before
