"""Tampered history rows are marked in the history table and the timeline (the snapshot's chain
verdict), not only in the details pane."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from tests.qt.qt_helpers import click_action, deploy_by_clicking


def test_tampered_rows_are_marked(qtbot, make_window, sample_copy, db_file):
    w = make_window(sample_copy)
    assert deploy_by_clicking(qtbot, w).ok
    with sqlite3.connect(db_file) as conn:
        conn.execute('UPDATE "__MigrationHistory" SET operator = ? WHERE seq = 5', ("mallory",))
    with qtbot.waitSignal(w.operation_finished, timeout=20000, check_params_cb=lambda o: o.name == "refresh"):
        click_action(qtbot, w, "refresh")
    model = w.history.model
    bad, good = model.index(model.row_of_seq(5), 0), model.index(model.row_of_seq(4), 0)
    assert "Tampered" in (model.data(bad, Qt.ItemDataRole.ToolTipRole) or "")
    assert model.data(bad, Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(good, Qt.ItemDataRole.DecorationRole) is None
    assert model.data(good, Qt.ItemDataRole.BackgroundRole) is None
    # the timeline rings the tampered event in red
    tl = w.history.timeline
    assert 5 in tl.broken_seqs and 4 not in tl.broken_seqs
    w.history.show()
    tl.resize(900, 240)
    tl.fit_all()
    img = tl.grab().toImage()
    pos = tl.event_position(5)
    r = int(tl.RADIUS + 3)

    def reds(p) -> int:
        n = 0
        for dx in range(-r - 2, r + 3):
            for dy in range(-r - 2, r + 3):
                x, y = p.x() + dx, p.y() + dy
                if 0 <= x < img.width() and 0 <= y < img.height():
                    c = QColor(img.pixel(x, y))
                    n += c.red() > 180 and c.green() < 110 and c.blue() < 110
        return n

    assert reds(pos) > 6
