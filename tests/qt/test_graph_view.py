"""GraphView: layout properties, scene contents, real mouse input, and a 2,000-node DAG."""

from __future__ import annotations

import gc
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from nexo_studio.core.project import Project, Snapshot, snapshot
from nexo_studio.qt.graph import (
    NODE_HEIGHT,
    GraphView,
    layered_layout,
)
from nexo_studio.qt.palette import STATUS_COLOURS
from tests.helpers.graphs import project_from_dag, random_dag

SAMPLE = Path(__file__).resolve().parents[2] / "migrations"


def with_statuses(snap: Snapshot, statuses: dict[int, str]) -> Snapshot:
    states = tuple(replace(s, status=statuses.get(i, s.status)) for i, s in enumerate(snap.states))
    out = Snapshot(snap.dialect, states, snap.findings)
    out.by_id.update({s.id: s for s in states})
    return out


@pytest.fixture
def sample() -> tuple[Project, Snapshot]:
    project = Project.load(SAMPLE)
    snap = snapshot(project, {}, "sqlite")
    # some applied, one failed, the rest pending
    return project, with_statuses(snap, {0: "applied", 1: "applied", 2: "applied", 3: "applied",
                                         4: "failed", 8: "applied"})


@pytest.fixture
def view(qtbot, sample) -> GraphView:
    project, snap = sample
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(project, snap)
    return v


# -- layout (pure) -----------------------------------------------------------------------------

def test_layers_follow_longest_path_and_edges_point_right():
    nodes, edges = random_dag(300)
    layout = layered_layout(nodes, edges)
    for a, b in edges:
        assert layout.layers[a] < layout.layers[b]
        assert layout.positions[a][0] < layout.positions[b][0]
    # longest path: a node sits one layer after its deepest dependency
    deps: dict[str, list[str]] = {}
    for a, b in edges:
        deps.setdefault(b, []).append(a)
    for n in nodes:
        expected = max((layout.layers[d] + 1 for d in deps.get(n, ())), default=0)
        assert layout.layers[n] == expected


def test_nodes_of_a_layer_do_not_overlap():
    nodes, edges = random_dag(300, seed=7)
    layout = layered_layout(nodes, edges)
    by_layer: dict[int, list[float]] = {}
    for n in nodes:
        by_layer.setdefault(layout.layers[n], []).append(layout.positions[n][1])
    for ys in by_layer.values():
        ys.sort()
        assert all(b - a >= NODE_HEIGHT for a, b in zip(ys, ys[1:]))


def test_long_edges_are_routed_through_every_layer_they_cross():
    layout = layered_layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])
    assert len(layout.routes[("a", "d")]) == 2
    assert layout.routes[("a", "b")] == ()


def test_crossing_reduction_untangles_a_tree():
    # initial order puts the children of r1 and r2 interleaved; a tree can always be drawn flat
    nodes = ["r", "x", "y", "x1", "y1", "x2", "y2"]
    edges = [("r", "x"), ("r", "y"), ("x", "x1"), ("y", "y1"), ("x", "x2"), ("y", "y2")]
    assert layered_layout(nodes, edges).crossings == 0


def test_cycle_still_lays_out_with_back_edges():
    layout = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert set(layout.positions) == {"a", "b", "c"}
    assert layout.back_edges


def test_layout_of_2000_nodes(capsys):
    nodes, edges = random_dag(2000)
    started = time.perf_counter()
    layout = layered_layout(nodes, edges)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nlayout 2,000 nodes / {len(edges)} edges: {seconds:.3f} s, "
              f"{layout.layer_count} layers, {layout.crossings} crossings")
    assert len(layout.positions) == 2000


# -- the view ----------------------------------------------------------------------------------

def test_one_node_per_migration_and_one_edge_per_dependency(view, sample):
    project, _ = sample
    assert set(view.nodes) == set(project.migrations)
    assert set(view.edges) == set(project.graph.edges())
    assert len(view.edges) == sum(len(m.depends) for m in project.migrations.values())


def test_node_colours_follow_status(view, sample):
    _, snap = sample
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()
    for st in snap.states:
        item = view.nodes[st.id]
        assert item.status == st.status
        # a pixel inside the node, right of the text: the status tint of the fill
        p = view.mapFromScene(item.scenePos() + QPointF(item.W / 2 - 4, NODE_HEIGHT / 2 - 4))
        pixel = image.pixelColor(int(p.x() * ratio), int(p.y() * ratio))
        expected = view._colours.fills[st.status]
        assert abs(pixel.red() - expected.red()) < 12, (st.id, st.status, pixel.name(), expected.name())
        assert abs(pixel.green() - expected.green()) < 12
        assert abs(pixel.blue() - expected.blue()) < 12
    # the three statuses of the picture are three different colours
    assert len({STATUS_COLOURS[s] for s in ("applied", "pending", "failed")}) == 3


