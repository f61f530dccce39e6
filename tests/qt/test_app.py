"""Entry point, --screenshot, bundled resources, themes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from nexo_studio.qt.app import build_parser, resolve_target
from nexo_studio.qt.resources import icon_path, resources_dir, sample_migrations_dir
from tests.qt.qt_helpers import SAMPLE

ACTION_ICONS = ("open", "refresh", "validate", "deploy", "rollback", "rollback-dependents", "repair", "backup",
                "restore", "export", "cancel", "fit", "layout", "search", "copy", "clear", "sql", "graph",
                "history", "preview", "test", "warning", "error", "quit")


def test_bundled_sample_and_resources():
    sample = sample_migrations_dir()
    assert sorted(p.name for p in sample.iterdir()) == sorted(p.name for p in SAMPLE.iterdir())
    assert (resources_dir() / "icons" / "nexo-studio.svg").is_file()
    for name in ACTION_ICONS:
        assert icon_path(name) is not None, name


def test_no_arguments_open_the_sample_on_a_user_sqlite_db(data_dir):
    migrations, url = resolve_target(None, None)
    assert migrations == sample_migrations_dir()
    assert url == f"sqlite:///{data_dir / 'sample.db'}"
    args = build_parser().parse_args(["--screenshot", "x.png", "--view", "history"])
    assert args.view == "history" and args.db is None


def run_app(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "nexo_studio.qt.app", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("view", ["graph", "state", "history", "drift"])
def test_screenshot_renders_each_view_at_1280x800(tmp_path, view, data_dir):
    db = tmp_path / "shot.db"
    cli = subprocess.run([sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{db}", "--migrations",
                          str(SAMPLE), "deploy", "--to", "2025.02.12.091500_subscriptions", "--no-backup"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    before = db.read_bytes()
    out = tmp_path / f"{view}.png"
    proc = run_app("--db", f"sqlite:///{db}", "--migrations", str(SAMPLE), "--screenshot", str(out), "--view", view)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    assert db.read_bytes() == before  # a screenshot never changes the database


def test_screenshot_with_no_arguments_uses_the_bundled_sample(tmp_path, data_dir):
    out = tmp_path / "first-run.png"
    proc = run_app("--screenshot", str(out), env_extra={"NEXO_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    assert not (data_dir / "sample.db").exists()  # read-only until the user deploys


def test_dark_and_light_palettes(qapp):
    from nexo_studio.qt.palette import is_dark
    from nexo_studio.qt.theme import apply_theme, icon

    try:
        assert apply_theme(qapp, "dark") and is_dark(qapp.palette())
        assert not icon("deploy").isNull()
        assert not apply_theme(qapp, "light") and not is_dark(qapp.palette())
    finally:
        apply_theme(qapp, "light")
