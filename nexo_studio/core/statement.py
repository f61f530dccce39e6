"""The smallest pieces of migration text, below both the model and the statement scanner:
``model.py`` uses the splitter and the splitter returns ``Statement``s, so they live here (no
import circle between ``model.py`` and ``splitter.py``/``lexer.py``)."""

from __future__ import annotations

from dataclasses import dataclass


def canonical_dialect(name: str) -> str:
    """SQLAlchemy dialect name -> the name used in migration files (``mariadb`` -> ``mysql``)."""
    return "mysql" if name == "mariadb" else name


@dataclass(frozen=True)
class Statement:
    """One statement to send to the database verbatim. ``line`` is 1-based, in the file."""

    sql: str
    line: int