def test_update_statuses_recolours_without_relayout(view, sample):
    project, snap = sample
    before = {mid: item.pos() for mid, item in view.nodes.items()}
    all_applied = with_statuses(snap, {i: "applied" for i in range(len(snap.states))})
    view.update_statuses(all_applied)
    assert all(item.status == "applied" for item in view.nodes.values())
    assert {mid: item.pos() for mid, item in view.nodes.items()} == before


def test_click_on_a_node_emits_migration_selected(qtbot, view, sample):
    target = "2025.02.11.140000_projects"
    with qtbot.waitSignal(view.migration_selected, timeout=2000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.node_viewport_pos(target))
    assert blocker.args == [target]
    assert view.selected_id == target and view.nodes[target].selected


def test_click_on_empty_space_emits_nothing(qtbot, view):
    with qtbot.assertNotEmitted(view.migration_selected):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))


def test_right_click_requests_a_context_menu(qtbot, view):
    target = "2025.01.26.094500_user_roles"
    pos = view.node_viewport_pos(target)
    with qtbot.waitSignal(view.context_menu_requested, timeout=2000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=pos)
    mid, global_pos = blocker.args
    assert mid == target
    assert global_pos == view.viewport().mapToGlobal(pos)


def test_double_click_activates(qtbot, view):
    target = "2025.03.18.150000_api_tokens"
    with qtbot.waitSignal(view.migration_activated, timeout=2000) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.node_viewport_pos(target))
    assert blocker.args == [target]


def test_hover_highlights_dependencies_and_dependents(qtbot, view, sample):
    project, _ = sample
    target = "2025.02.04.110000_audit_columns"
    qtbot.mouseMove(view.viewport(), view.node_viewport_pos(target))
    qtbot.waitUntil(lambda: view.hovered_id == target, timeout=2000)
    deps, dependents = view.highlighted
    assert deps == project.graph.dependencies(target)
    assert dependents == project.graph.dependents(target)
    lit = deps | dependents | {target}
    assert {m for m, item in view.nodes.items() if item.lit} == lit
    assert view._veil.isVisible()
    # unrelated nodes stay under the veil
    assert view.nodes["2025.03.18.150000_api_tokens"].zValue() < view._veil.zValue()
    assert view.nodes[target].zValue() > view._veil.zValue()
    qtbot.mouseMove(view.viewport(), QPoint(3, 3))
    qtbot.waitUntil(lambda: view.hovered_id is None, timeout=2000)
    assert not view._veil.isVisible()
    assert not any(item.lit for item in view.nodes.values())


def test_select_by_code_does_not_emit(qtbot, view):
    with qtbot.assertNotEmitted(view.migration_selected):
        view.select("2025.02.12.091500_subscriptions")
    assert view.nodes["2025.02.12.091500_subscriptions"].selected
    view.select(None)
    assert not any(item.selected for item in view.nodes.values())


