"""Risk lint in the window: a risk badge (the highest lint level of the pending up) on table
rows, and lint findings in the Findings panel, whose double-click opens the line."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.helpers.projects import write_sql
from tests.qt.qt_helpers import click_action, deploy_by_clicking

DROP = "2025.04.01.000000_drop_projects"


def test_risk_badge_and_lint_findings(qtbot, make_window, sample_copy):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    write_sql(sample_copy, DROP, "SELECT 1;\nDROP TABLE api_tokens;", depends=["2025.03.18.150000_api_tokens"])
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    model = w.migrations.model
    row = model.row_of(DROP)
    risk = model.index(row, model.RISK)
    assert model.data(risk) == "error" and model.data(risk, Qt.ItemDataRole.DecorationRole) is not None
    applied = model.index(model.row_of("2025.01.26.093000_initial_schema"), model.RISK)
    assert model.data(applied) == ""  # applied: nothing pending to risk
    assert model.headerData(model.RISK, Qt.Orientation.Horizontal) == "Risk"
    # the finding in the Findings panel; a double-click opens the file at the statement's line
    fm = w.findings.model
    i = next(i for i in range(fm.rowCount()) if fm.finding(i).code == "lint:drop_table")
    finding = fm.finding(i)
    assert finding.ids == (DROP,) and finding.level == "error" and finding.line
    w.findings_dock.show()
    view = w.findings.view
    view.scrollTo(fm.index(i, 3))
    rect = view.visualRect(fm.index(i, 3))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.tabs.currentWidget() is w.sql
    assert w.sql.code.current_marked_line() == finding.line
    lines = w.sql.code.toPlainText().splitlines()
    assert "DROP TABLE api_tokens" in lines[finding.line - w.sql.code.first_line]


def _badge_pixel(item):
    """The node painted alone; the colour at the badge's centre (its top-right corner)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QImage, QPainter

    rect = item.boundingRect()
    img = QImage(int(rect.width()) + 2, int(rect.height()) + 2, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(-rect.left(), -rect.top())
    item.paint(p, None, None)
    p.end()
    centre = QPointF(item.W / 2 - 4, -item.H / 2 + 4) - rect.topLeft()
    return img.pixelColor(int(centre.x()) - 3, int(centre.y()))


def test_graph_node_risk_badge(qtbot, make_window, sample_copy):
    """SPEC §11: the pending DROP TABLE's node carries a red "!" badge naming the rule; the
    other nodes (applied, nothing pending to risk) carry none."""
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    write_sql(sample_copy, DROP, "SELECT 1;\nDROP TABLE api_tokens;", depends=["2025.03.18.150000_api_tokens"])
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    qtbot.waitUntil(lambda: DROP in w.graph.nodes, timeout=10000)
    node = w.graph.nodes[DROP]
    assert node.risk == "error" and "drop_table" in node.risk_rules
    assert "drop_table" in w.graph.tooltip_for(DROP)
    others = [item for mid, item in w.graph.nodes.items() if mid != DROP]
    assert others and all(item.risk == "" for item in others)
    red = _badge_pixel(node)
    assert red.red() > 180 and red.green() < 90 and red.blue() < 90, red.name()
    plain = _badge_pixel(others[0])
    assert not (plain.red() > 180 and plain.green() < 90), plain.name()
    assert "drop_table" not in w.graph.tooltip_for(others[0].mid)
