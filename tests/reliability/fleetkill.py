"""`nexo fleet deploy` / `nexo fleet rollback` killed (SIGKILL) before each step of each target,
and with each write of each target refused by the server; what every run must leave.

A fleet: an SQLite file (the canary), a PostgreSQL and a MariaDB database, each at another
version, run with ``--parallel 2`` (the canary alone, then the other two at once). The targets'
steps interleave differently from run to run, so steps are counted per target (``steps.py``
with ``key_of``): "target X's step N" is the same statement in every run, whatever the other
target running beside it is doing. First the command runs uncut, counting; then, for each
chosen (target, step), every target is put back to its starting content and the command is
run again in a forked child, killed before that step (or with that write refused). After each
run, on every target:

- ``nexo status --json`` is true to the schema: a migration recorded applied has its table
  with its one row, a pending one has no table; the applied ones are a prefix of the plan (the
  target is before or after each migration, never between); ``dirty`` only on MariaDB (its
  DDL commits at once: SPEC §3), at most one, resolved from the schema with ``nexo repair``;
- ``nexo audit verify`` passes (the hash chain, with a lone ``fleet_start`` or not);
- the lock is free;
- a refused write: exit 1, the error names what failed; targets reported ``not_started`` are
  exactly as they were;
- a second, uncut run (same command) brings every target to the goal, and the history shows no
  migration applied or rolled back twice.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.reliability import steps as step_hook
from tests.reliability.harness import ForkedCli, engine_for, execute, q, run_cli, settle, status_json
from tests.reliability.killsteps import Dump, audit_ok, dump, lock_is_free


@dataclass
class Fleet:
    mdir: Path
    ids: list[str]
    #: migration id -> the table it creates (with one row: id 1, v 'x')
    tables: dict[str, str]
    #: target name -> (dialect, url), in file order; the first is the canary
    urls: dict[str, tuple[str, str]]
    targets: Path

    def key_of(self) -> Callable[[sa.engine.URL], str]:
        keys = {make_url(url).database: name for name, (_d, url) in self.urls.items()}
        return lambda url: keys.get(url.database, "?")


def create_sql(table: str) -> str:
    return f"CREATE TABLE {table} (id INTEGER, v VARCHAR(10))"


def write_project(mdir: Path, n: int) -> tuple[list[str], dict[str, str]]:
    from tests.helpers.projects import write_sql

    ids: list[str] = []
    tables = {}
    for i in range(1, n + 1):
        mid = f"2025.04.01.{i:06d}_fk{i}"
        write_sql(mdir, mid, f"{create_sql(f'fk{i}')};\nINSERT INTO fk{i} (id, v) VALUES (1, 'x');",
                  f"DROP TABLE fk{i};", depends=ids[-1:])
        ids.append(mid)
        tables[mid] = f"fk{i}"
    return ids, tables


def write_targets(path: Path, urls: dict[str, tuple[str, str]]) -> Path:
    entries = [f'[[targets]]\nname = "{name}"\nurl = "{url}"\ntags = {json.dumps(["canary"] if i == 0 else [])}\n'
               for i, (name, (_d, url)) in enumerate(urls.items())]
    path.write_text("[fleet]\nparallel = 2\n\n" + "\n".join(entries), encoding="utf-8")
    return path


# --- the steps to cut at ------------------------------------------------------------------------


def per_target(log: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in step_hook.read_log(log):
        key, _, step = line.partition("\t")
        out.setdefault(key, []).append(step)
    return out


def cuts(steps: list[str]) -> dict[str, int]:
    """Named steps of one target, 1-based: its first write (the ``fleet_start`` row), its first
    and last migration statement, the step after the first (on MariaDB that statement has
    committed, the migration is unfinished), the COMMIT of its last migration, its last history
    row (``fleet_end``) and ``done`` (its pipeline returned: between targets)."""
    user = [n for n, s in enumerate(steps, 1) if s.startswith("write") and "__" not in s]
    history = [n for n, s in enumerate(steps, 1) if "__MigrationHistory" in s and s.startswith("write INSERT")]
    return {"first write": next(n for n, s in enumerate(steps, 1) if s.startswith("write")),
            "first statement": user[0], "after first statement": user[0] + 1, "last statement": user[-1],
            "last commit": next(n for n in range(user[-1] + 1, len(steps) + 1) if steps[n - 1].startswith("commit")),
            "fleet_end": history[-1], "done": len(steps)}


#: the default sample: (mode, target, named step). The canary (alone, the others waiting), the
#: two others running side by side; each kind of cut once.
SAMPLE = [("kill", "lite", "first write"), ("kill", "lite", "done"), ("kill", "pg", "first statement"),
          ("kill", "pg", "last commit"), ("kill", "maria", "after first statement"), ("kill", "maria", "fleet_end"),
          ("fail", "lite", "last statement"), ("fail", "pg", "fleet_end"), ("fail", "maria", "first statement")]


def every_step(steps: list[str]) -> tuple[list[int], list[int]]:
    """``NEXO_KILL_EVERY_STEP=1``: a kill before every step, each distinct write refused once."""
    seen: set[str] = set()
    fails = []
    for n, s in enumerate(steps, 1):
        if s.startswith("write") and s[:70] not in seen:
            seen.add(s[:70])
            fails.append(n)
    return list(range(1, len(steps) + 1)), fails


def runs_for(fleet: Fleet, counted: dict[str, list[str]]) -> list[tuple[str, str, int]]:
    if os.environ.get("NEXO_KILL_EVERY_STEP") != "1":
        return [(mode, name, cuts(counted[name])[which]) for mode, name, which in SAMPLE]
    runs = []
    for name in fleet.urls:
        kills, fails = every_step(counted[name])
        runs += [("kill", name, n) for n in kills] + [("fail", name, n) for n in fails]
    return runs


# --- what each run must leave -------------------------------------------------------------------


def schema(url: str) -> tuple[dict[str, list[tuple]], tuple]:
    """One look at the database: every user table's rows, and the history's shape (action,
    status, migration of each row, in order; no times, ids or hashes)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            rows = {t: sorted(tuple(r) for r in conn.execute(sa.text(f"SELECT id, v FROM {q(url, t)}")))
                    for t in names if not t.startswith("__")}
            shape: tuple = ()
            if "__MigrationHistory" in names:
                shape = tuple(tuple(r) for r in conn.execute(sa.text(
                    f"SELECT action, status, migration_id FROM {q(url, '__MigrationHistory')} ORDER BY seq")))
        return rows, shape
    finally:
        engine.dispose()


