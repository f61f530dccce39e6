"""What looking at issue #13's pictures found (packaging/pictures.py makes them): the problem
banner covered nodes, unticked check boxes were invisible in the dark theme, the deploy dialog
hid the end of the ids it names, an unreachable database's views claimed "state consistent" and
a legend of statuses no node had."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox

from nexo_studio.qt.theme import apply_theme

ROOT = Path(__file__).resolve().parents[2]


def _pictures():
    spec = importlib.util.spec_from_file_location("pictures", ROOT / "packaging" / "pictures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_problem_banner_covers_no_node_of_the_fitted_graph(qtbot, make_window, tmp_path):
    w = make_window(_pictures().write_problem_project(tmp_path / "problems"))
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: w.graph._banner.isVisible(), timeout=5000)
    w.graph.fit()
    banner = w.graph._banner.geometry()
    origin = w.graph.viewport().geometry().topLeft()
    for mid, item in w.graph.nodes.items():
        box = w.graph.mapFromScene(item.sceneBoundingRect()).boundingRect().translated(origin)
        assert not box.intersects(banner), f"{mid} is under the banner"
    assert "2025.01.15.120000_orders_archive" in w.graph._banner.text()


def test_unticked_check_boxes_have_a_visible_outline_in_the_dark_theme(qapp):
    app = QApplication.instance()
    try:
        apply_theme(app, "dark")
        box = QCheckBox("x")
        box.ensurePolished()
        pal = box.palette()
        outline = pal.color(QPalette.ColorRole.Window).darker(140)  # what Fusion draws
        base = pal.color(QPalette.ColorRole.Base)
        assert abs(outline.lightness() - base.lightness()) > 40
        assert app.palette().color(QPalette.ColorRole.Window) == QColor("#2a2e35")  # the rest as it was
    finally:
        apply_theme(app, "light")
    box = QCheckBox("y")
    box.ensurePolished()
    assert box.palette().color(QPalette.ColorRole.Window) == app.palette().color(QPalette.ColorRole.Window)


def test_an_unreachable_database_claims_nothing_about_its_state(make_window, tmp_path):
    w = make_window(url="postgresql+psycopg://nexo@127.0.0.1:9/none")
    assert not w.connected
    assert "could not be read" in w.findings.summary.text()
    assert "state are consistent" not in w.findings.summary.text()
    assert w.graph._legend.statuses == ["unknown"]


def test_the_deploy_checks_wrap_long_ids(qtbot, make_window, tmp_path):
    from tests.qt.qt_helpers import click_action, wait_dialog

    w = make_window(_pictures().write_problem_project(tmp_path / "problems"))
    click_action(qtbot, w, "deploy")
    dialog = wait_dialog(qtbot, w)
    view = dialog.checks.view
    assert view.wordWrap()
    assert not view.horizontalScrollBar().isVisible()
    assert any("orders_archive" in row for row in dialog.checks.rows())
    dialog.reject()


def test_the_pictures_script_makes_a_picture(tmp_path):
    out = tmp_path / "pics"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / "packaging" / "pictures.py"), str(out), "--theme", "dark",
                          "--only", "new-migration"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    png = out / "new-migration-dark.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
