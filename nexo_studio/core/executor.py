"""Running one migration's section on a connection, statement by statement.

The caller owns the transaction; this module only executes SQL (verbatim) or a Python
migration's function, yields a StatementExecuted per statement, checks the cancel token
between statements and raises StepFailed naming the statement and its line.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Generator
from types import ModuleType

import sqlalchemy as sa

from ..errors import Cancelled, StepFailed
from .db import note_driver_error
from .events import CancelToken, StatementExecuted
from .model import Migration, SectionKind, Statement

_MODULES: dict[str, ModuleType] = {}


def load_module(m: Migration) -> ModuleType:
    """Import a Python migration (only to run it); cached per file and checksum."""
    key = f"{m.path}:{m.checksum(None)}"
    mod = _MODULES.get(key)
    if mod is None:
        name = "nexo_migration_" + m.id.replace(".", "_")
        spec = importlib.util.spec_from_file_location(name, m.path)
        if spec is None or spec.loader is None:
            raise StepFailed(m.id, "load", None, f"cannot import {m.path}", m.path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            raise StepFailed(m.id, "load", None, f"{type(exc).__name__}: {exc}", m.path) from exc
        _MODULES[key] = mod
        sys.modules.pop(name, None)
    return mod


def statements(m: Migration, kind: SectionKind, dialect: str) -> tuple[Statement, ...]:
    return m.statements(kind, dialect)


def _error_text(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return f"{type(orig or exc).__name__}: {text}"


def run_section(
    conn: sa.Connection,
    m: Migration,
    kind: SectionKind,
    dialect: str,
    cancel: CancelToken | None = None,
    action: str | None = None,
) -> Generator[StatementExecuted, None, int]:
    """Execute ``kind`` of ``m``; return the number of statements run."""
    action = action or {"up": "apply", "down": "rollback", "verify": "verify"}[kind]
    if m.kind == "py":
        fn = getattr(load_module(m), kind, None)
        if fn is None:
            return 0
        if cancel:
            cancel.check(m.id)
        t0 = time.perf_counter()
        try:
            fn(conn)
        except Cancelled:
            raise
        except Exception as exc:
            if cancel and cancel.cancelled:
                raise Cancelled(m.id) from exc
            raise StepFailed(m.id, action, f"{kind}(conn)", _error_text(exc), m.path,
                             _function_line(m, kind)) from exc
        yield StatementExecuted(m.id, action, _function_line(m, kind) or 0, f"{kind}(conn)",
                                (time.perf_counter() - t0) * 1000)
        return 1
    # The statements go straight to the driver's cursor, as `exec_driver_sql` would send them
    # (verbatim, no parameters) without its per-statement bookkeeping, which costs as much as
    # a small DDL statement. The caller's transaction is the connection's.
    cursor = conn.connection.dbapi_connection.cursor()
    count = 0
    try:
        for st in statements(m, kind, dialect):
            if cancel:
                cancel.check(m.id)
            t0 = time.perf_counter()
            try:
                cursor.execute(st.sql)
            except Exception as exc:
                note_driver_error(conn, exc, cursor)
                if cancel and cancel.cancelled:
                    raise Cancelled(m.id) from exc
                raise StepFailed(m.id, action, st.sql, _error_text(exc), m.path, st.line) from exc
            rowcount = cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else None
            count += 1
            yield StatementExecuted(m.id, action, st.line, st.sql, (time.perf_counter() - t0) * 1000, rowcount)
    finally:
        if not conn.invalidated:
            cursor.close()
    return count


def _function_line(m: Migration, name: str) -> int | None:
    for i, line in enumerate(m.source.splitlines(), 1):
        if line.startswith(f"def {name}("):
            return i
    return None
