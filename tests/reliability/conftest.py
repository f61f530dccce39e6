"""Reliability suite fixtures: the figures each test reports (kills survived, concurrent rounds,
inputs tried), printed at the end of the run and written to ``build/reliability-figures.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.figures import FIGURES as _FIGURES
from tests.reliability.figures import add_figure


@pytest.fixture
def figures():
    """``figures(group, key, n=1)`` adds ``n`` to a figure of this run."""
    return add_figure


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for group in sorted(_FIGURES):
        items = ", ".join(f"{k} {v}" for k, v in sorted(_FIGURES[group].items()))
        terminalreporter.write_line(f"{group}: {items}")
    out = Path(config.rootpath) / "build" / "reliability-figures.json"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({g: dict(v) for g, v in _FIGURES.items()}, indent=2, sort_keys=True) + "\n")
    except OSError:
        pass
