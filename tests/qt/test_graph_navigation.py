"""The graph at scale and when broken: ghost nodes for missing dependencies, red cycles said in
words, labels by level of detail, search, minimap, refit on resize -- with real input."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from nexo_studio.core.model import Migration
from nexo_studio.core.project import Project, snapshot
from nexo_studio.qt.graph import GraphView
from tests.helpers.graphs import project_from_dag, random_dag

RED = {QColor("#d32f2f").name(), QColor("#ff5c5c").name()}


def project_of(deps: dict[str, tuple[str, ...]]) -> Project:
    return Project.from_migrations(Path("."), {
        mid: Migration(mid, mid.split("_")[0], mid.split("_")[1], Path(mid + ".sql"), "sql", depends=d)
        for mid, d in deps.items()})


def shown(qtbot, project: Project, size=(1000, 600)) -> GraphView:
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(*size)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(project, snapshot(project, {}, "sqlite"))
    return v


def test_missing_dependency_is_a_ghost_node_with_a_red_edge_and_named(qtbot):
    p = project_of({"2025.01.01_a": (), "2025.01.02_b": ("2025.01.01_a", "2024.12.31_gone")})
    v = shown(qtbot, p)
    assert "2024.12.31_gone" in v.nodes and v.nodes["2024.12.31_gone"].ghost
    assert not v.nodes["2025.01.01_a"].ghost
    edge = v.edges[("2024.12.31_gone", "2025.01.02_b")]
    assert edge.pen().color().name() in RED
    assert v.edges[("2025.01.01_a", "2025.01.02_b")].pen().color().name() not in RED
    assert v._banner.isVisible() and "2024.12.31_gone" in v._banner.text()
    # hovering the dependent and leaving keeps the ghost edge red
    qtbot.mouseMove(v.viewport(), v.node_viewport_pos("2025.01.02_b"))
    qtbot.mouseMove(v.viewport(), QPoint(2, v.viewport().height() - 2))
    assert edge.pen().color().name() in RED


def test_cycle_is_drawn_red_and_said_in_words(qtbot):
    p = project_of({"2025.01.01_a": ("2025.01.03_c",), "2025.01.02_b": ("2025.01.01_a",),
                    "2025.01.03_c": ("2025.01.02_b",)})
    v = shown(qtbot, p)
    back = v.layout_result.back_edges
    assert back
    for e in back:
        assert v.edges[e].pen().color().name() in RED
        assert v.edges[e].pen().style() == Qt.PenStyle.DashLine
    assert "cycle" in v._banner.text().lower() and "2025.01.01_a" in v._banner.text()


def test_sound_project_has_no_banner(qtbot):
    nodes, edges = random_dag(10)
    v = shown(qtbot, project_from_dag(nodes, edges))
    assert not v._banner.isVisible()


def test_80_nodes_fitted_shows_labels(qtbot):
    nodes, edges = random_dag(80)
    v = shown(qtbot, project_from_dag(nodes, edges))
    assert v.zoom < v.TEXT_SCALE  # zoomed out past the node items
    v.viewport().grab()
    assert v._overview.drawn_labels >= 10


def test_2000_nodes_fitted_labels_some_and_has_a_minimap(qtbot):
    nodes, edges = random_dag(2000)
    v = shown(qtbot, project_from_dag(nodes, edges))
    v.viewport().grab()
    assert 0 < v._overview.drawn_labels <= 400
    # the minimap shows once part of the graph is out of view (hidden while all of it shows)
    v.zoom_by(8.0)
    assert v._minimap.isVisible()
    v.fit()
    assert v._minimap.isVisible() == (not v.mapToScene(v.viewport().rect()).boundingRect()
                                      .adjusted(-2, -2, 2, 2).contains(v.sceneRect()))


def test_the_minimap_does_not_cover_a_small_graph_shown_whole(qtbot):
    nodes, edges = random_dag(9)
    v = shown(qtbot, project_from_dag(nodes, edges))
    assert not v._minimap.isVisible()
    v.zoom_by(8.0)
    assert v._minimap.isVisible()


def test_search_selects_highlights_and_centres(qtbot):
    nodes, edges = random_dag(300)
    v = shown(qtbot, project_from_dag(nodes, edges))
    qtbot.mouseClick(v._search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(v._search, "m00150")
    target = next(m for m in v.nodes if m.endswith("m00150"))
    assert v.selected_id == target and v.hovered_id == target
    centre = v.viewport().rect().center()
    pos = v.node_viewport_pos(target)
    # centred (as far as the scene's edge allows)
    assert abs(pos.x() - centre.x()) < v.viewport().width() / 4
    assert abs(pos.y() - centre.y()) < v.viewport().height() / 4
    assert v.zoom >= v.TEXT_SCALE  # readable
    qtbot.keyClicks(v._search, "")
    v._search.setText("m0001")  # m00010..m00019
    qtbot.keyClick(v._search, Qt.Key.Key_Return)
    first = v.selected_id
    qtbot.keyClick(v._search, Qt.Key.Key_Return)
    assert v.selected_id != first and "m0001" in v.selected_id


def test_minimap_click_moves_the_view(qtbot):
    nodes, edges = random_dag(300)
    v = shown(qtbot, project_from_dag(nodes, edges))
    v.zoom_by(8.0)
    mm = v._minimap
    qtbot.mouseClick(mm, Qt.MouseButton.LeftButton, pos=QPoint(mm.width() - 10, mm.height() // 2))
    target = mm.to_scene(QPointF(mm.width() - 10, mm.height() // 2))
    centre = v.mapToScene(v.viewport().rect().center())
    assert abs(centre.x() - target.x()) < 0.1 * v.sceneRect().width() or \
        centre.x() >= v.sceneRect().right() - v.viewport().width() / v.zoom  # clamped at the edge
    assert centre.x() > v.sceneRect().center().x()


@pytest.mark.parametrize("grow", [True, False])
def test_resize_refits_until_the_user_zooms(qtbot, grow):
    nodes, edges = random_dag(80)
    v = shown(qtbot, project_from_dag(nodes, edges), (900, 500) if grow else (1400, 800))
    before = v.zoom
    v.resize(1400, 800) if grow else v.resize(900, 500)
    qtbot.wait(20)
    assert (v.zoom > before * 1.2) if grow else (v.zoom < before / 1.2)
    visible = v.mapToScene(v.viewport().rect()).boundingRect()
    assert visible.adjusted(-2, -2, 2, 2).contains(v.sceneRect())
    v.zoom_by(2.0)
    zoomed = v.zoom
    v.resize(1000, 700)
    qtbot.wait(20)
    assert v.zoom == pytest.approx(zoomed)  # the user's zoom is kept
