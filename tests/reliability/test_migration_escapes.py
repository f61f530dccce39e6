"""Migration code can never escape the pipeline: ``sys.exit()`` in a Python migration, a
transaction it commits itself, transaction control or ``COPY … FROM STDIN`` in a SQL file, a
setting changed by SQL built at run time, Ctrl-C during a Python migration. Each ends as a
recorded outcome (a failed, dirty or cancelled row, ``deploy_end``, auto-rollback) with exit 1
and one JSON document, through the real entry point."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import PY, REPO, cli_env, execute, run_entry_point, statuses, user_tables

FIRST = "2025.05.01.000001_first"
SECOND = "2025.05.01.000002_second"


def write_py(mdir: Path, mid: str, body: str, *, depends: str = FIRST, header: str = "") -> Path:
    path = mdir / f"{mid}.py"
    path.write_text(f'description = "escapes"\ndepends = ["{depends}"]\n{header}\n{body}\n', encoding="utf-8")
    return path


def first_migration(mdir: Path) -> None:
    write_sql(mdir, FIRST, "CREATE TABLE e0 (id INTEGER);", "DROP TABLE e0;")


def deploy_json(url: str, mdir: Path, *extra: str) -> tuple[int, dict, str]:
    proc = run_entry_point("--db", url, "--migrations", str(mdir), "deploy", "--no-backup", "--json", *extra)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not one JSON document (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.returncode, doc, proc.stderr


def history(url: str) -> list[dict]:
    proc = run_entry_point("--db", url, "history", "--json", "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["events"]


def rows(events: list[dict], *actions: str) -> list[tuple]:
    return [(e["action"], e["status"], e["migration_id"]) for e in events if e["action"] in actions]


# --- item 6: sys.exit() is a failure of the migration ------------------------------------------


@pytest.mark.parametrize("where", ["up", "import"])
def test_sys_exit_in_a_python_migration_is_a_recorded_failure(db_url, dialect, tmp_path, where):
    first_migration(tmp_path)
    if where == "up":
        write_py(tmp_path, SECOND, "import sys\n\ndef up(conn):\n    sys.exit(0)\n\ndef down(conn):\n    pass\n")
    else:
        write_py(tmp_path, SECOND, "import sys\nsys.exit(0)\n\ndef up(conn):\n    pass\n")
    code, doc, err = deploy_json(db_url, tmp_path)
    assert code == 1, err
    assert doc["ok"] is False and doc["failed"] == SECOND
    assert doc["error"]["migration_id"] == SECOND and "SystemExit" in doc["error"]["message"]
    assert ("apply", "failed", SECOND) in [(m["action"], m["status"], m["id"]) for m in doc["migrations"]]
    events = history(db_url)
    assert ("apply", "failed", SECOND) in rows(events, "apply")
    assert events[-1]["action"] == "deploy_end" and events[-1]["status"] == "failed"
    if dialect == "mysql" and where == "up":
        # MariaDB: a Python migration that started may have committed DDL: dirty, no auto-rollback
        assert doc["status"] == "failed" and doc["error"]["dirty"] is True and statuses(db_url, tmp_path)[SECOND] == "dirty"
        return
    # nothing of it ran (or it rolled back): the deployment's earlier migration is undone
    assert doc["status"] == "rolled_back" and doc["rolled_back"] == [FIRST], doc["message"]
    assert "e0" not in user_tables(db_url)
    assert statuses(db_url, tmp_path) == {FIRST: "pending", SECOND: "failed"}


# --- item 7: a commit made through the connection makes the migration dirty, not failed ---------


@pytest.mark.parametrize("how", ["conn.commit()", "conn.exec_driver_sql('COMMIT')"])
def test_a_python_migration_that_commits_is_recorded_dirty(db_url, dialect, tmp_path, how):
    first_migration(tmp_path)
    write_py(tmp_path, SECOND, "def up(conn):\n"
                               "    conn.exec_driver_sql('INSERT INTO e0 (id) VALUES (1)')\n"
                               f"    {how}\n"
                               "    conn.exec_driver_sql('INSERT INTO e0 (id) VALUES (2)')\n"
                               "\ndef down(conn):\n    conn.exec_driver_sql('DELETE FROM e0')\n")
    code, doc, err = deploy_json(db_url, tmp_path)
    if dialect == "mysql":
        # MariaDB commits DDL implicitly anyway; a migration that completes is applied
        assert code == 0 and doc["status"] == "deployed", doc
        return
    assert code == 1, err
    assert doc["status"] == "failed" and doc["failed"] == SECOND and doc["error"]["dirty"] is True
    assert "ended the migration's transaction itself" in doc["error"]["message"]
    assert "DIRTY" in doc["message"] and f"nexo repair {SECOND}" in doc["message"]
    assert doc["rolled_back"] == []  # a dirty migration stops the deployment where it is
    assert statuses(db_url, tmp_path)[SECOND] == "dirty"
    # the part before the commit is in the database: "failed" (nothing of it) would be untrue
    assert (1,) in execute(db_url, "SELECT id FROM e0 ORDER BY id")
    assert history(db_url)[-1]["action"] == "deploy_end"
    # it is refused until repaired, like any dirty migration
    code, doc, _ = deploy_json(db_url, tmp_path)
    assert code == 3


# --- item 9: COPY … FROM STDIN and driver errors ----------------------------------------------


def test_copy_from_stdin_is_refused_at_validate_time(make_db, tmp_path):
    url = make_db("postgresql")
    first_migration(tmp_path)
    write_sql(tmp_path, SECOND, "CREATE TABLE c1 (id INTEGER);\nCOPY c1 (id) FROM stdin;", "DROP TABLE c1;",
              depends=[FIRST])
    code, doc, err = deploy_json(url, tmp_path)
    assert code == 2, err
    finding = next(f for f in doc["error"]["findings"] if f["code"] == "copy_stdin")
    assert finding["line"] == 5 and finding["path"].endswith(f"{SECOND}.sql")
    assert "COPY … FROM STDIN" in finding["message"]
    assert user_tables(url) == set()
    # COPY from a server-side file is not refused by validate (the server judges it)
    write_sql(tmp_path, SECOND, "CREATE TABLE c1 (id INTEGER);\nCOPY c1 (id) FROM '/nonexistent/x.csv';",
              "DROP TABLE c1;", depends=[FIRST])
    proc = run_entry_point("--db", url, "--migrations", str(tmp_path), "validate", "--json")
    assert proc.returncode == 0, proc.stdout


def test_copy_that_reaches_the_driver_ends_as_a_normal_failure_with_auto_rollback(make_db, tmp_path, monkeypatch):
    """A driver error that leaves the connection unusable (psycopg stuck in COPY mode) is still
    this migration's failure: recorded on a fresh connection, earlier migrations rolled back."""
    from nexo_studio.core.events import run
    from nexo_studio.core.pipeline import DeployOptions, deploy
    from nexo_studio.core.project import Project
    from nexo_studio.core.target import Target

    url = make_db("postgresql")
    first_migration(tmp_path)
    write_sql(tmp_path, SECOND, "CREATE TABLE c1 (id INTEGER);\nCOPY c1 (id) FROM stdin;", "DROP TABLE c1;",
              depends=[FIRST])
    # get past validate, as a rule that misses a case would
    monkeypatch.setattr("nexo_studio.core.validate.transaction_findings", lambda migrations, dialect: [])
    project = Project.load(tmp_path)
    target = Target(url)
    try:
        result = run(deploy(project, target, DeployOptions(backup=False)))
    finally:
        target.dispose()
    assert result.status == "rolled_back" and result.failed == SECOND, result.message
    assert result.error.line == 5 and "COPY" in result.error.error
    assert user_tables(url) == set()
    events = history(url)
    assert rows(events, "apply", "rollback") == [("apply", "ok", FIRST), ("apply", "failed", SECOND),
                                                 ("rollback", "ok", FIRST)]
    assert events[-1]["action"] == "deploy_end"


