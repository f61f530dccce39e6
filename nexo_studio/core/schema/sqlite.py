"""SQLite: PRAGMA table-valued functions joined to sqlite_master (one query per aspect), and
SQLAlchemy's inspector for what only the CREATE TABLE text holds (named unique, check and
foreign-key constraints). Table text itself is never compared: ALTER TABLE rewrites it."""

from __future__ import annotations

import re
import warnings
from typing import Any

import sqlalchemy as sa

from .model import column, empty_document, is_internal, normalise_sql, table

_GENERATED = re.compile(r"\b(?:GENERATED\s+ALWAYS\s+)?AS\s*\(", re.I)
_STORED = re.compile(r"^\s*STORED\b", re.I)


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _balanced(text: str, start: int) -> tuple[str, int]:
    """The text inside the parenthesis opening at ``start`` and the index after it closes."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return text[start + 1:], len(text)


def _unquote(name: str) -> str:
    name = name.strip()
    if name[:1] in "\"`[" and len(name) > 1:
        return name[1:-1]
    return name


_CONSTRAINT_WORDS = ("CONSTRAINT", "CHECK", "PRIMARY", "UNIQUE", "FOREIGN")
_COLLATE = re.compile(r"\bCOLLATE\s+(\"[^\"]+\"|\w+)", re.I)
_OPTIONS = re.compile(r"\b(WITHOUT\s+ROWID|STRICT)\b", re.I)


def _generated(part: str) -> tuple[str, str] | None:
    m = _GENERATED.search(part)
    if not m:
        return None
    expr, end = _balanced(part, m.end() - 1)
    return ("stored" if _STORED.match(part[end:]) else "virtual"), expr


def _table_text(sql: str | None) -> tuple[dict[str, dict], list[str]]:
    """From a CREATE TABLE text: per column its generated expression and collation (no PRAGMA
    gives them), and the table options (WITHOUT ROWID, STRICT, AUTOINCREMENT)."""
    if not sql or "(" not in sql:
        return {}, []
    body, end = _balanced(sql, sql.index("("))
    columns, options = {}, [(normalise_sql(o) or "").upper() for o in _OPTIONS.findall(sql[end:])]
    for part in _split_top(body):
        if part.split()[0].upper() in _CONSTRAINT_WORDS:
            continue
        gen = _generated(part)
        collate = _COLLATE.search(part)
        columns[_unquote(part.split()[0])] = {
            "generated": f"{gen[0]}: {normalise_sql(gen[1])}" if gen else None,
            "collation": _unquote(collate.group(1)).upper() if collate else None}
        if re.search(r"\bAUTOINCREMENT\b", part, re.I):
            options.append("AUTOINCREMENT")
    return columns, sorted(options)


def _index_parts(sql: str) -> tuple[list[str], str | None]:
    m = re.search(r"\bON\s+(?:\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|\S+?)\s*\(", sql, re.I)
    if not m:
        return [], None
    inner, end = _balanced(sql, m.end() - 1)
    rest = sql[end:]
    w = re.search(r"\bWHERE\b", rest, re.I)
    cols = [normalise_sql(_unquote(c) if re.fullmatch(r"[\"`\[]?\w+[\"`\]]?", c) else c) or "" for c in _split_top(inner)]
    return cols, normalise_sql(rest[w.end():]) if w else None


def reflect(conn: sa.Connection, schema: str | None = None) -> dict[str, Any]:
    doc = empty_document("sqlite")
    prefix = f'"{schema}".' if schema else ""
    master = f"{prefix}sqlite_master"
    objects = conn.exec_driver_sql(f"SELECT type, name, tbl_name, sql FROM {master}").all()
    tables = {n: sql for t, n, _, sql in objects if t == "table" and not n.startswith("sqlite_") and not is_internal(n)}
    arg = f", '{schema}'" if schema else ""
    parsed: dict[str, dict] = {}
    for tname, name, ctype, notnull, dflt, pk, hidden in conn.exec_driver_sql(
            f"SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden FROM {master} m "
            f"JOIN pragma_table_xinfo(m.name{arg}) p WHERE m.type = 'table' ORDER BY m.name, p.cid"):
        if tname not in tables:
            continue
        if tname not in doc["tables"]:
            doc["tables"][tname] = table()
            parsed[tname], options = _table_text(tables[tname])
            if options:
                doc["tables"][tname]["options"] = options
        t = doc["tables"][tname]
        text = parsed[tname].get(name, {})
        t["columns"][name] = column(ctype or "", not notnull and not pk, dflt,
                                    generated=text.get("generated") if hidden in (2, 3) else None)
        if text.get("collation"):
            t["columns"][name]["collation"] = text["collation"]
        if pk:
            t["primary_key"] = t["primary_key"] or {"name": None, "columns": []}
            t["primary_key"]["columns"].append((pk, name))
    for t in doc["tables"].values():
        if t["primary_key"]:
            t["primary_key"]["columns"] = [n for _, n in sorted(t["primary_key"]["columns"])]
    _indexes(conn, doc, master, objects)
    _constraints(conn, doc, schema, tables)
    for kind, name, tbl, sql in objects:
        if is_internal(name) or is_internal(tbl) or name.startswith("sqlite_"):
            continue
        if kind == "view":
            doc["views"][name] = {"definition": normalise_sql(sql)}
        elif kind == "trigger":
            doc["triggers"][f"{tbl}.{name}"] = {"table": tbl, "definition": normalise_sql(sql)}
    return doc


def _indexes(conn: sa.Connection, doc: dict, master: str, objects) -> None:
    sql_of = {n: sql for t, n, _, sql in objects if t == "index"}
    for tbl, name, unique, origin in conn.exec_driver_sql(
            f"SELECT m.name, il.name, il.\"unique\", il.origin FROM {master} m "
            f"JOIN pragma_index_list(m.name) il WHERE m.type = 'table'"):
        if tbl not in doc["tables"] or origin != "c" or is_internal(name):
            continue
        cols, where = _index_parts(sql_of.get(name) or "")
        doc["tables"][tbl]["indexes"][name] = {"columns": cols, "unique": bool(unique), "where": where,
                                               "method": None}


#: the word each kind of constraint needs in the CREATE TABLE text: a table whose text lacks it
#: has none of that kind, and the inspector (which reads and parses that text again, for each
#: kind, per table: three quarters of a snapshot's time) is not asked
_UNIQUE, _CHECK, _REFERENCES = (re.compile(rf"\b{w}\b", re.I) for w in ("UNIQUE", "CHECK", "REFERENCES"))


def _constraints(conn: sa.Connection, doc: dict, schema: str | None, texts: dict[str, str | None]) -> None:
    insp = sa.inspect(conn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # expression indexes: read from the text
        for tname, t in doc["tables"].items():
            text = texts.get(tname) or ""
            if _UNIQUE.search(text):
                for uq in insp.get_unique_constraints(tname, schema=schema):
                    key = uq.get("name") or "(" + ", ".join(uq["column_names"]) + ")"
                    t["unique"][key] = {"columns": list(uq["column_names"])}
            if _CHECK.search(text):
                for ck in insp.get_check_constraints(tname, schema=schema):
                    key = ck.get("name") or str(normalise_sql(ck["sqltext"]))
                    t["checks"][key] = normalise_sql(ck["sqltext"])
            if _REFERENCES.search(text):
                _foreign_keys(conn, t, tname, insp.get_foreign_keys(tname, schema=schema), schema)


def _foreign_keys(conn: sa.Connection, t: dict, tname: str, parsed: list[Any], schema: str | None) -> None:
    """Actions from PRAGMA foreign_key_list (exact), names from the parsed CREATE TABLE text."""
    arg = f", '{schema}'" if schema else ""
    rows: dict[int, list] = {}
    for fid, _seq, ref, frm, to, on_update, on_delete in conn.exec_driver_sql(
            f"SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete "
            f"FROM pragma_foreign_key_list(?{arg}) ORDER BY id, seq", (tname,)):
        rows.setdefault(fid, []).append((ref, frm, to, on_update, on_delete))
    for cols in rows.values():
        ref, frm = cols[0][0], [c[1] for c in cols]
        match: Any = next((f for f in parsed if f["referred_table"] == ref and list(f["constrained_columns"]) == frm), {})
        to = [c[2] for c in cols] if all(c[2] for c in cols) else list(match.get("referred_columns") or [])
        key = match.get("name") or "(" + ", ".join(frm) + ") -> " + ref
        t["foreign_keys"][key] = {"columns": frm, "ref_table": ref, "ref_columns": to,
                                  "on_delete": cols[0][4].upper(), "on_update": cols[0][3].upper()}
