"""Item 14: the desktop app on a machine without a display (or without Qt's X11 libraries)
says so and exits 2, instead of Qt aborting (rc 134) with a message naming the wrong cause."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nexo_studio.qt.startup import NO_DISPLAY, display_problem, missing_x11_packages

ROOT = Path(__file__).resolve().parents[2]


def run_app(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nexo_studio.qt.app", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)


def bare_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**env, **extra}


def test_no_display_prints_a_clear_message_and_exits_2(tmp_path):
    proc = run_app(bare_env(NEXO_DATA_DIR=str(tmp_path)))
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    assert "no display" in proc.stderr and "QT_QPA_PLATFORM=offscreen" in proc.stderr
    assert "xcb-cursor0" not in proc.stderr


def test_screenshot_without_a_display_still_renders_offscreen(tmp_path):
    out = tmp_path / "shot.png"
    proc = run_app(bare_env(NEXO_DATA_DIR=str(tmp_path)), "--screenshot", str(out))
    assert proc.returncode == 0, proc.stderr[-500:]
    assert out.stat().st_size > 0


def test_an_x_display_without_qts_x11_libraries_names_them():
    missing = missing_x11_packages()
    if not missing:
        pytest.skip("every X11 library Qt's xcb plugin needs is installed here")
    proc = run_app(bare_env(DISPLAY=":987"))
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    for pkg in missing:
        assert pkg in proc.stderr


def test_display_problem_rules():
    all_there = lambda lib: True  # noqa: E731
    none_there = lambda lib: False  # noqa: E731
    assert display_problem({}, screenshot=False, platform="linux", loads=all_there) == NO_DISPLAY
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, screenshot=True, platform="linux") == NO_DISPLAY
    assert display_problem({}, screenshot=True, platform="linux") is None  # offscreen is chosen
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, False, "linux", none_there) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, False, "linux", none_there) is None
    assert display_problem({}, False, "darwin", none_there) is None
    assert display_problem({"DISPLAY": ":0"}, False, "linux", all_there) is None
    msg = display_problem({"DISPLAY": ":0"}, False, "linux", lambda lib: "icccm" not in lib)
    assert msg is not None and "libxcb-icccm4" in msg and "libxcb-cursor0" not in msg