def truthful(fleet: Fleet, name: str, context: str) -> tuple[list[str], tuple]:
    """Status agrees with the schema, the target is before or after each migration; returns
    the dirty migrations (MariaDB only, at most one) and what the database holds, in short."""
    dialect, url = fleet.urls[name]
    doc = status_json(url, fleet.mdir)
    real, shape = schema(url)
    status = {m["id"]: m["status"] for m in doc["migrations"]}
    assert set(real) <= set(fleet.tables.values()), f"{context}: {name}: unexpected tables {real}"
    for mid, st in status.items():
        table = fleet.tables[mid]
        if st == "applied":
            assert real.get(table) == [(1, "x")], f"{context}: {name}: {mid} applied, {table}: {real.get(table)}"
        elif st in ("pending", "failed"):  # failed: it ran, failed and rolled back whole
            assert table not in real, f"{context}: {name}: {mid} {st} but {table} exists"
        else:
            assert st == "dirty" and dialect == "mysql", f"{context}: {name}: {mid} is {st}"
    dirty = [mid for mid in fleet.ids if status[mid] == "dirty"]
    done = [mid for mid in fleet.ids if status[mid] not in ("pending", "failed")]
    assert len(dirty) <= 1 and done == fleet.ids[:len(done)], f"{context}: {name}: not a prefix: {status}"
    assert not dirty or dirty[0] == done[-1], f"{context}: {name}: dirty is not the newest: {status}"
    return dirty, (tuple(sorted(status.items())), tuple(sorted(real)), shape)


