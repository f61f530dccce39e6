"""The canonical schema document: plain dicts that serialise to the same bytes for the same schema.

A document is ``{"format": 1, "dialect": ..., "tables": {...}, "views": {...}, ...}``; every
collection of named objects is a dict keyed by name (so order never matters), lists hold only
things whose order is meaningful (the columns of a key or an index). ``canonical_json`` sorts
keys and uses fixed separators, so ``sha256(doc)`` is a fingerprint of the schema itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

FORMAT = 1

#: top-level collections besides "tables", in the order a reader expects them
OBJECT_KINDS = ("views", "sequences", "triggers", "functions", "enums", "extensions")

_SPACE = re.compile(r"\s+")
_INNER_SPACE = re.compile(r"(?<=\()\s+|\s+(?=[),])")


def empty_document(dialect: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT, "dialect": dialect, "tables": {}}
    for kind in OBJECT_KINDS:
        doc[kind] = {}
    return doc


def table(columns: dict[str, dict] | None = None) -> dict[str, Any]:
    return {"columns": columns or {}, "primary_key": None, "unique": {}, "indexes": {},
            "foreign_keys": {}, "checks": {}}


def column(type_: str, nullable: bool, default: str | None = None, *, identity: str | None = None,
           generated: str | None = None) -> dict[str, Any]:
    return {"type": normalise_type(type_), "nullable": bool(nullable), "default": normalise_sql(default),
            "identity": identity, "generated": normalise_sql(generated)}


def normalise_sql(text: str | None) -> str | None:
    """Whitespace collapsed, none inside parentheses or before commas, no trailing ``;``."""
    if text is None:
        return None
    out = _SPACE.sub(" ", str(text)).strip().rstrip(";").strip()
    out = _INNER_SPACE.sub("", out)
    return out


def normalise_type(text: str) -> str:
    return (normalise_sql(text) or "").upper()


def is_internal(name: str | None) -> bool:
    """The tool's own objects (``__Migrations``, ``__nexo_restore_old_*`` ...) are never reflected."""
    return bool(name) and str(name).startswith("__")


def canonical_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