def test_wheel_zooms_and_f_fits(qtbot, view):
    from PySide6.QtCore import QPointF as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    fitted = view.zoom
    centre = P(view.viewport().width() / 2, view.viewport().height() / 2)
    event = QWheelEvent(centre, P(view.viewport().mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom > fitted * 1.2
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.zoom == pytest.approx(fitted, rel=1e-3)


def test_small_graph_text_is_readable_after_fit(view):
    # 9 nodes in 1000x600: fit does not shrink text into illegibility
    assert view.zoom >= 0.6
    assert view.node_width_for(view._project) >= view._name_metrics.horizontalAdvance("organization_overview")


def test_2000_node_graph_builds_paints_and_hovers(qtbot, capsys):
    nodes, edges = random_dag(2000)
    project = project_from_dag(nodes, edges)
    snap = snapshot(project, {}, "sqlite")
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    qtbot.waitExposed(v)
    started = time.perf_counter()
    v.set_data(project, snap)
    built = time.perf_counter() - started
    started = time.perf_counter()
    v.grab()
    painted_fit = time.perf_counter() - started
    v.zoom_by(1.0 / v.zoom)
    some = snap.states[1000].id
    v.select(some)
    started = time.perf_counter()
    v.grab()
    painted_1x = time.perf_counter() - started
    started = time.perf_counter()
    v.highlight(some)
    hovered = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n2,000-node graph: set_data {built:.3f} s (layout {v.layout_result.seconds:.3f} s), "
              f"paint fitted {painted_fit * 1000:.0f} ms, paint 1:1 {painted_1x * 1000:.0f} ms, "
              f"hover {hovered * 1000:.0f} ms")
    assert len(v.nodes) == 2000 and len(v.edges) == len(set(edges))
    assert v.highlighted[0] == project.graph.dependencies(some)
    # clicking works at 1:1 on a big graph too
    with qtbot.waitSignal(v.migration_selected, timeout=2000) as blocker:
        qtbot.mouseClick(v.viewport(), Qt.MouseButton.LeftButton, pos=v.node_viewport_pos(some))
    assert blocker.args == [some]


def test_dark_palette_keeps_status_colours(qtbot, sample):
    from PySide6.QtGui import QPalette

    project, snap = sample
    v = GraphView()
    qtbot.addWidget(v)
    pal = v.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    pal.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    v.setPalette(pal)
    v.set_data(project, snap)
    assert v._colours.dark
    # fills are darker than the light-theme ones but keep the hue of the status colour
    for status in ("applied", "pending", "failed"):
        fill = v._colours.fills[status]
        assert fill.lightnessF() < 0.4
        assert abs(fill.hslHueF() - QColor(STATUS_COLOURS[status]).hslHueF()) < 0.05


def test_async_build_keeps_the_gui_thread_responsive(qtbot, capsys):
    from PySide6.QtCore import QTimer

    from nexo_studio.qt.graph import project_layout

    nodes, edges = random_dag(2000)
    project = project_from_dag(nodes, edges)
    snap = snapshot(project, {}, "sqlite")
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(project, snap)  # something to replace, like a refresh after an operation
    layout = project_layout(project, snap, v.node_width_for(project, snap))  # a worker's job
    # the app is expected to gc.freeze() after start-up: with PySide6 loaded, a full collection
    # otherwise walks ~55k long-lived objects (~100 ms here) whenever it happens to trigger
    gc.collect()
    gc.freeze()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.wait(20)
    started = time.perf_counter()
    with qtbot.waitSignal(v.data_ready, timeout=20000):
        v.set_data_async(project, snap, layout)
    qtbot.waitUntil(lambda: not v.building, timeout=20000)
    total = time.perf_counter() - started
    qtbot.wait(20)
    timer.stop()
    gc.unfreeze()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    with capsys.disabled():
        print(f"\nasync rebuild of 2,000 nodes: {total:.3f} s, longest GUI-thread gap "
              f"{max(gaps) * 1000:.0f} ms")
    assert len(v.nodes) == 2000 and v.scene().sceneRect().width() > 0
    some = snap.states[500].id
    v.select(some)
    assert v.nodes[some].selected


def test_zoomed_out_draws_one_overview_item_and_still_highlights(qtbot):
    nodes, edges = random_dag(600, seed=5)
    project = project_from_dag(nodes, edges)
    snap = snapshot(project, {}, "sqlite")
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(800, 500)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(project, snap)
    assert v.zoom < v.TEXT_SCALE  # 600 nodes fitted: too small for text
    assert v._overview.isVisible()
    assert not any(item.isVisible() for item in v.nodes.values())
    assert not any(e.isVisible() for e in v.edges.values())
    some = snap.states[300].id
    v.highlight(some)
    assert v._lit_overview.isVisible()
    lit_edges = [e for e in v.edges.values() if e.isVisible()]
    assert lit_edges and all(e.zValue() > v._veil.zValue() for e in lit_edges)
    v.highlight(None)
    assert not any(e.isVisible() for e in v.edges.values())
    # zooming in past the threshold brings the real items back
    v.zoom_by(1.0 / v.zoom)
    assert not v._overview.isVisible()
    assert all(item.isVisible() for item in v.nodes.values())
    assert all(e.isVisible() for e in v.edges.values())
    assert not v.grab().isNull()


def test_tooltip_names_status_description_and_neighbours(view, sample):
    project, _ = sample
    mid = "2025.02.12.091500_subscriptions"
    text = view.tooltip_for(mid)
    assert "subscriptions" in text and "Failed" in text and "Billing" in text
    assert f"depends on {len(project.graph.dependencies(mid))}" in text
    assert f"needed by {len(project.graph.dependents(mid))}" in text


def test_return_key_activates_the_selected_node(qtbot, view):
    view.select("2025.01.26.093000_initial_schema")
    view.setFocus()
    with qtbot.waitSignal(view.migration_activated, timeout=2000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == ["2025.01.26.093000_initial_schema"]


def test_set_status_recolours_one_node_and_the_overview(qtbot, view):
    mid = "2025.03.04.120000_backfill_member_role"
    view.set_status(mid, "applied")
    assert view.nodes[mid].status == "applied"
    qtbot.waitUntil(lambda: not view._overview_refresh_pending, timeout=2000)
    view.set_status(mid, "dirty")
    qtbot.waitUntil(lambda: "dirty" in view._legend.statuses, timeout=2000)
    assert "dirty" in view._overview._rects


def test_legend_lists_only_the_statuses_shown(qtbot, make_window):
    """A fresh database, nothing applied: the legend does not list "Applied"; after a deploy by
    clicks it does, and no longer lists "Pending" (issue #16)."""
    from tests.qt.qt_helpers import deploy_by_clicking

    w = make_window()
    legend = w.graph._legend
    assert legend.statuses == ["pending"], legend.statuses
    assert deploy_by_clicking(qtbot, w).ok
    qtbot.waitUntil(lambda: legend.statuses == ["applied"], timeout=20000)