def repair(fleet: Fleet, name: str, mid: str) -> None:
    """What a DBA does with a dirty MariaDB migration: its table with its row means it ran
    (mark applied); otherwise undo what is there and mark it rolled back."""
    _dialect, url = fleet.urls[name]
    table = fleet.tables[mid]
    real = schema(url)[0]
    ran = real.get(table) == [(1, "x")]
    if not ran and table in real:
        execute(url, f"DROP TABLE {q(url, table)}")
    code, out, err = run_cli("--db", url, "--migrations", str(fleet.mdir), "repair", mid, "--mark",
                             "applied" if ran else "rolled-back", "--yes")
    assert code == 0, out + err


def once_each(fleet: Fleet, name: str, goal: set[str], context: str) -> None:
    """The history never applies an applied migration nor rolls back a pending one, and ends at
    ``goal``; the chain verifies."""
    _dialect, url = fleet.urls[name]
    code, out, err = run_cli("--db", url, "--migrations", str(fleet.mdir), "history", "--json", "--limit", "0")
    assert code == 0, out + err
    applied: set[str] = set()
    for e in json.loads(out)["events"]:
        mid = e["migration_id"]
        if mid is None or e["status"] != "ok":
            continue
        after = (e["details"] or {}).get("after") if e["action"] == "repair" else None
        if e["action"] == "apply":
            assert mid not in applied, f"{context}: {name}: {mid} applied twice (seq {e['seq']})"
            applied.add(mid)
        elif after == "applied":  # a dirty migration that had finished (or a dirty rollback that had not)
            applied.add(mid)
        elif e["action"] == "rollback":
            assert mid in applied, f"{context}: {name}: {mid} rolled back twice (seq {e['seq']})"
            applied.discard(mid)
        elif after == "rolled_back":  # a dirty migration undone by hand (it never finished)
            applied.discard(mid)
    assert applied == goal, f"{context}: {name}: history ends at {sorted(applied)}"
    audit_ok(url, f"{context}: {name}")


# --- the loop ------------------------------------------------------------------------------------


def restore(fleet: Fleet, name: str, start: Dump) -> None:
    """Put a target back as ``start``: tables created since dropped, user tables dropped since
    created again by their migration's own statement, every table's rows as they were."""
    _dialect, url = fleet.urls[name]
    engine = engine_for(url)
    by_table = {t: mid for mid, t in fleet.tables.items()}
    try:
        now = set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            for table in sorted(now - set(start)):
                conn.execute(sa.text(f"DROP TABLE {q(url, table)}"))
            for table in sorted(set(start) - now):
                assert table in by_table, f"{name}: {table} was dropped"
                conn.execute(sa.text(create_sql(table)))
        with engine.begin() as conn:
            for table, (t, rows) in start.items():
                conn.execute(t.delete())
                if rows:
                    conn.execute(t.insert(), rows)
    finally:
        engine.dispose()


@dataclass
class Outcome:
    kills: int = 0
    failures: int = 0
    reruns: int = 0
    dirty_repaired: int = 0
    steps: dict[str, int] = field(default_factory=dict)


def forked(fleet: Fleet, args: list[str], mode: str, at: tuple[str, int], log: Path) -> ForkedCli:
    log.unlink(missing_ok=True)
    key_of = fleet.key_of()

    def in_child() -> None:
        logging.getLogger().handlers.clear()  # pytest's capture: the child logs as `nexo` does
        step_hook.install(mode, at, log, key_of)

    proc = ForkedCli(args, in_child=in_child)
    proc.go()
    return proc


