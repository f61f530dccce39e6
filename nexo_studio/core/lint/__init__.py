"""Risk lint (SPEC §11): what a migration's SQL risks on a live database, and the safer way.

``lint_project`` walks a plan and returns :class:`LintFinding` s; ``estimate_rows`` reads table
sizes (read-only) that raise levels; ``RULES`` is the catalogue of rule codes.

The names load on first use: ``validate`` answered from the lint cache (``.cache``) never needs
the SQL parser, whose import alone is about 0.1 s.
"""

from __future__ import annotations

import importlib

_WHERE = {"lint_migrations": ".engine", "lint_project": ".engine", "LintFinding": ".model", "RULES": ".rules",
          "LARGE_TABLE_ROWS": ".sizes", "estimate_rows": ".sizes"}

__all__ = ["LARGE_TABLE_ROWS", "RULES", "LintFinding", "estimate_rows", "lint_migrations", "lint_project"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
