"""What differs between database dialects, in one place: one small class per dialect.

``rules_for(name)`` gives the rules object for a SQLAlchemy backend name or a migration-file
dialect name (``mariadb`` -> the MySQL rules). Code elsewhere asks the rules object
(``target.rules``) instead of comparing dialect names. SQL *syntax* facts (quotes, comments,
``DELIMITER``, ``GO``) stay with the statement scanner (``lexer.py``, ``splitter.py``).
"""

from __future__ import annotations

from .base import DialectRules
from .mssql import MssqlRules
from .mysql import MysqlRules
from .postgresql import PostgresRules
from .sqlite import SqliteRules

__all__ = ["DialectRules", "MssqlRules", "MysqlRules", "PostgresRules", "SqliteRules", "rules_for"]

_RULES: dict[str, DialectRules] = {r.name: r for r in (SqliteRules(), PostgresRules(), MysqlRules(), MssqlRules())}
_RULES["mariadb"] = _RULES["mysql"]


def rules_for(name: str) -> DialectRules:
    """The rules for a dialect name; an unknown dialect gets the plain base rules."""
    found = _RULES.get(name)
    if found is None:
        found = _RULES[name] = DialectRules()
        found.name = found.display = name
    return found