# --- item 8: no setting leaks into the next migration, however it was changed -----------------


def test_search_path_changed_by_dynamic_sql_does_not_leak_into_the_next_migration(make_db, tmp_path):
    url = make_db("postgresql")
    write_sql(tmp_path, FIRST, "CREATE SCHEMA evil;\n"
                               "DO $$ BEGIN EXECUTE 'S' || 'ET search_path = evil'; END $$;",
              "DROP SCHEMA evil;")
    write_sql(tmp_path, SECOND, "CREATE TABLE lands_here (id INTEGER);", "DROP TABLE lands_here;", depends=[FIRST])
    code, doc, err = deploy_json(url, tmp_path)
    assert code == 0, doc
    where = execute(url, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'lands_here'")
    assert where == [("public",)]


def test_search_path_does_not_leak_from_a_transaction_none_migration(make_db, tmp_path):
    url = make_db("postgresql")
    write_sql(tmp_path, FIRST, "CREATE SCHEMA evil;\nSELECT set_config('search' || '_path', 'evil', false);",
              "DROP SCHEMA evil;", extra="-- transaction: none")
    write_sql(tmp_path, SECOND, "CREATE TABLE lands_here (id INTEGER);", "DROP TABLE lands_here;",
              depends=[FIRST], extra="-- transaction: none")
    code, doc, err = deploy_json(url, tmp_path)
    assert code == 0, doc
    where = execute(url, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'lands_here'")
    assert where == [("public",)]


# --- (second issue) 1: Ctrl-C cancels a Python migration ---------------------------------------


def test_ctrl_c_during_a_python_migration_rolls_it_back_and_records_cancelled(db_url, dialect, tmp_path):
    first_migration(tmp_path)
    write_py(tmp_path, SECOND, "import time\n\ndef up(conn):\n"
                               "    conn.exec_driver_sql('INSERT INTO e0 (id) VALUES (1)')\n"
                               "    time.sleep(4)\n"
                               "\ndef down(conn):\n    pass\n")
    proc = subprocess.Popen([PY, "-m", "nexo_studio.cli.main", "--db", db_url, "--migrations", str(tmp_path),
                             "deploy", "--no-backup", "--json"], env=cli_env(), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the Python migration is running
        if execute(db_url, "SELECT 1") and _running(db_url, dialect):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    doc = json.loads(out)
    assert proc.returncode == 1, err
    assert doc["status"] == "cancelled" and doc["failed"] == SECOND, doc
    assert "cancelling" in err
    events = history(db_url)
    assert ("apply", "cancelled", SECOND) in rows(events, "apply")
    assert events[-1]["action"] == "deploy_end" and events[-1]["status"] == "cancelled"
    # its transaction rolled back when up() returned: the row it inserted is not there
    assert execute(db_url, "SELECT count(*) FROM e0") == [(0,)]
    expected = "dirty" if dialect == "mysql" else "pending"  # MariaDB: a started Python migration is dirty
    assert statuses(db_url, tmp_path) == {FIRST: "applied", SECOND: expected}


def _running(url: str, dialect: str) -> bool:
    """Whether SECOND has started: its MigrationStarted has no database trace, so look at the
    history row of FIRST (committed before SECOND starts)."""
    try:
        got = execute(url, "SELECT count(*) FROM \"__MigrationHistory\" WHERE action = 'apply'"
                      if dialect != "mysql" else "SELECT count(*) FROM `__MigrationHistory` WHERE action = 'apply'")
    except Exception:
        return False
    return got[0][0] >= 1


def test_cancel_interrupts_a_statement_a_python_migration_is_running(db_url, dialect, tmp_path):
    """Where the driver can, Cancel interrupts the statement a Python migration runs on ``conn``
    (it does not wait for a 20 s statement to end)."""
    import threading

    from nexo_studio.core.events import CancelToken, run
    from nexo_studio.core.pipeline import DeployOptions, deploy
    from nexo_studio.core.project import Project
    from nexo_studio.core.target import Target
    from tests.reliability.harness import slow_sql

    first_migration(tmp_path)
    write_py(tmp_path, SECOND, f"def up(conn):\n    conn.exec_driver_sql({slow_sql(dialect, 20)!r})\n"
                               "\ndef down(conn):\n    pass\n")
    cancel = CancelToken()
    target = Target(db_url)

    def on_event(ev) -> None:
        if getattr(ev, "migration_id", None) == SECOND and type(ev).__name__ == "MigrationStarted":
            threading.Timer(1.0, cancel.cancel).start()

    t0 = time.monotonic()
    try:
        result = run(deploy(Project.load(tmp_path), target, DeployOptions(backup=False), cancel), on_event)
    finally:
        target.dispose()
    assert time.monotonic() - t0 < 15
    assert result.status == "cancelled" and result.failed == SECOND, result.message
    assert ("apply", "cancelled", SECOND) in rows(history(db_url), "apply")
