"""MySQL/MariaDB: information_schema queries, one per kind of object, over the whole database.

MySQL has no unique constraint apart from a unique index, so every key other than PRIMARY is an
index (with ``unique``). View text from information_schema names the database (`db`.`t`); that
prefix is removed so a restore into another database, or a rename, is not drift. AUTO_INCREMENT
counters, row counts and definers are state, not schema, and are left out."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from .model import column, empty_document, is_internal, normalise_sql, table

TABLES = """
SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s"""

COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION,
       COLLATION_NAME
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :s ORDER BY TABLE_NAME, ORDINAL_POSITION"""

INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, COLLATION
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = :s ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"""

FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = :s ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"""

CHECKS = """
SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = :s"""

VIEWS = "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = :s"

TRIGGERS = """
SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT, ACTION_ORDER
FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :s"""

ROUTINES = """
SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS
FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = :s"""

PARAMETERS = """
SELECT SPECIFIC_NAME, ROUTINE_TYPE, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = :s AND ORDINAL_POSITION > 0
ORDER BY SPECIFIC_NAME, ORDINAL_POSITION"""

_EXTRA_DROP = re.compile(r"\b(auto_increment|(?:virtual|stored|persistent) generated|default_generated)\b", re.I)


def _default(value: str | None, generated: bool) -> str | None:
    if generated or value is None or value.upper() == "NULL":
        return None
    return value


def _columns(rows, tables: dict) -> None:
    for tname, name, ctype, nullable, default, extra, gen_expr, collation in rows:
        if tname not in tables:
            continue
        extra = extra or ""
        kind = "stored" if re.search(r"stored|persistent", extra, re.I) else "virtual"
        gen = f"{kind}: {normalise_sql(gen_expr)}" if gen_expr else None
        col = column(ctype, nullable == "YES", _default(default, bool(gen_expr)),
                     identity="auto_increment" if "auto_increment" in extra.lower() else None, generated=gen)
        if collation and collation != tables[tname]["options"][1].split("=", 1)[1]:
            col["collation"] = collation  # only where it differs from the table's
        rest = normalise_sql(_EXTRA_DROP.sub("", extra))
        if rest:
            col["extra"] = rest.upper()
        tables[tname]["columns"][name] = col


def _indexes(rows, tables: dict) -> None:
    for tname, name, non_unique, col, sub_part, method, order in rows:
        t = tables.get(tname)
        if t is None or is_internal(name):
            continue
        part = (f"{col}({sub_part})" if sub_part else col) + (" DESC" if order == "D" else "")
        if name == "PRIMARY":
            t["primary_key"] = t["primary_key"] or {"name": "PRIMARY", "columns": []}
            t["primary_key"]["columns"].append(part)
            continue
        ix = t["indexes"].setdefault(name, {"columns": [], "unique": not int(non_unique), "where": None,
                                            "method": method})
        ix["columns"].append(part)


def _foreign_keys(rows, tables: dict) -> None:
    for tname, name, col, ref, ref_col, on_delete, on_update in rows:
        t = tables.get(tname)
        if t is None:
            continue
        fk = t["foreign_keys"].setdefault(name, {"columns": [], "ref_table": ref, "ref_columns": [],
                                                 "on_delete": on_delete, "on_update": on_update})
        fk["columns"].append(col)
        fk["ref_columns"].append(ref_col)


def _sequence(conn: sa.Connection, database: str, name: str) -> dict:
    """MariaDB sequences: their definition (not next_not_cached_value, which is state)."""
    quote = conn.dialect.identifier_preparer.quote
    row = conn.exec_driver_sql(
        "SELECT start_value, minimum_value, maximum_value, increment, cache_size, cycle_option "
        f"FROM {quote(database)}.{quote(name)}").one()
    return dict(zip(("start", "min", "max", "increment", "cache", "cycle"), (int(v) for v in row)))


def _strip_database(text: str | None, database: str) -> str | None:
    if text is None:
        return None
    return text.replace(f"`{database}`.", "")


def reflect(conn: sa.Connection, schema: str | None = None) -> dict[str, Any]:
    s: str = schema or str(conn.exec_driver_sql("SELECT DATABASE()").scalar())
    doc = empty_document("mysql")

    def q(sql: str):
        return conn.execute(sa.text(sql), {"s": s}).all()

    tables = doc["tables"]
    for name, kind, engine, collation in q(TABLES):
        if is_internal(name):
            continue
        if kind == "BASE TABLE":
            tables[name] = table()
            tables[name]["options"] = [f"ENGINE={engine}", f"COLLATE={collation}"]
        elif kind == "SEQUENCE":
            doc["sequences"][name] = _sequence(conn, s, name)
    _columns(q(COLUMNS), tables)
    _indexes(q(INDEXES), tables)
    _foreign_keys(q(FOREIGN_KEYS), tables)
    for tname, name, clause in q(CHECKS):
        if tname in tables:
            tables[tname]["checks"][name] = normalise_sql(_strip_database(clause, s))
    for name, definition, check in q(VIEWS):
        if not is_internal(name):
            doc["views"][name] = {"definition": normalise_sql(_strip_database(definition, s)), "check_option": check}
    for name, tname, timing, event, statement, order in q(TRIGGERS):
        if not is_internal(name) and not is_internal(tname):
            doc["triggers"][f"{tname}.{name}"] = {
                "table": tname, "order": order,
                "definition": normalise_sql(f"CREATE TRIGGER {name} {timing} {event} ON {tname} FOR EACH ROW {_strip_database(statement, s)}")}
    _routines(q(ROUTINES), q(PARAMETERS), doc, s)
    return doc


def _routines(rows, params, doc: dict, database: str) -> None:
    args: dict[tuple[str, str], list[str]] = {}
    for name, rtype, mode, pname, dtd in params:
        if pname is not None:
            args.setdefault((rtype, name), []).append(" ".join(p for p in (mode if rtype == "PROCEDURE" else None,
                                                                             pname, dtd) if p))
    for name, rtype, dtd, definition, deterministic, access in rows:
        if is_internal(name):
            continue
        sig = f"{name}({', '.join(args.get((rtype, name), []))})"
        head = f"{rtype} {sig}" + (f" RETURNS {dtd}" if rtype == "FUNCTION" else "")
        flags = ("DETERMINISTIC" if deterministic == "YES" else "NOT DETERMINISTIC") + f" {access}"
        doc["functions"][f"{rtype.lower()} {name}"] = {
            "kind": rtype.lower(), "definition": f"{head} {flags} {(_strip_database(definition, database) or '').strip()}"}
