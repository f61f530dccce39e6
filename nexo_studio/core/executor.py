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
from contextlib import nullcontext
from types import ModuleType

import sqlalchemy as sa

from ..errors import Cancelled, StepFailed
from .state.disconnect import note_driver_error
from .events import CancelToken, StatementExecuted
from .model import Migration, SectionKind, Statement
from .txwatch import TransactionWatch

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
        except BaseException as exc:  # sys.exit() at import too: a failure of this migration
            raise StepFailed(m.id, "load", None, _error_text(exc), m.path) from exc
        _MODULES[key] = mod
        sys.modules.pop(name, None)
    return mod


def statements(m: Migration, kind: SectionKind, dialect: str) -> tuple[Statement, ...]:
    return m.statements(kind, dialect)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}): the migration called sys.exit()"
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
        return (yield from _run_python(conn, m, kind, action, cancel))
    # The statements go straight to the driver's cursor, as `exec_driver_sql` would send them
    # (verbatim, no parameters) without its per-statement bookkeeping, which costs as much as
    # a small DDL statement. The caller's transaction is the connection's.
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a Connection in use has its DBAPI connection
    cursor = dbapi.cursor()
    count = 0
    try:
        for st in statements(m, kind, dialect):
            if cancel:
                cancel.check(m.id)
            t0 = time.perf_counter()
            try:
                with cancel.interruptible() if cancel else nullcontext():
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


def _run_python(conn: sa.Connection, m: Migration, kind: SectionKind, action: str,
                cancel: CancelToken | None) -> Generator[StatementExecuted, None, int]:
    """Call ``up``/``down``/``verify`` of a Python migration. Anything it raises, ``SystemExit``
    and ``KeyboardInterrupt`` included, is a failure of this migration; a cancel requested while
    it ran rolls it back when it returns; a transaction it ended itself makes it dirty."""
    fn = getattr(load_module(m), kind, None)
    if fn is None:
        return 0
    if cancel:
        cancel.check(m.id)
    where = f"{kind}(conn)"
    line = _function_line(m, kind)
    watch = TransactionWatch(conn)
    t0 = time.perf_counter()
    try:
        with cancel.interruptible() if cancel else nullcontext():
            fn(conn)
    except Cancelled:
        raise
    except BaseException as exc:
        ended = watch.ended()  # part of it committed: dirty, even when cancelled
        if cancel and cancel.cancelled and not ended:
            raise Cancelled(m.id) from exc
        raise StepFailed(m.id, action, where, _error_text(exc) + (f"; {ended}" if ended else ""),
                         m.path, line, dirty=bool(ended)) from exc
    ended = watch.ended()
    if ended:
        raise StepFailed(m.id, action, where, ended, m.path, line, dirty=True)
    if cancel:
        cancel.check(m.id)  # it ran to its end: its transaction rolls back all the same
    yield StatementExecuted(m.id, action, line or 0, where, (time.perf_counter() - t0) * 1000)
    return 1


def _function_line(m: Migration, name: str) -> int | None:
    for i, line in enumerate(m.source.splitlines(), 1):
        if line.startswith(f"def {name}("):
            return i
    return None
