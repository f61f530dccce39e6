"""What differs between database dialects, in one place: one small class per dialect.

``rules_for(name)`` gives the rules object for a SQLAlchemy backend name or a migration-file
dialect name (``mariadb`` -> the MySQL rules). Code elsewhere asks the rules object
(``target.rules``) instead of comparing dialect names. SQL *syntax* facts (quotes, comments,
``DELIMITER``, ``GO``) stay with the statement scanner (``lexer.py``, ``splitter.py``).

Each dialect's module is imported when its rules are first asked for (or its class named):
`status` on SQLite compiles none of the others' (every run of `nexo` that touches a database).
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import DialectRules

if TYPE_CHECKING:
    from .mssql import MssqlRules
    from .mysql import MysqlRules
    from .postgresql import PostgresRules
    from .sqlite import SqliteRules

__all__ = ["DialectRules", "MssqlRules", "MysqlRules", "PostgresRules", "SqliteRules", "rules_for"]

#: dialect name -> (module of this package, its rules class); ``mariadb`` shares MySQL's rules
_WHERE = {"sqlite": ("sqlite", "SqliteRules"), "postgresql": ("postgresql", "PostgresRules"),
          "mysql": ("mysql", "MysqlRules"), "mariadb": ("mysql", "MysqlRules"), "mssql": ("mssql", "MssqlRules")}
_RULES: dict[str, DialectRules] = {}
_LOCK = threading.Lock()  # fleet targets ask from their threads: one rules object per dialect


def rules_for(name: str) -> DialectRules:
    """The rules for a dialect name; an unknown dialect gets the plain base rules."""
    found = _RULES.get(name)
    if found is None:
        with _LOCK:
            found = _RULES.get(name)
            if found is None:
                found = _RULES[name] = _make(name)
    return found


def _make(name: str) -> DialectRules:
    where = _WHERE.get(name)
    if where is None:
        found = DialectRules()
        found.name = found.display = name
        return found
    cls = getattr(import_module(f".{where[0]}", __name__), where[1])
    shared = next((r for r in _RULES.values() if type(r) is cls), None)  # mysql and mariadb: one object
    return shared if shared is not None else cls()


def __getattr__(name: str) -> Any:
    """The rules classes (``MysqlRules`` …), their module imported on first use."""
    for module, cls in _WHERE.values():
        if cls == name:
            return getattr(import_module(f".{module}", __name__), cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
