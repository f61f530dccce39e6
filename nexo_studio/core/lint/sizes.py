"""Row estimates for the tables a plan touches (read-only), and how sizes read in messages."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..dialects import rules_for
from ..dialects.base import ROW_COUNT_CAP
from ..model import canonical_dialect

#: a table at least this large turns a warning into an error (locks and rewrites take long)
LARGE_TABLE_ROWS = 100_000
#: SQLite has no statistics: it counts, but never more than this many rows per table
COUNT_CAP = ROW_COUNT_CAP


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
    ``COUNT(*)`` (``DialectRules.row_estimates``). Tables that do not exist are left out."""
    names = sorted({t.lower() for t in tables if t})
    if not names:
        return {}
    return rules_for(canonical_dialect(dialect)).row_estimates(conn, names)
