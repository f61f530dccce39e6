"""The application layer's settings merge, in memory: nexo.toml < a front end's choices < explicit
overrides; which nexo.toml governs a project."""

from __future__ import annotations

from pathlib import Path

from nexo_studio.app.session import Session, SessionSpec, find_config
from nexo_studio.core.pipeline import DeployOptions


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_then_choices_then_overrides(tmp_path):
    cfg = write(tmp_path / "p" / "nexo.toml", "[deploy]\nbackup = false\nallow_drift = true\nlock_timeout = 7\n"
                "backup_dir = 'bk'\n[[deploy.checks]]\nsql = 'SELECT 1'\n")
    s = Session.open(SessionSpec(config_path=cfg, db=f"sqlite:///{tmp_path / 'x.db'}"))
    plain = s.deploy_options()
    assert (plain.backup, plain.allow_drift, plain.lock_timeout) == (False, True, 7.0)
    assert plain.backup_dir == tmp_path / "p" / "bk" and [c.sql for c in plain.checks] == ["SELECT 1"]
    # a dialog's choices (base) win over the config, except what the dialog has no control for
    chosen = s.deploy_options(DeployOptions(backup=True, verify=False))
    assert (chosen.backup, chosen.verify, chosen.allow_drift) == (True, False, True)
    assert [c.sql for c in chosen.checks] == ["SELECT 1"]
    # explicit overrides (CLI flags) win over everything
    assert s.deploy_options(allow_drift=False, to="x").allow_drift is False
    s.close()


def test_the_project_folders_nexo_toml_governs(tmp_path, monkeypatch):
    mdir = tmp_path / "proj" / "migrations"
    mdir.mkdir(parents=True)
    beside = write(tmp_path / "proj" / "nexo.toml", "")
    write(tmp_path / "here" / "nexo.toml", "")
    monkeypatch.chdir(tmp_path / "here")
    assert find_config(SessionSpec(mdir)) == beside
    assert find_config(SessionSpec()) == Path("nexo.toml")
    explicit = write(tmp_path / "other.toml", "")
    assert find_config(SessionSpec(mdir, explicit)) == explicit
