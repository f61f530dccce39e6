"""`--json` on every command (SPEC §7): exactly one JSON document on stdout, on failure too."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project


def one_doc(r, code: int | None = 0) -> dict:
    """``code`` None: any failure (not 0)."""
    assert r.returncode == code if code is not None else r.returncode != 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)  # fails on anything else on stdout
    assert doc["ok"] is (code == 0), doc
    return doc


def test_json_on_every_command(tmp_path, make_db, dialect):
    m = tmp_path / "m"
    ids = table_project(m, 3)
    env = {"NEXO_DATA_DIR": str(tmp_path / "data")}
    base = ["--db", make_db(dialect), "--migrations", str(m)]

    doc = one_doc(nexo(*base, "new", "add_x", "--json", env=env))
    assert Path(doc["path"]).is_file() and doc["depends"] == [ids[-1]] and doc["id"] == Path(doc["path"]).stem
    new_id = doc["id"]
    doc = one_doc(nexo(*base, "baseline", "--to", ids[0], "--yes", "--json", env=env))
    assert doc["baselined"] == [ids[0]]
    one_doc(nexo(*base, "deploy", "--no-backup", "--json", env=env))
    doc = one_doc(nexo(*base, "backup", "--json", env=env))
    backup = doc["path"]
    assert Path(backup).is_file() and doc["size"] == Path(backup).stat().st_size
    doc = one_doc(nexo(*base, "backup", "--list", "--json", env=env))
    assert [b["path"] for b in doc["backups"]] == [backup] and doc["backups"][0]["exists"] is True
    # a healthy row is refused (exit 2, one document); the explicit override is recorded
    doc = one_doc(nexo(*base, "repair", new_id, "--mark", "rolled-back", "--yes", "--json", env=env), 2)
    assert doc["error"]["type"] == "HealthyRow"
    doc = one_doc(nexo(*base, "repair", new_id, "--mark", "rolled-back", "--override-healthy", "--yes", "--json",
                       env=env))
    assert (doc["migration_id"], doc["before"], doc["after"]) == (new_id, "applied", "rolled_back")
    assert isinstance(doc["seq"], int)
    doc = one_doc(nexo(*base, "restore", backup, "--yes", "--json", env=env))
    assert doc["restored"] == backup
    report = tmp_path / "report.json"
    doc = one_doc(nexo(*base, "export", "--format", "json", "--out", str(report), "--json", env=env))
    assert doc["path"] == str(report) and report.is_file() and doc["format"] == "json"
    doc = one_doc(nexo(*base, "audit", "verify", "--json", env=env))
    assert doc["verdict"]["ok"] is True and "intact" in doc["verdict"]["message"]
    doc = one_doc(nexo(*base, "audit", "verify", str(report), "--json", env=env))
    assert doc["verdict"]["rows"] > 0
    doc = one_doc(nexo(*base, "graph", "--json", env=env))
    assert [n["id"] for n in doc["nodes"]] == [*ids, new_id]
    assert {n["status"] for n in doc["nodes"]} == {"applied"}
    assert [ids[-1], new_id] in doc["edges"]


def test_json_failures_are_one_document(tmp_path):
    m = tmp_path / "m"
    ids = table_project(m, 2)
    base = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    assert nexo(*base, "deploy", "--no-backup").returncode == 0
    doc = one_doc(nexo(*base, "baseline", "--to", ids[1], "--json"), 2)  # no terminal, no --yes
    assert doc["error"]["type"] == "ConfirmationRequired"
    doc = one_doc(nexo(*base, "repair", "--mark", "applied", "--yes", "--json"), 2)
    assert "migration ID" in doc["error"]["message"]
    # (the exit code of an unreadable restore file is another change's: 2 there, 1 before)
    doc = one_doc(nexo(*base, "restore", str(tmp_path / "none.db"), "--yes", "--json"), None)
    assert "none.db" in doc["error"]["message"]
    doc = one_doc(nexo(*base, "new", "Bad-Name", "--json"), 2)
    assert "Bad-Name" in doc["error"]["message"]
    (tmp_path / "fake.json").write_text("{}")
    doc = one_doc(nexo(*base, "audit", "verify", str(tmp_path / "fake.json"), "--json"), 2)
    assert "fake.json" in doc["error"]["message"]
    doc = one_doc(nexo(*base, "status", "--json", "--no-such-option"), 2)  # argparse errors too
    assert doc["error"]["type"] == "UsageError" and "--no-such-option" in doc["error"]["message"]


def test_json_on_a_broken_chain_is_ok_false_exit_1(tmp_path):
    m = tmp_path / "m"
    table_project(m, 1)
    db = tmp_path / "x.db"
    base = ["--db", f"sqlite:///{db}", "--migrations", str(m)]
    assert nexo(*base, "deploy", "--no-backup").returncode == 0
    import sqlalchemy as sa

    with sa.create_engine(f"sqlite:///{db}").begin() as c:
        c.exec_driver_sql("UPDATE __MigrationHistory SET operator = 'mallory' WHERE seq = 1")
    doc = one_doc(nexo(*base, "audit", "verify", "--json"), 1)
    assert doc["verdict"]["bad_seq"] == 1 and doc["verdict"]["breaks"][0]["seq"] == 1
