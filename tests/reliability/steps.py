"""A driver-level step counter for the kill-at-each-step and fail-at-each-step tests.

A *step* is one write statement a CLI process sends (INSERT, UPDATE, DELETE, CREATE, DROP,
ALTER…) or one COMMIT. Reads are not steps: a kill between two reads leaves what a kill before
the next write leaves. ``install(mode, at, log)`` is called in a forked child before ``main()``
and sees every step, whichever way it is sent: SQLAlchemy's cursor and commit events, and the
state store's writes on the driver's cursor (``DriverWriter.execute``, which bypasses them).

- ``count``: record the steps (one line each in ``log``), change nothing;
- ``kill``: SIGKILL the process just before step ``at`` is sent;
- ``fail``: make the server refuse write ``at``: its table is renamed to one that does not
  exist (DDL: replaced by a DROP of a table that does not exist), so the server answers with
  a real error, on the real connection, inside the real transaction.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
DDL = re.compile(r"\s*(CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
FAULT_TABLE = "__nexo_injected_fault"


def failing(sql: str) -> str:
    """The statement the server will refuse in place of ``sql`` (same parameters)."""
    if DDL.match(sql):
        return f"DROP TABLE {FAULT_TABLE}"
    renamed, n = re.subn(r"__(\w+)", lambda m: f"__nexo_fault_{m.group(1)}", sql, count=1)
    assert n == 1, f"a write outside the tool's tables: {sql[:200]}"
    return renamed


class Steps:
    def __init__(self, mode: str, at: int, log: Path) -> None:
        assert mode in ("count", "kill", "fail"), mode
        self.mode, self.at, self.log, self.n = mode, at, log, 0

    def step(self, kind: str, sql: str | None = None) -> str | None:
        """Called before each step; returns the SQL to send instead, if any."""
        self.n += 1
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(f"{kind} {' '.join((sql or '').split())[:120]}\n")
        if self.n != self.at:
            return None
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.mode == "fail" and sql is not None:
            return failing(sql)
        return None


def install(mode: str, at: int, log: Path) -> None:
    """Watch every step of this process (call in the child, before ``main``)."""
    from nexo_studio.core.state import prepared

    steps = Steps(mode, at, log)

    def before(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            statement = steps.step("write", statement) or statement
        return statement, parameters

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before, retval=True)
    sa.event.listen(sa.engine.Engine, "commit", lambda conn: steps.step("commit"))
    original: Callable = prepared.DriverWriter.execute

    def execute(self, stmt, values=None):
        sql = stmt if isinstance(stmt, str) else stmt.sql
        if WRITE.match(sql):
            replaced = steps.step("write", sql)
            if replaced is not None:
                if isinstance(stmt, str):
                    return original(self, replaced)
                swapped = object.__new__(type(stmt))
                swapped.__dict__.update(stmt.__dict__, sql=replaced)
                return original(self, swapped, values)
        return original(self, stmt, values)

    prepared.DriverWriter.execute = execute  # type: ignore[method-assign]


def read_log(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
