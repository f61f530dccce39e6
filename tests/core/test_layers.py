"""Import directions inside the engine: no circles between the modules that used to form them,
and the state layer does not reach up (grimp: imports inside functions count too)."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import nexo_studio.core

GRAPH = grimp.build_graph("nexo_studio")


@pytest.mark.parametrize("a, b", [
    ("nexo_studio.core.pipeline", "nexo_studio.core.backup.operations"),
    ("nexo_studio.core.model", "nexo_studio.core.splitter"),
    ("nexo_studio.core.model", "nexo_studio.core.lexer"),
])
def test_no_import_circle(a, b):
    there = GRAPH.find_shortest_chain(importer=a, imported=b)
    back = GRAPH.find_shortest_chain(importer=b, imported=a)
    assert not (there and back), f"circle: {there} and back {back}"


def test_backups_and_backup_no_longer_collide():
    """One home for backup code: core/backup/ (the old core/backups.py is gone)."""
    assert not (Path(nexo_studio.core.__file__).parent / "backups.py").exists()
    assert "nexo_studio.core.backups" not in GRAPH.modules


def test_state_does_not_import_core_db():
    for module in GRAPH.find_children("nexo_studio.core.state"):
        assert not GRAPH.direct_import_exists(importer=module, imported="nexo_studio.core.db"), module
