"""The lint rules: one module per family; each check is a small function over one parsed
statement and a :class:`~..model.RuleContext`, yielding :class:`~..model.Hit` s."""

from __future__ import annotations

from . import columns, destructive, locking, other
from .other import command_hits

CHECKS = destructive.CHECKS + columns.CHECKS + locking.CHECKS + other.CHECKS
#: the catalogue: every rule code with its default level, what it catches and the safer way
RULES = destructive.RULES + columns.RULES + locking.RULES + other.RULES

__all__ = ["CHECKS", "RULES", "command_hits"]
