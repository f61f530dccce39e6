"""``reflect(conn, dialect, schema)``: the live schema of the user's objects as a canonical document.

One small module per dialect does the catalog work; objects whose name starts with ``__`` (the
tool's own tables, restore leftovers ``__nexo_restore_old_*``) are never part of the document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from ...errors import SchemaReflectionUnsupported
from ..model import canonical_dialect
from .model import canonical_json


def reflect(conn: sa.Connection, dialect: str | None = None, schema: str | None = None) -> dict[str, Any]:
    name = canonical_dialect(dialect or conn.dialect.name)
    mod: ModuleType  # the dialect's reflector module
    if name == "sqlite":
        from . import sqlite as mod
    elif name == "postgresql":
        from . import postgresql as mod
    elif name == "mysql":
        from . import mysql as mod
    elif name == "mssql":
        from . import mssql as mod
    else:
        raise SchemaReflectionUnsupported(name)
    return mod.reflect(conn, schema)


@dataclass(frozen=True)
class SchemaSnapshot:
    """What a snapshot stores: the document, its canonical JSON text and that text's SHA-256."""

    document: dict[str, Any]
    canonical: str
    sha256: str


def snapshot(conn: sa.Connection, dialect: str | None = None, schema: str | None = None) -> SchemaSnapshot:
    doc = reflect(conn, dialect, schema)
    text = canonical_json(doc)
    return SchemaSnapshot(doc, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
