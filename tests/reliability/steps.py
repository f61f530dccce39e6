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

A fleet run works on several databases at once, on threads, so its steps interleave
differently from run to run. Given ``key_of`` (the database URL -> the fleet target's name),
steps are counted per target and ``at`` is ``(target, n)``: the nth step of that target, the
same in every run whatever the others do. A fleet run also has a ``done`` step per target (its
pipeline has returned, its connections are closed): a kill there falls between targets.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
DDL = re.compile(r"\s*(CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
FAULT_TABLE = "__nexo_injected_fault"


def failing(sql: str) -> str:
    """The statement the server will refuse in place of ``sql`` (same parameters). A write to a
    user's table (a migration's INSERT) goes to ``__nexo_fault_<table>``, which does not exist."""
    if DDL.match(sql):
        return f"DROP TABLE {FAULT_TABLE}"
    renamed, n = re.subn(r"__(\w+)", lambda m: f"__nexo_fault_{m.group(1)}", sql, count=1)
    if n == 0:
        renamed, n = re.subn(r"^(\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+)[`\"]?(\w+)[`\"]?",
                             r"\1__nexo_fault_\2", sql, count=1, flags=re.I)
    assert n == 1, f"a write the harness cannot refuse: {sql[:200]}"
    return renamed


class Steps:
    def __init__(self, mode: str, at: "int | tuple[str, int]", log: Path,
                 key_of: "Callable[[sa.engine.URL], str] | None" = None) -> None:
        assert mode in ("count", "kill", "fail"), mode
        self.mode, self.at, self.log, self.n = mode, at, log, 0
        self.key_of = key_of
        self.per_key: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()  # a fleet's targets run on threads
        #: the fleet target this thread works for (a migration's own statements carry no URL)
        self.current = threading.local()

    def step(self, kind: str, sql: str | None = None, url: "sa.engine.URL | None" = None,
             key: str | None = None) -> str | None:
        """Called before each step; returns the SQL to send instead, if any."""
        with self.lock:
            self.n += 1
            line = f"{kind} {' '.join((sql or '').split())[:120]}"
            if self.key_of is None:
                hit = self.n == self.at
            else:
                if key is None:
                    key = self.key_of(url) if url is not None else getattr(self.current, "key", "?")
                self.per_key[key] += 1
                hit = (key, self.per_key[key]) == self.at
                line = f"{key}\t{line}"
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        if not hit:
            return None
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.mode == "fail" and sql is not None:
            return failing(sql)
        return None


def install(mode: str, at: "int | tuple[str, int]", log: Path,
            key_of: "Callable[[sa.engine.URL], str] | None" = None) -> None:
    """Watch every step of this process (call in the child, before ``main``); ``key_of``:
    count per fleet target (see above)."""
    from nexo_studio.core.state import prepared

    steps = Steps(mode, at, log, key_of)

    def before(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            statement = steps.step("write", statement, conn.engine.url) or statement
        return statement, parameters

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before, retval=True)
    sa.event.listen(sa.engine.Engine, "commit", lambda conn: steps.step("commit", None, conn.engine.url))
    original: Callable = prepared.DriverWriter.execute

    def execute(self, stmt, values=None, rowcount=False):
        sql = stmt if isinstance(stmt, str) else stmt.sql
        if WRITE.match(sql):
            replaced = steps.step("write", sql, self.conn.engine.url)
            if replaced is not None:
                if isinstance(stmt, str):
                    return original(self, replaced, None, rowcount)
                swapped = object.__new__(type(stmt))
                # the SQL as sent with parameters, and as written into a PostgreSQL batch
                swapped.__dict__.update(stmt.__dict__, sql=replaced, _parts=stmt.literal_parts(replaced))
                return original(self, swapped, values, rowcount)
        return original(self, stmt, values, rowcount)

    prepared.DriverWriter.execute = execute  # type: ignore[method-assign]
    if key_of is not None:
        _watch_fleet(steps)


def _watch_fleet(steps: Steps) -> None:
    """A fleet run's extra steps: each write of a migration's own SQL (sent on the driver's
    cursor by ``executor.run_section``), and each target's ``done``."""
    from dataclasses import replace

    from nexo_studio.app.fleet import runner
    from nexo_studio.core import executor

    sections = executor.statements

    def statements(m, kind, dialect):
        for st in sections(m, kind, dialect):
            if WRITE.match(st.sql):
                replaced = steps.step("write", st.sql)
                if replaced is not None:
                    st = replace(st, sql=replaced)
            yield st

    executor.statements = statements  # type: ignore[assignment]
    run_target = runner.run_target

    def counted_target(project, config, t, *args, **kwargs):
        steps.current.key = t.name
        outcome = run_target(project, config, t, *args, **kwargs)
        steps.step("done", key=t.name)
        return outcome

    runner.run_target = counted_target  # type: ignore[assignment]


def read_log(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
