"""DDL-like text of one object of a schema document, and the two sides of a change aligned line by
line: what the GUI's Drift view shows for the object a change concerns (a column's change shows its
whole table, before and after). A reading aid, not SQL to run: it is rendered from the canonical
document (``model.py``), with the same one-liners as ``diff.py``."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .diff import Change, check_text, column_text, fk_text, index_text, object_text, pk_text, unique_text

#: object types of a change that belong to a table (the Drift view shows the whole table)
TABLE_PARTS = ("table", "column", "primary key", "unique", "index", "foreign key", "check")
_KINDS = {"view": "views", "sequence": "sequences", "trigger": "triggers", "function": "functions",
          "enum": "enums", "extension": "extensions"}
_BREAK = re.compile(r"(?<!\bLEFT)(?<!\bRIGHT)(?<!\bINNER)(?<!\bFULL)(?<!\bCROSS)(?<!\bOUTER)\s+(?=(?:FROM|WHERE|(?:LEFT |RIGHT |INNER |FULL |CROSS )?(?:OUTER )?JOIN|GROUP BY|ORDER BY|"
                    r"HAVING|UNION(?: ALL)?|RETURNS|LANGUAGE|BEGIN|END|FOR EACH|EXECUTE)\b)", re.IGNORECASE)
WIDTH = 100


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side view: ``tag`` is equal, changed, removed (left only) or added
    (right only); a side with nothing on that line is None."""

    tag: str
    before: str | None
    after: str | None


def _strip(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text


def table_lines(name: str, t: dict[str, Any] | None) -> list[str]:
    """``CREATE TABLE name (`` one line per column and constraint ``)`` and its indexes."""
    if t is None:
        return []
    # by name: a stored document's keys are sorted, a live one's are in table order
    body = [_strip(column_text("", c, d), ".") for c, d in sorted(t["columns"].items())]
    pk = pk_text("", t.get("primary_key"))
    if pk:
        body.append(_strip(pk, ": "))
    body += [_strip(unique_text("", n, u), ": ") for n, u in sorted((t.get("unique") or {}).items())]
    body += [_strip(fk_text("", n, f), ": ") for n, f in sorted((t.get("foreign_keys") or {}).items())]
    body += [_strip(check_text("", n, c), ": ") for n, c in sorted((t.get("checks") or {}).items())]
    options = " ".join(t.get("options") or ())
    lines = [f"CREATE TABLE {name} ("]
    lines += [f"    {b}," for b in body[:-1]] + ([f"    {body[-1]}"] if body else [])
    lines.append(")" + (f" {options}" if options else "") + ";")
    lines += [index_text(name, n, ix) + ";" for n, ix in sorted((t.get("indexes") or {}).items())]
    return lines


def wrap_sql(text: str, width: int = WIDTH) -> list[str]:
    """A one-line definition broken before its clauses (FROM, WHERE, JOIN, BEGIN …), then at
    ``width``, so a view or a function reads as written."""
    import textwrap

    out: list[str] = []
    for i, part in enumerate(_BREAK.split(text.replace("; ", ";\n"))):
        for line in part.split("\n"):
            indent = "    " if i and not line.upper().startswith(("BEGIN", "END")) else ""
            out += textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent + "    ",
                                 break_long_words=False, break_on_hyphens=False) or [""]
    return out


def owner(change: Change, *docs: dict[str, Any] | None) -> tuple[str, str]:
    """(collection, name) of the object to show for ``change``: a column's, an index's … table
    (the longest table name of either document that the change's name starts with)."""
    if change.object_type not in TABLE_PARTS:
        return _KINDS.get(change.object_type, change.object_type + "s"), change.name
    if change.object_type in ("table", "primary key"):
        return "tables", change.name
    names = {n for d in docs if d for n in d.get("tables", {})}
    hits = [n for n in names if change.name.startswith(n + ".")]
    return "tables", max(hits, key=len) if hits else change.name.rsplit(".", 1)[0]


def object_lines(doc: dict[str, Any] | None, kind: str, name: str) -> list[str]:
    """The DDL-like lines of ``doc[kind][name]`` ([] when it is not there)."""
    obj = (doc or {}).get(kind, {}).get(name)
    if obj is None:
        return []
    if kind == "tables":
        return table_lines(name, obj)
    return wrap_sql(object_text(kind, name, obj))


def side_by_side(change: Change, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Row]:
    """The object ``change`` concerns, in the snapshot (``before``) and live (``after``),
    aligned; changed lines paired where they correspond."""
    kind, name = owner(change, before, after)
    left, right = object_lines(before, kind, name), object_lines(after, kind, name)
    if not left and not right:  # not in the documents (a note-only change): its own one-liners
        left = [change.before] if change.before else []
        right = [change.after] if change.after else []
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [Row("equal", a, b) for a, b in zip(left[i1:i2], right[j1:j2])]
        else:
            rows += _pair(left[i1:i2], right[j1:j2])
    return rows


_NAMED = re.compile(r"^\s*(?:CREATE (?:UNIQUE )?INDEX |CONSTRAINT |CREATE (?:OR REPLACE )?(?:VIEW|FUNCTION|TRIGGER) )?"
                    r"(\S+)", re.IGNORECASE)


def _key(line: str) -> str:
    """What a line defines (a column, an index, a constraint …): lines of the same key are one
    object changed; others are one removed and one added."""
    m = _NAMED.match(line)
    return m.group(1).lower() if m else line


def _pair(a: list[str], b: list[str]) -> list[Row]:
    keys_b = [_key(x) for x in b]
    rows: list[Row] = []
    j = 0
    for line in a:
        k = _key(line)
        if k in keys_b[j:]:
            at = keys_b.index(k, j)
            rows += [Row("added", None, x) for x in b[j:at]]
            rows.append(Row("changed", line, b[at]))
            j = at + 1
        else:
            rows.append(Row("removed", line, None))
    rows += [Row("added", None, x) for x in b[j:]]
    return rows
