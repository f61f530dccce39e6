"""``reflect(conn, dialect, schema)``: the live schema of the user's objects as a canonical document.

One small module per dialect does the catalog work; objects whose name starts with ``__`` (the
tool's own tables, restore leftovers ``__nexo_restore_old_*``) are never part of the document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..model import canonical_dialect
from .model import canonical_json


def reflect(conn: sa.Connection, dialect: str | None = None, schema: str | None = None) -> dict[str, Any]:
    from ..dialects import rules_for

    # the dialect's reflector module (core/schema/NAME.py); an unknown dialect's rules refuse
    return rules_for(canonical_dialect(dialect or conn.dialect.name)).reflector().reflect(conn, schema)


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
