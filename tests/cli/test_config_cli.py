"""`nexo --config FILE` run from another folder (SPEC §7): paths in nexo.toml are relative to it."""

from __future__ import annotations

import json

from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project


def test_relative_sqlite_url_is_next_to_the_config_not_in_the_current_folder(tmp_path):
    project, elsewhere = tmp_path / "p", tmp_path / "elsewhere"
    table_project(project / "migrations", 2)
    (project / "nexo.toml").write_text('migrations_dir = "migrations"\n\n[database]\nurl = "sqlite:///data/app.db"\n')
    (project / "data").mkdir()
    elsewhere.mkdir()
    env = {"NEXO_DATA_DIR": str(tmp_path / "userdata")}
    r = nexo("--config", str(project / "nexo.toml"), "deploy", "--json", cwd=elsewhere, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(json.loads(r.stdout)["applied"]) == 2
    assert (project / "data" / "app.db").is_file()
    assert list(elsewhere.iterdir()) == []  # no database created in the current folder
    r = nexo("status", "--json", cwd=project, env=env)  # the same database, seen from the project
    assert {m["status"] for m in json.loads(r.stdout)["migrations"]} == {"applied"}


def test_absolute_and_memory_sqlite_urls_are_kept(tmp_path):
    from nexo_studio.core.config import load_config

    for url in (f"sqlite:///{tmp_path / 'abs.db'}", "sqlite://", "sqlite:///:memory:"):
        (tmp_path / "nexo.toml").write_text(f'[database]\nurl = "{url}"\n')
        assert load_config(tmp_path / "nexo.toml").url == url
    (tmp_path / "nexo.toml").write_text('[database]\nurl = "sqlite+pysqlite:///rel.db?timeout=5"\n')
    assert load_config(tmp_path / "nexo.toml").url == f"sqlite+pysqlite:///{tmp_path / 'rel.db'}?timeout=5"


def test_deploy_allow_risky_must_be_a_boolean(tmp_path):
    """`allow_risky = "false"` (a string) must not silently allow risky deploys (SPEC §11)."""
    import pytest

    from nexo_studio.core.config import load_config
    from nexo_studio.errors import ConfigError

    (tmp_path / "nexo.toml").write_text('[deploy]\nallow_risky = "false"\n')
    with pytest.raises(ConfigError, match="allow_risky must be true or false"):
        load_config(tmp_path / "nexo.toml")
    (tmp_path / "nexo.toml").write_text('[deploy]\nallow_risky = true\n')
    assert load_config(tmp_path / "nexo.toml").deploy.allow_risky is True
    (tmp_path / "nexo.toml").write_text('[deploy]\nbackup = true\n')
    assert load_config(tmp_path / "nexo.toml").deploy.allow_risky is False
