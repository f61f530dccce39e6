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
