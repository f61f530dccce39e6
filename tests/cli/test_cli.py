"""The `nexo` command line: real subprocesses for the main flows, `main()` in-process for the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from nexo_studio.cli.main import main
from tests.helpers.projects import diamond_project, table_project, write_sql

NEXO = [sys.executable, "-m", "nexo_studio.cli.main"]


def nexo(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None):
    full_env = {**os.environ, "NEXO_NO_KEYRING": "1", **(env or {})}
    full_env.pop("NEXO_DATABASE_URL", None) if env is None or "NEXO_DATABASE_URL" not in env else None
    return subprocess.run([*NEXO, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_sample_project_end_to_end_in_a_subprocess(tmp_path, sample_dir, make_db, dialect):
    url = make_db(dialect)
    base = ["--db", url, "--migrations", str(sample_dir)]
    r = nexo(*base, "status", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and {m["status"] for m in doc["migrations"]} == {"pending"}
    r = nexo(*base, "deploy", "--json", env={"NEXO_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["status"] == "deployed" and len(doc["applied"]) == 9
    assert Path(doc["backup"]).is_file()
    assert "apply" in r.stderr  # progress goes to stderr
    r = nexo(*base, "rollback", "--to", "0")  # no terminal, no --yes: refuses, changes nothing
    assert r.returncode == 2 and "--yes" in r.stderr
    r = nexo(*base, "rollback", "--to", "0", "--yes", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(json.loads(r.stdout)["rolled_back"]) == 9
    r = nexo(*base, "audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout


def test_json_is_one_document_on_failure_too(tmp_path, capsys):
    m = tmp_path / "m"
    write_sql(m, "2025.01.01.000001_a", "SELECT 1;", "SELECT 1;", depends=["2024.01.01.000000_gone"])
    code = main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m), "deploy", "--json"])
    out = capsys.readouterr().out
    assert code == 2
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["type"] == "ValidationFailed"
    assert any(f["code"] == "missing_dependency" for f in doc["error"]["findings"])


def test_nothing_pending_says_up_to_date_and_writes_no_history(tmp_path, capsys):
    m = tmp_path / "m"
    table_project(m, 2)
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    assert main([*db, "deploy", "--no-backup"]) == 0
    capsys.readouterr()
    assert main([*db, "history", "--json", "--limit", "0"]) == 0
    before = len(json.loads(capsys.readouterr().out)["events"])
    assert main([*db, "deploy"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main([*db, "history", "--json", "--limit", "0"]) == 0
    assert len(json.loads(capsys.readouterr().out)["events"]) == before


def test_dry_run_prints_plan_and_exact_sql_and_touches_nothing(tmp_path, capsys):
    m = tmp_path / "m"
    table_project(m, 2)
    db_file = tmp_path / "x.db"
    assert main(["--db", f"sqlite:///{db_file}", "--migrations", str(m), "deploy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE t1 (id INTEGER PRIMARY KEY, v VARCHAR(20))" in out
    assert "2025.01.01.000002_create_t2" in out
    assert not db_file.exists()


def test_rollback_one_with_dependents_refusal_names_them(tmp_path, capsys):
    m = tmp_path / "m"
    ids = diamond_project(m)
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    assert main([*db, "deploy", "--no-backup"]) == 0
    capsys.readouterr()
    assert main([*db, "rollback", ids["b"], "--yes"]) == 2
    assert ids["d"] in capsys.readouterr().err
    assert main([*db, "rollback", ids["b"], "--with-dependents", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rolled_back"] == [ids["d"], ids["b"]]


def test_rollback_to_unapplied_id_is_invalid(tmp_path, capsys):
    m = tmp_path / "m"
    ids = table_project(m, 2)
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    assert main([*db, "deploy", "--no-backup", "--to", ids[0]]) == 0
    assert main([*db, "rollback", "--to", ids[1], "--yes"]) == 2
    assert main([*db, "rollback", "--to", "2025.99", "--yes"]) == 2


def test_url_precedence_flag_env_config_default(tmp_path):
    proj = tmp_path / "proj"
    table_project(proj / "migrations", 1)
    (proj / "nexo.toml").write_text(f'[database]\nurl = "sqlite:///{proj / "from_toml.db"}"\n')
    r = nexo("deploy", "--no-backup", cwd=proj)
    assert r.returncode == 0, r.stderr
    assert (proj / "from_toml.db").exists()
    r = nexo("deploy", "--no-backup", cwd=proj, env={"NEXO_DATABASE_URL": f"sqlite:///{proj / 'from_env.db'}"})
    assert r.returncode == 0 and (proj / "from_env.db").exists()
    r = nexo("--db", f"sqlite:///{proj / 'from_flag.db'}", "deploy", "--no-backup", cwd=proj,
             env={"NEXO_DATABASE_URL": f"sqlite:///{proj / 'unused.db'}"})
    assert r.returncode == 0 and (proj / "from_flag.db").exists() and not (proj / "unused.db").exists()
    (proj / "nexo.toml").unlink()
    r = nexo("deploy", "--no-backup", cwd=proj)
    assert r.returncode == 0 and (proj / "nexo.db").exists()


def test_password_in_config_file_is_refused(tmp_path):
    (tmp_path / "nexo.toml").write_text('[database]\nurl = "postgresql://u:hunter2@localhost/db"\n')
    r = nexo("status", cwd=tmp_path)
    assert r.returncode == 2
    assert "password" in r.stderr and "hunter2" not in r.stderr


def test_connection_failure_names_host_and_port_never_the_password(tmp_path):
    table_project(tmp_path / "migrations", 1)
    url = "postgresql+psycopg://alice:SeCrEtMaRkEr@127.0.0.1:1/nope"
    for args in (["status"], ["deploy"], ["status", "--json"]):
        r = nexo("--db", url, *args, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert "127.0.0.1:1" in r.stdout + r.stderr
        assert "SeCrEtMaRkEr" not in r.stdout + r.stderr


def test_lock_timeout_exits_1_naming_the_holder(tmp_path):
    from nexo_studio.core.target import Target

    m = tmp_path / "migrations"
    table_project(m, 1)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    holder = Target(url)
    with holder.locked(1):
        r = nexo("--db", url, "--migrations", str(m), "deploy", "--lock-timeout", "0.3")
    holder.dispose()
    assert r.returncode == 1
    assert "lock" in r.stderr and "pid" in r.stderr


def test_new_creates_a_file_depending_on_the_heads(tmp_path, capsys):
    m = tmp_path / "m"
    ids = diamond_project(m)
    assert main(["--migrations", str(m), "new", "add_widgets"]) == 0
    path = Path(capsys.readouterr().out.strip())
    text = path.read_text()
    assert path.name.endswith("_add_widgets.sql")
    assert f"-- depends: {ids['d']}" in text and "-- +up" in text and "-- +down" in text
    assert main(["--migrations", str(m), "new", "Bad Name"]) == 2


def test_graph_prints_dot(tmp_path, capsys):
    m = tmp_path / "m"
    ids = diamond_project(m)
    assert main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m), "graph"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph migrations {")
    assert f'"{ids["a"]}" -> "{ids["b"]}";' in out


def test_repair_and_baseline_need_confirmation_without_terminal(tmp_path):
    m = tmp_path / "migrations"
    ids = table_project(m, 3)
    base = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    r = nexo(*base, "baseline", "--to", ids[1])
    assert r.returncode == 2 and "--yes" in r.stderr
    r = nexo(*base, "baseline", "--to", ids[1], "--yes")
    assert r.returncode == 0, r.stderr
    r = nexo(*base, "status", "--json")
    st = {x["id"]: x["status"] for x in json.loads(r.stdout)["migrations"]}
    assert [st[i] for i in ids] == ["applied", "applied", "pending"]
    r = nexo(*base, "history", "--json")
    assert [e["action"] for e in json.loads(r.stdout)["events"]] == ["baseline", "baseline"]


def test_help_for_every_command(capsys):
    for cmd in ("status", "validate", "plan", "deploy", "rollback", "history", "backup", "restore", "repair",
                "baseline", "export", "new", "audit", "graph"):
        assert main([cmd, "--help"]) == 0
        assert "usage: nexo" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2


def test_ctrl_c_cancels_a_deploy_cleanly_and_records_it(tmp_path):
    import signal
    import time

    m = tmp_path / "migrations"
    ids = table_project(m, 2)
    write_sql(m, "2025.01.09.000000_slow", "CREATE TABLE slow_t (id INTEGER);\n"
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;",
              "DROP TABLE slow_t;", depends=[ids[-1]])
    db = f"sqlite:///{tmp_path / 'x.db'}"
    proc = subprocess.Popen([*NEXO, "--db", db, "--migrations", str(m), "deploy", "--no-backup"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NEXO_NO_KEYRING": "1"})
    import sqlite3

    deadline = time.monotonic() + 60
    applied = 0
    while applied < 2 and time.monotonic() < deadline:  # wait until the slow statement runs
        time.sleep(0.2)
        try:
            with sqlite3.connect(tmp_path / "x.db", timeout=0.1) as c:
                applied = c.execute("SELECT COUNT(*) FROM __MigrationHistory WHERE action = 'apply'").fetchone()[0]
        except sqlite3.Error:
            pass
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "cancel" in (out + err).lower()
    r = nexo("--db", db, "--migrations", str(m), "history", "--json")
    events = json.loads(r.stdout)["events"]
    assert ("apply", "cancelled") in [(e["action"], e["status"]) for e in events]
    assert events[-1]["action"] == "deploy_end" and events[-1]["status"] == "cancelled"
    r = nexo("--db", db, "--migrations", str(m), "status", "--json")
    st = {x["id"]: x["status"] for x in json.loads(r.stdout)["migrations"]}
    assert st["2025.01.09.000000_slow"] == "pending" and st[ids[0]] == "applied"