def check_failed_run(fleet: Fleet, proc: ForkedCli, rc: int, starts: dict[str, Dump], context: str,
                     best_effort: bool) -> None:
    """``best_effort``: the refused write is the schema snapshot closing a rollback, which runs
    after the rollback has committed and never fails it (``drift.closing_snapshot``): exit 0,
    with a warning naming what failed; the next operation records a new snapshot."""
    said = proc.stdout + proc.stderr
    if best_effort:
        assert rc == 0 and "schema snapshot not recorded" in proc.stderr, f"{context}: exit {rc}\n{said}"
    else:
        assert rc == 1, f"{context}: exit {rc}\n{said}"
    assert step_hook.FAULT_TABLE in said or "__nexo_fault_" in said, f"{context}: the error does not say what failed\n{said}"
    doc = json.loads(proc.stdout)
    for t in doc["targets"]:
        if t["status"] == "not_started":
            assert dump(fleet.urls[t["name"]][1]).content() == starts[t["name"]].content(), (
                f"{context}: {t['name']} did not start, yet changed")


def at_each_step(fleet: Fleet, args: list[str], goal: set[str], tmp: Path) -> Outcome:
    """The whole loop; every target in its starting state. ``args``: the fleet command
    (``--json`` included); ``goal``: the migrations applied on every target after it."""
    log = tmp / "fleet-steps.log"
    starts = {name: dump(url) for name, (_d, url) in fleet.urls.items()}
    proc = forked(fleet, args, "count", ("", 0), log)
    assert proc.wait() == 0, proc.stdout + proc.stderr
    counted = per_target(log)
    assert set(counted) == set(fleet.urls), counted.keys()
    for name in fleet.urls:
        assert not truthful(fleet, name, "uncut")[0]
        once_each(fleet, name, goal, "uncut")
    outcome = Outcome(steps={name: len(s) for name, s in counted.items()})
    proven: set[str] = set()  # the in-between states a second run has been proven from
    for mode, name, n in runs_for(fleet, counted):
        context = f"{mode} {name} at step {n}/{len(counted[name])} ({counted[name][n - 1][:90]})"
        for target, (_d, url) in fleet.urls.items():
            restore(fleet, target, starts[target])
        proc = forked(fleet, args, mode, (name, n), log)
        rc = proc.wait()
        if mode == "kill":
            assert rc == -9, f"{context}: exit {rc}\n{proc.stdout}{proc.stderr}"
            outcome.kills += 1
            for dialect, url in fleet.urls.values():
                if dialect != "sqlite":
                    settle(url)
        else:
            closing = "rollback" in args and "__SchemaSnapshots" in counted[name][n - 1]
            check_failed_run(fleet, proc, rc, starts, context, closing)
            outcome.failures += 1
        state = {}
        for target, (_d, url) in fleet.urls.items():
            dirty, state[target] = truthful(fleet, target, context)
            audit_ok(url, f"{context}: {target}")
            lock_is_free(url)
            for mid in dirty:
                repair(fleet, target, mid)
                outcome.dirty_repaired += 1
                dirty, state[target] = truthful(fleet, target, context + " (repaired)")
                assert not dirty
        at_goal = all({mid for mid, st in sig[0] if st == "applied"} == goal for sig in state.values())
        if at_goal or repr(state) in proven:  # at the goal already: proven by the checks above
            continue
        proven.add(repr(state))
        rerun(fleet, args, goal, context)
        outcome.reruns += 1
    return outcome


def rerun(fleet: Fleet, args: list[str], goal: set[str], context: str) -> None:
    code, out, err = run_cli(*args, "--lock-timeout", "5")
    assert code == 0, f"{context}: the next run: exit {code}\n{out}{err}"
    for name in fleet.urls:
        assert not truthful(fleet, name, context + ", then run again")[0]
        once_each(fleet, name, goal, context + ", then run again")

