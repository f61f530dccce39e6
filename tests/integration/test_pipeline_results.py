"""What a deploy reports: a failed verify is a row of the result (and of ``--json``) naming its
statement, line and file; each migration's duration is one measurement, the same in the result
table, in ``__Migrations`` (status) and in the history."""

from __future__ import annotations

import json
import time

from nexo_studio.cli.main import main
from nexo_studio.core.events import MigrationFinished, StatementExecuted, run
from nexo_studio.core.operations import status
from nexo_studio.core.pipeline import DeployOptions, deploy
from nexo_studio.core.project import Project
from nexo_studio.core.target import Target
from tests.helpers.projects import table_project, write_sql

BAD = "2025.01.03.000001_bad_verify"


def test_a_failed_verify_is_in_the_result_and_the_json(db_url, tmp_path, capsys):
    ids = table_project(tmp_path, 1)
    path = write_sql(tmp_path, BAD, "CREATE TABLE bv (id INTEGER);", "DROP TABLE bv;", depends=ids,
                     verify="SELECT id FROM bv;\nSELECT missing_column FROM bv;")
    code = main(["--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["status"] == "rolled_back"
    assert doc["failed"] == BAD
    err = doc["error"]
    assert err["type"] == "VerifyFailed" and err["migration_id"] == BAD
    assert err["statement"] == "SELECT missing_column FROM bv" and err["line"] == 9
    assert err["file"] == str(path)
    row = [m for m in doc["migrations"] if m["action"] == "verify" and m["id"] == BAD]
    assert len(row) == 1 and row[0]["status"] == "failed" and row[0]["line"] == 9
    assert row[0]["statement"] == "SELECT missing_column FROM bv" and "missing_column" in row[0]["error"]
    # the table shows it too
    code = main(["--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup"])
    out = capsys.readouterr().out
    assert code == 1 and any(line.split()[:3] == ["verify", "failed", BAD] for line in out.splitlines())


def test_one_duration_everywhere_even_when_the_consumer_is_slow(db_url, tmp_path):
    """The table said 54 ms where status and history said 3: the time events spend with the
    consumer (a terminal, a window) was counted. Here each statement event takes the consumer 250 ms."""
    table_project(tmp_path, 3)
    project = Project.load(tmp_path)
    target = Target(db_url)

    def slow_consumer(ev) -> None:
        if isinstance(ev, StatementExecuted):
            time.sleep(0.25)

    try:
        result = run(deploy(project, target, DeployOptions(backup=False)), slow_consumer)
        assert result.ok, result.message
        shown = {(ev.action, ev.migration_id): ev.duration_ms for ev in result.migrations
                 if isinstance(ev, MigrationFinished)}
        with target.connect() as conn:
            hist = {(h.action, h.migration_id): h.duration_ms
                    for h in target.store.history(conn, deployment_id=result.deployment_id)
                    if h.action in ("apply", "verify")}
        snap = status(project, target)
    finally:
        target.dispose()
    assert set(shown) == set(hist) and len(shown) == 6  # 3 applies, 3 verifies
    assert shown == hist
    for (action, mid), ms in shown.items():
        assert ms < 250, (action, mid, ms)  # the consumer's 250 ms are not the migration's
        if action == "apply":
            assert snap.by_id[mid].row.execution_ms == ms
