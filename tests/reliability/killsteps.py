"""Run one changing command killed (SIGKILL) before each of its steps, and failing at each of
its writes, from the same starting database; check what every run leaves.

A scenario is a database in a starting state and a command. First the command runs uncut
while its steps are counted (``steps.py``): that gives the state *after*. Then, for each step
N, the database is put back to the starting state (table contents restored: fast, and the
same database) and the command is run again, killed before step N (or with write N refused by
the server). Each run must leave:

- the state before or the state after, never one in between (``view``: nexo's rows, the
  history, the snapshots, the user's and the foreign tool's tables);
- ``nexo audit verify`` passing (hash chain, tail, __Migrations against the history) -- or,
  as before, failing as it did when the start was a tampered history;
- the lock free (taken at once by the next operation);
- a failed run (a write refused): the state before, exit 1, the error naming what failed;
- when the state is as before but not byte for byte (an empty state table created, a meta row
  written), the same command run again uncut takes it to the state after (nothing twice).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.reliability import steps as step_hook
from tests.reliability.harness import ForkedCli, engine_for, run_cli, settle


class Dump(dict):
    """Every table of the database: name -> (its reflected Table, its rows as dicts)."""

    def content(self) -> dict:
        return {name: sorted(map(repr, rows)) for name, (_t, rows) in self.items()}


_TABLES: dict[tuple[str, str], sa.Table] = {}


def dump(url: str) -> Dump:
    """Every table's rows (a table's definition is reflected once per database: the runs
    create and fill tables, they never alter one)."""
    engine = engine_for(url)
    try:
        out = Dump()
        with engine.connect() as conn:
            for name in sa.inspect(conn).get_table_names():
                t = _TABLES.get((url, name))
                if t is None:
                    t = _TABLES[(url, name)] = sa.Table(name, sa.MetaData(), autoload_with=conn)
                out[name] = (t, [dict(r._mapping) for r in conn.execute(sa.select(t))])
        return out
    finally:
        engine.dispose()


def view(d: Dump) -> dict:
    """What must be as before or as after: nexo's rows (without times, operator and hashes,
    which differ between two runs), and every other table's rows as they are. A state table
    created but empty (MariaDB's DDL commits at once) records nothing: as if absent."""
    out: dict = {}
    for name, (_t, rows) in sorted(d.items()):
        if name == "__Migrations":
            out[name] = sorted((r["id"], r["status"], r["checksum"]) for r in rows)
        elif name == "__MigrationHistory":
            out[name] = sorted((r["seq"], r["action"], r["status"], r["migration_id"], _details(r["details"]))
                               for r in rows)
        elif name == "__SchemaSnapshots":
            out[name] = sorted((r["id"], r["history_seq"], r["sha256"]) for r in rows)
        elif not name.startswith("__"):
            out[name] = sorted(map(repr, rows))
    return {k: v for k, v in out.items() if v or not k.startswith("__")}


def _details(text: str | None) -> str | None:
    if not text:
        return None
    d = json.loads(text)
    d.pop("replaces", None)  # the snapshot it replaces: the same in every run from one start
    return json.dumps(d, sort_keys=True)


def reset(url: str, start: Dump) -> None:
    """Put the database back as ``start``: drop tables created since, put back the rows."""
    engine = engine_for(url)
    try:
        now = sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            for name in now:
                if name not in start:
                    conn.execute(sa.text(f"DROP TABLE {engine.dialect.identifier_preparer.quote(name)}"))
        with engine.begin() as conn:
            for name, (t, rows) in start.items():
                assert name in now, f"{name} was dropped"
                conn.execute(t.delete())
                if rows:
                    conn.execute(t.insert(), rows)
    finally:
        engine.dispose()


def lock_is_free(url: str) -> None:
    from nexo_studio.core.target import Target

    target = Target(url)
    try:
        with target.locked(2):
            pass
    finally:
        target.dispose()


def audit(url: str) -> tuple[int, str]:
    code, out, err = run_cli("--db", url, "audit", "verify")
    return code, out + err


def audit_ok(url: str, context: str) -> None:
    code, said = audit(url)
    assert code == 0, f"{context}: audit verify failed\n{said}"


@dataclass
class Outcome:
    steps: list[str]
    kills: int = 0
    failures: int = 0
    ended_before: int = 0
    ended_after: int = 0
    reruns: int = 0


def kill_points(counted: list[str]) -> list[int]:
    """The steps to kill the process before. Every step with ``NEXO_KILL_EVERY_STEP=1``; by
    default the steps after which a kill can leave something different: each DDL statement
    (MariaDB commits each one at once), the first write of each transaction and each COMMIT.
    A kill before the 2nd..nth write of one transaction leaves what a kill before its COMMIT
    leaves (the server rolls the open transaction back), and costs a process each."""
    if os.environ.get("NEXO_KILL_EVERY_STEP") == "1":
        return list(range(1, len(counted) + 1))
    points, open_tx = [], False
    for n, s in enumerate(counted, 1):
        if s.startswith("commit"):
            points.append(n)
            open_tx = False
        elif step_hook.DDL.match(s.removeprefix("write ")):
            points.append(n)
            open_tx = False  # MariaDB: the DDL committed what was open
        elif not open_tx:
            points.append(n)
            open_tx = True
    return points


def fail_points(counted: list[str]) -> list[int]:
    """The writes to have refused: each distinct statement once (a second row's INSERT is the
    first's), and of a run of DDL statements (creating the state tables) the first and the
    last: a refused DDL statement ends the command there, as a kill before it does, and the
    kills cover each one."""
    points, seen = [], set()
    for n, s in enumerate(counted, 1):
        if not s.startswith("write") or s[:70] in seen:
            continue
        seen.add(s[:70])
        ddl = step_hook.DDL.match(s.removeprefix("write "))
        inside = (ddl and n > 1 and step_hook.DDL.match(counted[n - 2].removeprefix("write "))
                  and n < len(counted) and step_hook.DDL.match(counted[n].removeprefix("write ")))
        if not inside:
            points.append(n)
    return points


def forked(args: list[str], mode: str, at: int, log: Path) -> ForkedCli:
    log.unlink(missing_ok=True)
    proc = ForkedCli(args, in_child=lambda: step_hook.install(mode, at, log))
    proc.go()
    return proc


def at_each_step(url: str, args: list[str], tmp: Path, *, fail: bool = True, rerun_code: int = 0,
                 failure_text: str = "", audit_after: bool = True,
                 same: "Callable[[dict], dict]" = lambda v: v) -> Outcome:
    """The whole loop for one scenario; the database is in its starting state. ``args``: the
    command (with --db, --yes). ``audit_after``: whether the command leaves the audit passing
    (accepting a lost history table leaves rows to repair: the audit then says the same as
    after the uncut run). ``same``: what of a view a second run must reproduce (default: all).
    Returns what was done, for the figures."""
    log = tmp / "steps.log"
    start = dump(url)
    before = view(start)
    said_before = audit(url)  # a start with a tampered history (accept-history) fails it
    proc = forked(args, "count", 0, log)
    assert proc.wait() == 0, proc.stdout + proc.stderr
    counted = step_hook.read_log(log)
    after = view(dump(url))
    assert after != before, "the command changed nothing"
    said_after = audit(url)
    assert (said_after[0] == 0) == audit_after, f"uncut run: audit verify: {said_after[1]}"
    outcome = Outcome(counted)
    runs = [("kill", n) for n in kill_points(counted)]
    if fail:
        runs += [("fail", n) for n in fail_points(counted)]
    start_content = start.content()
    rerun_from: set[str] = set()  # the in-between contents a second run has been proven from
    changed = True  # whether the database may differ from the start (reset needed)
    for mode, n in runs:
        context = f"{mode} at step {n}/{len(counted)} ({counted[n - 1]})"
        if changed:
            reset(url, start)
        proc = forked(args, mode, n, log)
        rc = proc.wait()
        if mode == "kill":
            assert rc == -9, f"{context}: exit {rc}\n{proc.stdout}{proc.stderr}"
            outcome.kills += 1
            settle(url)
        else:
            assert rc == 1, f"{context}: exit {rc}\n{proc.stdout}{proc.stderr}"
            assert step_hook.FAULT_TABLE in proc.stderr or "__nexo_fault_" in proc.stderr, (
                f"{context}: the error does not say what failed\n{proc.stderr}")
            assert failure_text in proc.stderr, proc.stderr
            outcome.failures += 1
        raw = dump(url)
        content = raw.content()
        changed = content != start_content
        now = view(raw)
        assert now in (before, after), (f"{context}: the database is neither as before nor as after\n"
                                        f"before {before}\nafter  {after}\nnow    {now}")
        if mode == "fail":
            assert now == before, f"{context}: a failed command changed the database"
        lock_is_free(url)
        if now == after:
            said = audit(url)
            assert said == said_after, f"{context}: audit verify: {said[1]}"
            outcome.ended_after += 1
            continue
        outcome.ended_before += 1
        if not changed:  # byte for byte the start: the audit and a second run are the start's
            continue
        # as before but not byte for byte (an empty table created, a meta row): the audit says
        # what it said (a tampered start still fails it), and the same command run again gets
        # to the state after, recording nothing twice (once per such content)
        said = audit(url)
        assert said[0] == said_before[0], f"{context}: audit verify: {said[1]}"
        key = repr(content)
        if key in rerun_from:
            continue
        rerun_from.add(key)
        code, out, err = run_cli(*args, "--lock-timeout", "5")
        assert code == rerun_code, f"{context}: the next run: exit {code}\n{out}{err}"
        assert same(view(dump(url))) == same(after), f"{context}: the next run did not reach the state after"
        assert audit(url) == said_after, f"{context}, then run again: audit verify: {audit(url)[1]}"
        outcome.reruns += 1
    return outcome
