"""Every exception the product raises is in one tree, in nexo_studio/errors.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nexo_studio import errors
from nexo_studio.core.graph import CycleDetected, MigrationGraph, Node

PACKAGE = Path(__file__).resolve().parents[2] / "nexo_studio"


def _exception_classes_outside_errors() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")).endswith(
                        ("Exception", "Error", "Interrupt", "Failed", "Cancelled")) for b in node.bases):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    return found


def test_no_exception_class_outside_errors_py():
    assert _exception_classes_outside_errors() == []


def test_a_cycle_is_invalid_input_with_its_path():
    graph = MigrationGraph([Node("a", "1", ("b",)), Node("b", "2", ("a",))])
    with pytest.raises(errors.NexoError) as info:
        graph.order()
    assert isinstance(info.value, errors.InvalidInput) and info.value.exit_code == errors.EXIT_INVALID
    assert CycleDetected is errors.CycleDetected
    assert info.value.path[0] == info.value.path[-1] and set(info.value.path) == {"a", "b"}
