"""Fleet targets tagged production are asked for a second time, by typing (issue 16), the same
rule in the CLI and the GUI because the application layer holds it: ``run_fleet`` refuses a run
that would change a production target the front end did not confirm (exit 2, nothing started).
The real `nexo` in a subprocess: without a terminal it refuses unless ``--allow-production``; on a
terminal a wrong answer changes nothing and the typed phrase runs it; a dry run is not asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexo_studio.app.fleet.production import phrase
from tests.cli.test_prompt_cli import run_on_terminal
from tests.helpers.projects import table_project
from tests.reliability.harness import run_entry_point, status_json


@pytest.fixture
def fleet(tmp_path: Path):
    """(nexo.toml, migrations, {name: url}): two SQLite targets, ``prod-b`` tagged production."""
    mdir = tmp_path / "migrations"
    table_project(mdir, 2)
    urls = {"a": f"sqlite:///{tmp_path / 'a.db'}", "prod-b": f"sqlite:///{tmp_path / 'b.db'}"}
    cfg = tmp_path / "nexo.toml"
    cfg.write_text('migrations_dir = "migrations"\n\n[[targets]]\nname = "a"\nurl = "sqlite:///a.db"\n\n'
                   '[[targets]]\nname = "prod-b"\nurl = "sqlite:///b.db"\ntags = ["eu", "production"]\n',
                   encoding="utf-8")
    return cfg, mdir, urls


def counts(urls: dict[str, str], mdir: Path) -> dict[str, dict]:
    return {n: status_json(u, mdir)["counts"] for n, u in urls.items()}


def test_without_a_terminal_production_is_refused_unless_allowed(fleet):
    cfg, mdir, urls = fleet
    p = run_entry_point("--config", str(cfg), "fleet", "deploy", "--no-backup", "--json")
    assert p.returncode == 2, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["ok"] is False and doc["error"]["type"] == "ProductionNotConfirmed"
    assert doc["error"]["targets"] == ["prod-b"] and "--allow-production" in doc["error"]["message"]
    assert counts(urls, mdir) == {"a": {"pending": 2}, "prod-b": {"pending": 2}}  # nothing started, not even `a`
    p = run_entry_point("--config", str(cfg), "fleet", "deploy", "--no-backup", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr  # a dry run changes nothing: not asked
    p = run_entry_point("--config", str(cfg), "fleet", "deploy", "--no-backup", "--allow-production", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert counts(urls, mdir) == {"a": {"applied": 2}, "prod-b": {"applied": 2}}
    # rollback: --yes answers the first question only
    p = run_entry_point("--config", str(cfg), "fleet", "rollback", "--to", "0", "--yes")
    assert p.returncode == 2 and "prod-b" in p.stderr, p.stdout + p.stderr
    assert counts(urls, mdir) == {"a": {"applied": 2}, "prod-b": {"applied": 2}}


def test_on_a_terminal_the_phrase_is_typed(fleet):
    cfg, mdir, urls = fleet
    base = ["--config", str(cfg), "fleet", "deploy", "--no-backup"]
    code, out = run_on_terminal(base, "prod", 60, prompt=b"to deploy to production: ")
    assert code == 2 and "1 target(s) tagged production: prod-b" in out and "not confirmed" in out, out
    assert counts(urls, mdir) == {"a": {"pending": 2}, "prod-b": {"pending": 2}}
    code, out = run_on_terminal(base, phrase(["prod-b"]), 60, prompt=b"to deploy to production: ")
    assert code == 0, out
    assert counts(urls, mdir) == {"a": {"applied": 2}, "prod-b": {"applied": 2}}
    # only the production targets selected are asked for; none selected: no question
    p = run_entry_point("--config", str(cfg), "fleet", "rollback", "--to", "0", "--yes", "--target", "a")
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_application_layer_refuses_before_any_target_starts(fleet):
    from nexo_studio.app.fleet import load_targets
    from nexo_studio.app.fleet.runner import FleetOptions, run_fleet
    from nexo_studio.app.session import Session, SessionSpec
    from nexo_studio.errors import ProductionNotConfirmed

    cfg, mdir, urls = fleet
    session = Session.open(SessionSpec(mdir, config_path=cfg))
    targets = list(load_targets(cfg).targets)
    with pytest.raises(ProductionNotConfirmed) as caught:
        run_fleet(session.project, session.config, targets, FleetOptions(backup=False))
    assert caught.value.targets == ["prod-b"] and caught.value.exit_code == 2
    assert not (cfg.parent / "a.db").exists() and not (cfg.parent / "b.db").exists()
    run = run_fleet(session.project, session.config, targets,
                    FleetOptions(backup=False, production_confirmed=("prod-b",)))
    assert run.ok and [o.status for o in run.outcomes] == ["deployed", "deployed"]
    assert phrase(["x", "y"]) == "2 production targets"
