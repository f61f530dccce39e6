"""PostgreSQL: catalog queries, one per kind of object, each over the whole schema at once.

The server's own deparsers (format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
pg_get_viewdef, pg_get_triggerdef, pg_get_functiondef) give canonical text that survives
pg_dump/pg_restore and re-creation unchanged. Objects that belong to an extension are the
extension's, not the user's, and are left out (the extension itself is listed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .model import column, empty_document, is_internal, table
from .pgtext import normalise_expr as normalise_sql

#: not owned by an extension; classid first so pg_depend's (classid, objid) index is used
_NOT_EXT = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass AND d.objid = {oid} "
            "AND d.deptype = 'e')")

#: the schema by name (a regnamespace cast would fold an unquoted mixed-case name)
_NS = "(SELECT n.oid FROM pg_namespace n WHERE n.nspname = :s)"

TABLES = f"""
SELECT c.relname, c.relpersistence = 'u', pg_get_partkeydef(c.oid),
       (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid
        AND c.relispartition), pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c
WHERE c.relnamespace = {_NS} AND c.relkind IN ('r', 'p')
  AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}"""

COLUMNS = f"""
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
       CASE WHEN a.attcollation <> ty.typcollation THEN co.collname END
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
JOIN pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
WHERE c.relnamespace = {_NS} AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}
ORDER BY c.relname, a.attnum"""

CONSTRAINTS = f"""
SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid, true),
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o),
       f.relname,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o),
       k.confdeltype, k.confupdtype
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE c.relnamespace = {_NS} AND k.contype IN ('p', 'u', 'f', 'c', 'x')"""

INDEXES = f"""
SELECT t.relname, i.relname, x.indisunique, am.amname, pg_get_indexdef(x.indexrelid),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k ORDER BY k),
       pg_get_expr(x.indpred, x.indrelid, true)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relnamespace = {_NS} AND t.relkind IN ('r', 'p', 'm')
  AND x.indexrelid NOT IN (SELECT k.conindid FROM pg_constraint k WHERE k.contype IN ('p', 'u', 'x'))"""

VIEWS = f"""
SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true) FROM pg_class c
WHERE c.relnamespace = {_NS} AND c.relkind IN ('v', 'm') AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}"""

SEQUENCES = f"""
SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle,
       (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a' LIMIT 1)
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
WHERE c.relnamespace = {_NS} AND {_NOT_EXT.format(cat='pg_class', oid='c.oid')}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'i')"""

TRIGGERS = f"""
SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid, true)
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
WHERE c.relnamespace = {_NS} AND NOT g.tgisinternal"""

FUNCTIONS = f"""
SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, pg_get_functiondef(p.oid)
FROM pg_proc p
WHERE p.pronamespace = {_NS} AND p.prokind IN ('f', 'p')
  AND {_NOT_EXT.format(cat='pg_proc', oid='p.oid')}"""

ENUMS = f"""
SELECT t.typname, ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_type t WHERE t.typnamespace = {_NS} AND t.typtype = 'e'
  AND {_NOT_EXT.format(cat='pg_type', oid='t.oid')}"""

EXTENSIONS = f"SELECT extname, extversion FROM pg_extension WHERE extnamespace = {_NS}"

_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_IDENTITY = {"a": "always", "d": "by default"}
_GENERATED = {"s": "stored", "v": "virtual"}


def reflect(conn: sa.Connection, schema: str | None = None) -> dict[str, Any]:
    s: str = schema or str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    doc = empty_document("postgresql")

    def q(sql: str):
        return conn.execute(sa.text(sql), {"s": s}).all()

    tables = doc["tables"]
    for name, unlogged, partition_key, parent, bound in q(TABLES):
        if not is_internal(name):
            tables[name] = table()
            options = ["UNLOGGED"] if unlogged else []
            options += [f"PARTITION OF {parent} {bound}"] if parent else []
            options += [f"PARTITION BY {partition_key}"] if partition_key else []
            if options:
                tables[name]["options"] = options
    for tname, name, ctype, notnull, default, identity, generated, collation in q(COLUMNS):
        if tname in tables:
            gen = f"{_GENERATED[generated]}: {normalise_sql(default)}" if generated else None
            col = column(ctype, not notnull, None if generated else normalise_sql(default),
                         identity=_IDENTITY.get(identity), generated=gen)
            if collation:
                col["collation"] = collation
            tables[tname]["columns"][name] = col
    _constraints(q(CONSTRAINTS), tables)
    _objects(q, doc)
    for tname, name, unique, method, definition, cols, where in q(INDEXES):
        owner = tables.get(tname) or doc["views"].get(tname)  # materialized views have indexes too
        if owner is not None and not is_internal(name):
            owner.setdefault("indexes", {})[name] = {
                "columns": [normalise_sql(c) for c in cols], "unique": unique, "where": normalise_sql(where),
                "method": method, "definition": normalise_sql(definition)}
    return doc


def _constraints(rows, tables: dict) -> None:
    for tname, name, kind, definition, cols, ref, ref_cols, on_delete, on_update in rows:
        t = tables.get(tname)
        if t is None:
            continue
        if kind == "p":
            t["primary_key"] = {"name": name, "columns": list(cols)}
        elif kind in ("u", "x"):
            t["unique"][name] = {"columns": list(cols), "definition": normalise_sql(definition)}
        elif kind == "c":
            t["checks"][name] = normalise_sql(definition)
        elif kind == "f":
            t["foreign_keys"][name] = {"columns": list(cols), "ref_table": ref, "ref_columns": list(ref_cols),
                                       "on_delete": _ACTIONS[on_delete], "on_update": _ACTIONS[on_update],
                                       "definition": normalise_sql(definition)}


def _objects(q, doc: dict) -> None:
    for name, kind, definition in q(VIEWS):
        if not is_internal(name):
            doc["views"][name] = {"definition": normalise_sql(definition), "materialized": kind == "m"}
    for name, typ, start, inc, lo, hi, cache, cycle, owned in q(SEQUENCES):
        if not is_internal(name) and not is_internal(owned):
            doc["sequences"][name] = {"type": typ, "start": start, "increment": inc, "min": lo, "max": hi,
                                      "cache": cache, "cycle": cycle, "owned_by": owned}
    for tname, name, definition in q(TRIGGERS):
        if not is_internal(tname) and not is_internal(name):
            doc["triggers"][f"{tname}.{name}"] = {"table": tname, "definition": normalise_sql(definition)}
    for name, args, kind, definition in q(FUNCTIONS):
        if not is_internal(name):
            doc["functions"][f"{name}({args})"] = {"kind": "procedure" if kind == "p" else "function",
                                                   "definition": definition.strip()}
    for name, labels in q(ENUMS):
        if not is_internal(name):
            doc["enums"][name] = list(labels)
    for name, version in q(EXTENSIONS):
        doc["extensions"][name] = {"version": version}
