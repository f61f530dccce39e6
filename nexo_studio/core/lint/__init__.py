"""Risk lint (SPEC §11): what a migration's SQL risks on a live database, and the safer way.

``lint_project`` walks a plan and returns :class:`LintFinding` s; ``estimate_rows`` reads table
sizes (read-only) that raise levels; ``RULES`` is the catalogue of rule codes.
"""

from __future__ import annotations

from .engine import lint_migrations, lint_project
from .model import LintFinding
from .rules import RULES
from .sizes import LARGE_TABLE_ROWS, estimate_rows

__all__ = ["LARGE_TABLE_ROWS", "RULES", "LintFinding", "estimate_rows", "lint_migrations", "lint_project"]
