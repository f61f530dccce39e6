"""SQL Server: sys catalog views, one query per kind of object over the whole schema.

Written and checked as text only (no server can run here): the queries are parsed as T-SQL and
compiled with SQLAlchemy's mssql dialect in tests/state/test_schema_mssql_sql.py. Definitions
come from sys.sql_modules (the text as created, whitespace-normalised) and default/check text
from the catalog (SQL Server stores it canonically, e.g. ``((0))``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .model import column, empty_document, is_internal, normalise_sql, table

TABLES = """
SELECT t.name FROM sys.tables t WHERE t.schema_id = SCHEMA_ID(:s) AND t.is_ms_shipped = 0"""

COLUMNS = """
SELECT t.name, c.name,
       CASE WHEN ty.name IN ('varchar', 'char', 'varbinary', 'binary')
                 THEN ty.name + '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length AS varchar(10)) END + ')'
            WHEN ty.name IN ('nvarchar', 'nchar')
                 THEN ty.name + '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length / 2 AS varchar(10)) END + ')'
            WHEN ty.name IN ('decimal', 'numeric')
                 THEN ty.name + '(' + CAST(c.precision AS varchar(10)) + ',' + CAST(c.scale AS varchar(10)) + ')'
            WHEN ty.name IN ('datetime2', 'time', 'datetimeoffset')
                 THEN ty.name + '(' + CAST(c.scale AS varchar(10)) + ')'
            ELSE ty.name END,
       c.is_nullable, dc.definition, c.is_identity, cc.definition, cc.is_persisted
FROM sys.columns c JOIN sys.tables t ON t.object_id = c.object_id
JOIN sys.types ty ON ty.user_type_id = c.user_type_id
LEFT JOIN sys.default_constraints dc ON dc.parent_object_id = c.object_id AND dc.parent_column_id = c.column_id
LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id
WHERE t.schema_id = SCHEMA_ID(:s) AND t.is_ms_shipped = 0
ORDER BY t.name, c.column_id"""

INDEXES = """
SELECT t.name, i.name, i.is_primary_key, i.is_unique_constraint, i.is_unique, i.type_desc, i.filter_definition,
       col.name, ic.is_descending_key
FROM sys.indexes i JOIN sys.tables t ON t.object_id = i.object_id
JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0
JOIN sys.columns col ON col.object_id = ic.object_id AND col.column_id = ic.column_id
WHERE t.schema_id = SCHEMA_ID(:s) AND t.is_ms_shipped = 0 AND i.type > 0
ORDER BY t.name, i.name, ic.key_ordinal"""

FOREIGN_KEYS = """
SELECT t.name, fk.name, pc.name, rt.name, rc.name, fk.delete_referential_action_desc,
       fk.update_referential_action_desc
FROM sys.foreign_keys fk JOIN sys.tables t ON t.object_id = fk.parent_object_id
JOIN sys.tables rt ON rt.object_id = fk.referenced_object_id
JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
WHERE t.schema_id = SCHEMA_ID(:s)
ORDER BY t.name, fk.name, fkc.constraint_column_id"""

CHECKS = """
SELECT t.name, ck.name, ck.definition FROM sys.check_constraints ck
JOIN sys.tables t ON t.object_id = ck.parent_object_id WHERE t.schema_id = SCHEMA_ID(:s)"""

MODULES = """
SELECT o.name, o.type, m.definition, OBJECT_NAME(o.parent_object_id)
FROM sys.objects o JOIN sys.sql_modules m ON m.object_id = o.object_id
WHERE o.schema_id = SCHEMA_ID(:s) AND o.is_ms_shipped = 0 AND o.type IN ('V', 'TR', 'P', 'FN', 'IF', 'TF')"""

SEQUENCES = """
SELECT s.name, TYPE_NAME(s.user_type_id), CAST(s.start_value AS bigint), CAST(s.increment AS bigint),
       CAST(s.minimum_value AS bigint), CAST(s.maximum_value AS bigint), s.is_cycling
FROM sys.sequences s WHERE s.schema_id = SCHEMA_ID(:s)"""

QUERIES = {"tables": TABLES, "columns": COLUMNS, "indexes": INDEXES, "foreign_keys": FOREIGN_KEYS,
           "checks": CHECKS, "modules": MODULES, "sequences": SEQUENCES}

_MODULE_KIND = {"V": "views", "TR": "triggers", "P": "functions", "FN": "functions", "IF": "functions",
                "TF": "functions"}


def reflect(conn: sa.Connection, schema: str | None = None) -> dict[str, Any]:
    s: str = schema or str(conn.exec_driver_sql("SELECT SCHEMA_NAME()").scalar())
    doc = empty_document("mssql")

    def q(sql: str):
        return conn.execute(sa.text(sql), {"s": s}).all()

    tables = doc["tables"]
    for (name,) in q(TABLES):
        if not is_internal(name):
            tables[name] = table()
    for tname, name, ctype, nullable, default, identity, computed, persisted in q(COLUMNS):
        if tname in tables:
            gen = f"{'stored' if persisted else 'virtual'}: {normalise_sql(computed)}" if computed else None
            tables[tname]["columns"][name] = column(ctype, nullable, default, identity="identity" if identity else None,
                                                    generated=gen)
    _keys(q(INDEXES), tables)
    for tname, name, col, ref, ref_col, on_delete, on_update in q(FOREIGN_KEYS):
        if tname in tables:
            fk = tables[tname]["foreign_keys"].setdefault(name, {
                "columns": [], "ref_table": ref, "ref_columns": [],
                "on_delete": on_delete.replace("_", " "), "on_update": on_update.replace("_", " ")})
            fk["columns"].append(col)
            fk["ref_columns"].append(ref_col)
    for tname, name, definition in q(CHECKS):
        if tname in tables:
            tables[tname]["checks"][name] = normalise_sql(definition)
    _modules(q(MODULES), doc)
    for name, typ, start, inc, lo, hi, cycle in q(SEQUENCES):
        if not is_internal(name):
            doc["sequences"][name] = {"type": typ, "start": start, "increment": inc, "min": lo, "max": hi,
                                      "cycle": bool(cycle)}
    return doc


def _keys(rows, tables: dict) -> None:
    for tname, name, is_pk, is_uc, unique, method, where, col, desc in rows:
        t = tables.get(tname)
        if t is None or is_internal(name):
            continue
        part = f"{col} DESC" if desc else col
        if is_pk:
            t["primary_key"] = t["primary_key"] or {"name": name, "columns": []}
            t["primary_key"]["columns"].append(part)
        elif is_uc:
            t["unique"].setdefault(name, {"columns": []})["columns"].append(part)
        else:
            ix = t["indexes"].setdefault(name, {"columns": [], "unique": bool(unique),
                                                "where": normalise_sql(where), "method": method})
            ix["columns"].append(part)


def _modules(rows, doc: dict) -> None:
    for name, kind, definition, parent in rows:
        kind = kind.strip()
        if is_internal(name) or is_internal(parent):
            continue
        text = normalise_sql(definition)
        if kind == "TR":
            doc["triggers"][f"{parent}.{name}"] = {"table": parent, "definition": text}
        elif kind == "V":
            doc["views"][name] = {"definition": text}
        else:
            doc[_MODULE_KIND[kind]][name] = {"kind": "procedure" if kind == "P" else "function", "definition": text}
