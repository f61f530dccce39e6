"""Risk lint wired into validate, plan, dry run and deploy, on all three live dialects (SPEC §11):
validate warns naming file and line; deploy refuses an error-level finding (exit 2, naming
migration, line and rule) and changes nothing; `--allow-risky` and `-- lint: allow` let it
through with the reason recorded; rollback is never refused for what `down` drops.

The commands under test run the real `nexo` in a subprocess; the deploy that prepares a
database and the history read back afterwards run ``main()`` in this process (``nexo_here``)."""

from __future__ import annotations

import json
import os
import contextlib
import subprocess
import sys
from pathlib import Path
from unittest import mock

import sqlalchemy as sa

from tests.helpers.projects import write_sql

ROOT = Path(__file__).resolve().parents[2]
MAKE = "2025.01.01.000001_make_items"
DROP = "2025.01.02.000001_drop_items"
ALLOW = '-- lint: allow drop_table "items moved to the archive service in 2024; nothing reads it"'


def nexo(tmp: Path, db: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("NEXO_DATABASE_URL", None)
    env["NEXO_DATA_DIR"] = str(tmp / "data")  # validate's lint cache stays in the test's folder
    cmd = [sys.executable, "-m", "nexo_studio.cli.main", "--migrations", str(tmp / "m"), "--db", db, *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env, timeout=180)


def nexo_here(tmp: Path, db: str, *args: str) -> subprocess.CompletedProcess:
    """What ``nexo()`` runs, as ``main()`` in this process (same folder, same environment)."""
    from tests.reliability.harness import run_cli

    with mock.patch.dict(os.environ, {"NEXO_DATA_DIR": str(tmp / "data")}), contextlib.chdir(tmp):
        os.environ.pop("NEXO_DATABASE_URL", None)
        code, out, err = run_cli("--migrations", str(tmp / "m"), "--db", db, *args)
    return subprocess.CompletedProcess(args, code, out, err)


def project(tmp: Path, extra: str = "") -> int:
    """MAKE creates `items`; DROP (line 6 with a header line, else 5) creates `other`, drops `items`."""
    write_sql(tmp / "m", MAKE, "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20));", "DROP TABLE items;")
    write_sql(tmp / "m", DROP, "CREATE TABLE other (id INTEGER PRIMARY KEY);\nDROP TABLE items;",
              "DROP TABLE other;\nCREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20));",
              depends=[MAKE], extra=extra)
    return 6 if extra else 5


def tables(db: str) -> set[str]:
    engine = sa.create_engine(db)
    try:
        return {t.lower() for t in sa.inspect(engine).get_table_names()}
    finally:
        engine.dispose()


def history(tmp: Path, db: str) -> list[dict]:
    out = nexo_here(tmp, db, "history", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["events"]


def applied_first(tmp: Path, db: str) -> None:
    out = nexo_here(tmp, db, "deploy", "--to", MAKE, "--no-backup")
    assert out.returncode == 0, out.stdout + out.stderr


def test_validate_warns_naming_file_and_line(tmp_path, db_url):
    line = project(tmp_path)
    applied_first(tmp_path, db_url)
    out = nexo(tmp_path, db_url, "validate")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning: [lint_drop_table]" in out.stdout
    assert f"{DROP}.sql:{line}" in out.stdout
    doc = json.loads(nexo(tmp_path, db_url, "validate", "--json").stdout)
    found = [f for f in doc["findings"] if f["code"] == "lint_drop_table"]
    assert [(f["level"], f["line"], Path(f["path"]).name) for f in found] == [("warning", line, f"{DROP}.sql")]


def test_deploy_refuses_error_level_risk_and_changes_nothing(tmp_path, db_url):
    line = project(tmp_path)
    applied_first(tmp_path, db_url)
    out = nexo(tmp_path, db_url, "deploy", "--no-backup")
    assert out.returncode == 2, out.stdout + out.stderr
    assert DROP in out.stderr and f"line {line}" in out.stderr and "drop_table" in out.stderr
    assert {"items"} <= tables(db_url) and "other" not in tables(db_url)
    assert all(h["migration_id"] != DROP for h in history(tmp_path, db_url))
    doc = json.loads(nexo(tmp_path, db_url, "deploy", "--no-backup", "--json").stdout)
    assert doc["error"]["type"] == "RiskyMigration"
    assert [(f["code"], f["line"], f["migration_id"]) for f in doc["error"]["findings"]] == [("drop_table", line, DROP)]


def test_refusal_on_a_fresh_database_creates_no_state_tables(tmp_path, db_url):
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy (id INTEGER PRIMARY KEY)")
    engine.dispose()
    write_sql(tmp_path / "m", "2025.01.01.000001_drop_legacy", "DROP TABLE legacy;")
    out = nexo(tmp_path, db_url, "deploy", "--no-backup")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "drop_legacy" in out.stderr and "line 3" in out.stderr and "drop_table" in out.stderr
    assert tables(db_url) == {"legacy"}


def test_allow_risky_lets_it_through_and_is_recorded(tmp_path, db_url):
    project(tmp_path)
    applied_first(tmp_path, db_url)
    out = nexo(tmp_path, db_url, "deploy", "--no-backup", "--allow-risky")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "items" not in tables(db_url) and "other" in tables(db_url)
    start = [h for h in history(tmp_path, db_url) if h["action"] == "deploy_start"][-1]
    assert start["details"]["lint_accepted"] == [
        {"migration_id": DROP, "code": "drop_table", "line": 5, "reason": "--allow-risky"}]


def test_allow_risky_from_config(tmp_path, db_url):
    project(tmp_path)
    applied_first(tmp_path, db_url)
    (tmp_path / "nexo.toml").write_text("[deploy]\nallow_risky = true\n", encoding="utf-8")
    out = nexo(tmp_path, db_url, "--config", str(tmp_path / "nexo.toml"), "deploy", "--no-backup")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "items" not in tables(db_url)


def test_lint_allow_header_lets_it_through_with_its_reason(tmp_path, db_url):
    line = project(tmp_path, extra=ALLOW)
    applied_first(tmp_path, db_url)
    val = nexo(tmp_path, db_url, "validate")
    assert "lint_drop_table" not in val.stdout  # allowed: no warning
    plan = json.loads(nexo(tmp_path, db_url, "plan", "--json").stdout)
    assert plan["plan"][0]["findings"][0]["allowed"].startswith("items moved")
    out = nexo(tmp_path, db_url, "deploy", "--no-backup")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "items" not in tables(db_url)
    start = [h for h in history(tmp_path, db_url) if h["action"] == "deploy_start"][-1]
    assert start["details"]["lint_accepted"] == [{"migration_id": DROP, "code": "drop_table", "line": line,
                                                  "reason": "items moved to the archive service in 2024; nothing reads it"}]
    # the reason is in the audit report's state section (JSON and HTML)
    reason = "items moved to the archive service in 2024; nothing reads it"
    for fmt in ("json", "html"):
        out = nexo(tmp_path, db_url, "export", "--format", fmt, "--out", str(tmp_path / f"report.{fmt}"))
        assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    [row] = [r for r in report["state"] if r["id"] == DROP]
    assert row["lint_allowed"] == [{"code": "drop_table", "reason": reason}]
    assert f"lint allows drop_table: {reason}" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_rollback_is_never_refused_for_what_down_drops(tmp_path, db_url):
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy (id INTEGER PRIMARY KEY)")
    engine.dispose()
    write_sql(tmp_path / "m", MAKE, "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;")
    # its down drops a table that existed before it: rollback still runs it
    write_sql(tmp_path / "m", DROP, "INSERT INTO legacy (id) VALUES (1);", "DROP TABLE legacy;", depends=[MAKE])
    assert nexo_here(tmp_path, db_url, "deploy", "--no-backup").returncode == 0
    out = nexo(tmp_path, db_url, "rollback", "--to", "0", "--yes")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not {"items", "legacy"} & tables(db_url)


def test_plan_and_dry_run_show_findings_beside_the_sql(tmp_path, db_url):
    line = project(tmp_path)
    applied_first(tmp_path, db_url)
    plan = json.loads(nexo(tmp_path, db_url, "plan", "--json").stdout)
    [entry] = plan["plan"]
    assert [(f["code"], f["level"], f["line"]) for f in entry["findings"]] == [("drop_table", "error", line)]
    text = nexo(tmp_path, db_url, "plan", "--sql").stdout.splitlines()
    at = text.index(f"      -- {DROP}.sql:{line}")
    assert "[drop_table]" in text[at + 1] and "DROP TABLE items" in text[at + 2]
    dry = nexo(tmp_path, db_url, "deploy", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "[drop_table]" in dry.stdout and "deploy would refuse 1 error-level risk" in dry.stdout
    doc = json.loads(nexo(tmp_path, db_url, "deploy", "--dry-run", "--json").stdout)
    assert [f["code"] for f in doc["findings"]] == ["drop_table"]
    assert "other" not in tables(db_url)


def test_unknown_rule_in_lint_allow_is_a_validation_error(tmp_path, db_url):
    project(tmp_path, extra='-- lint: allow drop_tabel "typo"')
    out = nexo(tmp_path, db_url, "validate")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "lint_unknown_rule" in out.stdout and f"{DROP}.sql:3" in out.stdout and "drop_tabel" in out.stdout
    assert nexo(tmp_path, db_url, "deploy", "--no-backup").returncode == 2
    assert "items" not in tables(db_url)
