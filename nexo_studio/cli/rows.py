"""The ROWS column of deploy and rollback: blank where no row count applies.

SQLite and PostgreSQL drivers report no row count (-1) for DDL; PyMySQL reports 0 on
MySQL/MariaDB. A migration whose statements are all DDL shows a blank on every dialect.
"""

from __future__ import annotations

import re

SECTION_OF_ACTION = {"apply": "up", "rollback": "down", "verify": "verify"}
DDL_WORDS = frozenset({"CREATE", "ALTER", "DROP", "RENAME", "COMMENT", "GRANT", "REVOKE"})
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WORD = re.compile(r"[A-Za-z]+")


def is_ddl(sql: str) -> bool:
    lead = _LEADING.match(sql)  # always matches (possibly empty)
    word = _WORD.match(sql, lead.end() if lead else 0)
    return word is not None and word.group(0).upper() in DDL_WORDS


def rows_cell(project, dialect: str, ev) -> str:
    if ev.rows is None:
        return ""
    if ev.rows == 0:
        m = project.migrations.get(ev.migration_id)
        kind = SECTION_OF_ACTION.get(ev.action)
        if m is not None and m.kind == "sql" and kind:
            try:
                stmts = m.statements(kind, dialect)
            except Exception:  # a section that cannot be read again: show what the driver said
                stmts = ()
            if stmts and all(is_ddl(s.sql) for s in stmts):
                return ""
    return str(ev.rows)
