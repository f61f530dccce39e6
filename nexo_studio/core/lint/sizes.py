"""Row estimates for the tables a plan touches (read-only), and how sizes read in messages."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..model import canonical_dialect

#: a table at least this large turns a warning into an error (locks and rewrites take long)
LARGE_TABLE_ROWS = 100_000
#: SQLite has no statistics: it counts, but never more than this many rows per table
COUNT_CAP = 1_000_000


def about_rows(rows: int) -> str:
    """12_345_678 -> 'about 12 M rows'; 120_000 -> 'about 120 k rows'; 950 -> 'about 950 rows'."""
    if rows >= 1_000_000_000:
        return f"about {rows / 1e9:.0f} G rows"
    if rows >= 1_000_000:
        return f"about {rows / 1e6:.0f} M rows"
    if rows >= 1_000:
        return f"about {rows / 1e3:.0f} k rows"
    return f"about {rows} rows" if rows != 1 else "about 1 row"


def estimate_rows(conn: sa.Connection, dialect: str, tables: Iterable[str]) -> dict[str, int]:
    """Estimated rows of each of ``tables`` that exists (lower-case names -> rows), read-only:
    PostgreSQL ``pg_class.reltuples`` (a capped count where never analysed), MySQL/MariaDB
    ``information_schema.tables.table_rows``, SQL Server ``sys.partitions``, SQLite a capped
    ``COUNT(*)``. Tables that do not exist are left out."""
    names = sorted({t.lower() for t in tables if t})
    if not names:
        return {}
    dialect = canonical_dialect(dialect)
    if dialect == "postgresql":
        return _postgresql(conn, names)
    if dialect == "mysql":
        sql = ("SELECT LOWER(table_name), COALESCE(table_rows, 0) FROM information_schema.tables "
               "WHERE table_schema = DATABASE() AND LOWER(table_name) IN :names")
        return _query(conn, sql, names)
    if dialect == "mssql":
        sql = ("SELECT LOWER(t.name), SUM(p.rows) FROM sys.tables t JOIN sys.partitions p "
               "ON p.object_id = t.object_id AND p.index_id IN (0, 1) WHERE LOWER(t.name) IN :names GROUP BY t.name")
        return _query(conn, sql, names)
    return _sqlite(conn, names)


def _query(conn: sa.Connection, sql: str, names: list[str]) -> dict[str, int]:
    stmt = sa.text(sql).bindparams(sa.bindparam("names", expanding=True))
    return {name: int(rows) for name, rows in conn.execute(stmt, {"names": names})}


def _postgresql(conn: sa.Connection, names: list[str]) -> dict[str, int]:
    sql = ("SELECT LOWER(c.relname), c.reltuples, n.nspname, c.relname FROM pg_class c "
           "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
           "AND n.nspname = ANY (current_schemas(false)) AND LOWER(c.relname) IN :names")
    stmt = sa.text(sql).bindparams(sa.bindparam("names", expanding=True))
    out: dict[str, int] = {}
    for name, reltuples, schema, relname in conn.execute(stmt, {"names": names}):
        if reltuples is not None and reltuples >= 0:
            out[name] = int(reltuples)
        else:  # never vacuumed or analysed (-1 since PostgreSQL 14): count, but not forever
            out[name] = _capped_count(conn, f'"{schema}"."{relname}"')
    return out


def _sqlite(conn: sa.Connection, names: list[str]) -> dict[str, int]:
    rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars()
    existing = {n.lower(): n for n in rows}
    return {name: _capped_count(conn, '"' + existing[name].replace('"', '""') + '"')
            for name in names if name in existing}


def _capped_count(conn: sa.Connection, quoted: str) -> int:
    return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM (SELECT 1 FROM {quoted} LIMIT {COUNT_CAP}) AS t").scalar_one())
