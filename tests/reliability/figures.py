"""The figures of a reliability run (kills survived, rounds, inputs tried), shared by the tests
and the conftest that prints them. A module of its own: a conftest is imported under a name of
pytest's choosing, so a test importing it would get a second copy with its own counts."""

from __future__ import annotations

from collections import defaultdict

FIGURES: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


def add_figure(group: str, key: str, n: int = 1) -> None:
    """Add ``n`` to a figure of this run (usable where a fixture is not, e.g. under hypothesis)."""
    FIGURES[group][key] += n
