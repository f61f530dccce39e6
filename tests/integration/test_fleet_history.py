"""`fleet_start` / `fleet_end` history rows (SPEC §7, §9): in each target's own history, around
its deployment or rollback, naming the fleet run; none on a target with nothing to do; a run
killed between them breaks neither the chain nor the next run. Real SQLite, PostgreSQL, MariaDB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DIALECTS
from tests.helpers.projects import table_project
from tests.integration.test_fleet import audit_ok, fleet, history, write_fleet
from tests.reliability.harness import run_cli, status_json


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list[str]]:
    mdir = tmp_path / "migrations"
    return mdir, table_project(mdir, 4)


def _fleet_rows(events: list[dict]) -> list[dict]:
    return [e for e in events if e["action"] in ("fleet_start", "fleet_end")]


def test_each_deployed_target_has_fleet_start_and_end_around_its_deployment(tmp_path, project, make_db):
    mdir, ids = project
    urls = {d: make_db(d) for d in DIALECTS}
    urls["done"] = make_db("sqlite")
    assert run_cli("--db", urls["done"], "--migrations", str(mdir), "deploy", "--no-backup")[0] == 0
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    code, doc = fleet(cfg, "deploy", "--no-backup")
    assert code == 0, doc
    fid = doc["fleet_id"]
    for name, url in urls.items():
        events = history(url, mdir)
        rows = _fleet_rows(events)
        if name == "done":  # nothing to do: no rows (SPEC §9)
            assert rows == [], rows
            continue
        actions = [e["action"] for e in events]
        assert actions[0] == "fleet_start" and actions[1] == "deploy_start", actions
        assert actions[-2:] == ["deploy_end", "fleet_end"], actions
        start, end = rows
        assert start["details"]["fleet_id"] == end["details"]["fleet_id"] == fid
        assert start["deployment_id"] == end["deployment_id"] == events[1]["deployment_id"]
        assert start["details"]["operation"] == "deploy" and start["details"]["plan"] == ids
        assert end["status"] == "ok" and end["details"]["outcome"] == "deployed"
        assert (end["details"]["planned"], end["details"]["applied"], end["details"]["rolled_back"]) == (4, 4, 0)
        assert audit_ok(url, mdir), name
        # the report and its filters know the new actions
        code, out, err = run_cli("--db", url, "--migrations", str(mdir), "history", "--action", "fleet_end", "--json")
        assert code == 0, out + err
        assert '"fleet_end"' in out


def test_fleet_rollback_and_a_failed_target_record_their_counts(tmp_path, project, make_db):
    from tests.helpers.projects import write_sql

    mdir, ids = project
    urls = {d: make_db(d) for d in DIALECTS}
    cfg = write_fleet(tmp_path / "nexo.toml", urls, migrations=mdir)
    assert fleet(cfg, "deploy", "--no-backup")[0] == 0
    code, doc = fleet(cfg, "rollback", "--to", ids[1], "--yes")
    assert code == 0, doc
    for name, url in urls.items():
        end = _fleet_rows(history(url, mdir))[-1]
        assert end["action"] == "fleet_end" and end["details"]["fleet_id"] == doc["fleet_id"]
        assert end["details"]["operation"] == "rollback" and end["details"]["rolled_back"] == 2
    # a migration that fails on one target: its fleet_end says failed, with the error
    bad = "2025.09.01.000000_bad"
    write_sql(mdir, bad, "CREATE TABLE t1 (x INTEGER);", "SELECT 1;", depends=[ids[-1]])
    code, doc = fleet(cfg, "deploy", "--no-backup", "--continue-on-error", "--target", "sqlite")
    assert code == 1, doc
    end = _fleet_rows(history(urls["sqlite"], mdir))[-1]
    assert end["action"] == "fleet_end" and end["status"] == "failed" and end["error"]
    assert end["details"]["outcome"] in ("failed", "rolled_back") and end["details"]["failed"] == bad
    assert audit_ok(urls["sqlite"], mdir)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_run_killed_after_fleet_start_breaks_neither_chain_nor_next_run(tmp_path, project, make_db, dialect):
    """The target's own pipeline stops right after fleet_start and deploy_start (its generator is
    dropped and its connection closed, as when the process dies): a fleet_start without its
    fleet_end. The chain verifies, status is readable, and the next fleet run finishes the job."""
    from nexo_studio.app.fleet.status import open_session
    from nexo_studio.app.fleet.targets import FleetTarget
    from nexo_studio.core.config import load_config
    from nexo_studio.core.events import CancelToken, StageStarted
    from nexo_studio.core.pipeline import deploy
    from nexo_studio.core.project import Project

    mdir, ids = project
    url = make_db(dialect)
    cfg = write_fleet(tmp_path / "nexo.toml", {"one": url}, migrations=mdir)
    project_ = Project.load(mdir)
    session = open_session(load_config(cfg), project_, FleetTarget("one", url))
    opts = session.deploy_options(backup=False, labels={"fleet_id": "fleet-killed"})
    gen = deploy(project_, session.target, opts, CancelToken())
    for ev in gen:
        if isinstance(ev, StageStarted) and ev.stage == "apply":
            break
    gen.close()  # killed: nothing after this point is written
    session.close()
    events = history(url, mdir)
    assert [e["action"] for e in events] == ["fleet_start", "deploy_start"]
    assert audit_ok(url, mdir)
    assert status_json(url, mdir)["counts"] == {"pending": 4}
    code, doc = fleet(cfg, "deploy", "--no-backup")
    assert code == 0 and doc["targets"][0]["status"] == "deployed", doc
    rows = _fleet_rows(history(url, mdir))
    assert [(r["action"], r["details"]["fleet_id"]) for r in rows] == [
        ("fleet_start", "fleet-killed"), ("fleet_start", doc["fleet_id"]), ("fleet_end", doc["fleet_id"])]
    assert audit_ok(url, mdir)
    assert status_json(url, mdir)["counts"] == {"applied": 4}
