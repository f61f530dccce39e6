"""What would stall the GUI thread is done on the worker or batched (issue #13's responsiveness;
the figures are ``benchmarks/gui_responsiveness.py``'s)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from nexo_studio.core import events as ev
from nexo_studio.qt import gc_policy


def _write(d: Path, mid: str, depends: str = "") -> None:
    deps = f"-- depends: {depends}\n" if depends else ""
    d.joinpath(f"{mid}.sql").write_text(
        f"-- description: {mid}\n{deps}-- +up\nCREATE TABLE t_{mid[-1]} (id INTEGER);\n-- +down\nDROP TABLE t_{mid[-1]};\n",
        encoding="utf-8")


def _project(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    _write(d, "2025.01.01.000100_a")
    _write(d, "2025.01.01.000200_b", "2025.01.01.000100_a")
    _write(d, "2025.01.01.000300_c", "2024.12.31.000000_gone")
    return d


def test_table_rows_and_graph_inputs_are_built_on_the_worker(make_window, tmp_path):
    """The table's records (``reversible`` parses each file: ~35 ms at 2,000 migrations), the
    nodes and edges, the missing dependencies and the cycle come with the load; the window only
    shows them."""
    w = make_window(_project(tmp_path))
    records = w.loaded.extra["records"]
    assert w.migrations.model.records() is records
    assert [r.id for r in records] == [s.id for s in w.snapshot.states]
    assert all(r.reversible for r in records)
    layout = w.loaded.extra["layout"]
    assert "2024.12.31.000000_gone" in layout.nodes
    assert ("2024.12.31.000000_gone", "2025.01.01.000300_c") in layout.edges
    assert layout.problems == ((("2025.01.01.000300_c", "2024.12.31.000000_gone"),), None)
    assert w.graph.nodes["2024.12.31.000000_gone"].ghost  # the view drew what the worker found
    assert "2024.12.31.000000_gone" in w.graph._banner.text()


def test_a_burst_of_engine_events_is_shown_in_one_update(qtbot, make_window, tmp_path):
    """200 migrations' events arriving together: one log insert and one progress-bar change
    (QProgressBar.setValue repaints at once), every status still applied, in order."""
    w = make_window(_project(tmp_path))
    inserts, values = [], []
    w.log.model.rowsInserted.connect(lambda *a: inserts.append(a))
    w.progress.valueChanged.connect(values.append)
    before = len(w.log.model.entries())
    ids = list(w.graph.nodes)[:2]
    for i in range(1, 201):
        mid = ids[i % 2]
        w.worker.progress_changed.emit(i, 200)
        w.worker.event_emitted.emit(ev.MigrationStarted(mid, "apply", i, 200))
        w.worker.event_emitted.emit(ev.MigrationFinished(mid, "apply", "ok" if i < 200 else "failed", 1))
    assert inserts == [] and values == []  # nothing painted per event
    qtbot.waitUntil(lambda: len(w.log.model.entries()) == before + 400, timeout=5000)
    assert len(inserts) == 1
    assert values == [200] and w.progress.maximum() == 200
    assert w.log.model.entries()[-1].message.startswith("apply failed")
    assert w.migrations.model.records()[w.migrations.model.row_of(ids[0])].status == "failed"
    assert w.migrations.model.records()[w.migrations.model.row_of(ids[1])].status == "applied"
    assert w.graph.nodes[ids[0]].status == "failed"
    w.log_message("info", "after")  # the window's own line comes after the events
    assert w.log.model.entries()[-1].message == "after"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_loaded_objects_are_frozen_and_their_cycles_reclaimed_when_idle(make_window, tmp_path):
    """After a load its objects are out of the collector's way (no 145 ms full pass while the
    graph is built); the garbage they leave in reference cycles is reclaimed by ``reclaim``."""
    w = make_window(_project(tmp_path))
    frozen = gc.get_freeze_count()
    assert frozen > 0
    tracked = {id(o) for o in gc.get_objects()}
    assert id(w.loaded.project) not in tracked  # frozen: automatic passes do not scan it
    garbage = _Cycle()
    alive = weakref.ref(garbage)
    gc_policy.settle()
    del garbage
    gc.collect()
    assert alive() is not None  # frozen garbage survives an ordinary full pass...
    assert gc_policy.reclaim(force=True)
    assert alive() is None  # ...and goes at the idle reclaim
    assert gc.get_freeze_count() > 0
    assert not gc_policy.reclaim()  # no growth since: nothing to do


def test_closing_the_window_gives_its_objects_back_to_the_collector(make_window, tmp_path):
    w = make_window(_project(tmp_path))
    assert gc.get_freeze_count() > 0
    w.close()
    assert gc.get_freeze_count() == 0  # the next full pass frees what the window left
