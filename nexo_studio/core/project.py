"""A project (the migrations folder, loaded) and its status against one database."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .graph import MigrationGraph, Node
from .loader import load_project
from .model import Migration, parse_id
from .state.chain import ChainVerdict
from .state.store import MigrationRow
from .validate import Finding, state_findings, static_findings
from .kinds import APPLIED, DIRTY, DRIFTED, FAILED, MISSING, PENDING, ROLLED_BACK, RUNNING, MigrationStatus

if TYPE_CHECKING:
    from .target import Target

#: statuses shown everywhere (SPEC §3):
#:  pending  - not applied (never, or rolled back)
#:  applied  - applied, file unchanged
#:  failed   - pending, and its last apply attempt failed; its transaction rolled back, so
#:             nothing of it is in the database (informational: deploy may retry it)
#:  dirty    - recorded ``running`` or ``failed`` in __Migrations: a non-transactional run
#:             (MySQL/MariaDB DDL, ``transaction: none``) crashed or failed part-way
#:  drifted  - applied, but the file's checksum changed since
#:  missing  - applied, but the file is gone
STATUSES = (MigrationStatus.PENDING, MigrationStatus.APPLIED, MigrationStatus.FAILED, MigrationStatus.DIRTY,
            MigrationStatus.DRIFTED, MigrationStatus.MISSING)
#: statuses that make deploy and rollback refuse (exit 3) until `nexo repair`
BLOCKING = (MigrationStatus.DIRTY, MigrationStatus.DRIFTED)

#: what counts as applied for planning (``MigrationState.is_applied``)
_APPLIED_LIKE = frozenset((APPLIED, DRIFTED, MISSING))


@dataclass(frozen=True)
class Project:
    directory: Path
    migrations: dict[str, Migration]
    graph: MigrationGraph
    file_errors: tuple = ()
    duplicates: tuple = ()
    #: what is computed from the files alone, once per loaded project (a fleet run shares one
    #: project across its targets' threads): static findings and gate lint per dialect
    memo: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def load(cls, directory: Path) -> "Project":
        result = load_project(Path(directory))
        return cls.from_migrations(Path(directory), result.migrations, result.errors, result.duplicates)

    @classmethod
    def from_migrations(cls, directory: Path, migrations: Mapping[str, Migration],
                        errors=(), duplicates=()) -> "Project":
        graph = MigrationGraph(Node(m.id, m.version, m.depends) for m in migrations.values())
        return cls(directory, dict(migrations), graph, tuple(errors), tuple(duplicates))

    def findings(self, dialect: str | None) -> list[Finding]:
        """The static findings (files, graph, lint) for ``dialect``; computed once per project."""
        key = ("findings", dialect)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = tuple(static_findings(self.migrations, self.graph, list(self.file_errors),
                                                           list(self.duplicates), dialect))
        return list(found)

    def order(self) -> list[str]:
        return self.graph.order()

    def resolve(self, target: str) -> str | None:
        """A target that is an id -> the id; a version -> None (callers compare versions)."""
        return target if target in self.migrations else None


@dataclass(frozen=True)
class MigrationState:
    id: str
    version: str
    name: str
    status: str
    migration: Migration | None
    row: MigrationRow | None

    @property
    def description(self) -> str:
        if self.migration is not None:
            return self.migration.description
        return (self.row.description if self.row else "") or ""

    @property
    def is_applied(self) -> bool:
        """Counts as applied for planning (its effects are in the database)."""
        return self.status in _APPLIED_LIKE


@dataclass(frozen=True)
class Snapshot:
    """Project + database state at one moment: what every view shows."""

    dialect: str
    states: tuple[MigrationState, ...]
    findings: tuple[Finding, ...] = ()
    by_id: dict[str, MigrationState] = field(default_factory=dict, compare=False, repr=False)
    #: the state tables were tampered with as a whole (a table dropped, history rows deleted
    #: from its end): deploy and rollback refuse until `nexo repair --accept-history`
    tampered_tables: tuple[str, ...] = ()
    #: the history's hash chain as read with the state (None: not checked, e.g. no database):
    #: while it has breaks not accepted, deploy and rollback refuse (SPEC §7)
    chain: ChainVerdict | None = None

    @property
    def chain_breaks(self) -> tuple:
        """History rows that break the hash chain and were not accepted (ChainBreak, by seq)."""
        return self.chain.breaks if self.chain is not None else ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def with_status(self, *statuses: str) -> list[MigrationState]:
        return [s for s in self.states if s.status in statuses]

    @property
    def schema_version(self) -> str | None:
        applied = [s.version for s in self.states if s.is_applied]
        return max(applied) if applied else None


def status_of(m: Migration | None, row: MigrationRow | None, dialect: str) -> str:
    if row is None or row.status == ROLLED_BACK:
        return PENDING if m is not None else MISSING
    if row.status == RUNNING or row.status == FAILED:
        return DIRTY
    if m is None:
        return MISSING
    if row.checksum != m.checksum(dialect):
        return DRIFTED
    return APPLIED


def snapshot(project: Project, applied: Mapping[str, MigrationRow], dialect: str,
             failed: frozenset[str] | set[str] = frozenset(), tampering=None,
             chain: ChainVerdict | None = None) -> Snapshot:
    """``tampering`` (a StateStore.tampering() result): migrations whose __Migrations row the
    history contradicts are shown ``dirty`` (state unknown: check, then `nexo repair`).
    ``chain``: the history's hash-chain verdict; each break is a ``tampered`` finding."""
    tampered = dict(tampering.rows) if tampering else {}
    try:
        order = project.order()
    except Exception:  # a cycle: fall back to version order so the views still show something
        order = sorted(project.migrations, key=lambda i: (project.migrations[i].version, i))
    states = []
    for mid in order:
        m = project.migrations[mid]
        row = applied.get(mid)
        st = status_of(m, row, dialect)
        if st == PENDING and mid in failed:
            st = FAILED
        if mid in tampered:
            st = DIRTY
        states.append(MigrationState(mid, m.version, m.name, st, m, row))
    gone = [(mid, row) for mid, row in applied.items()  # rows whose file is gone: sort only those
            if mid not in project.migrations and (row.status != ROLLED_BACK or mid in tampered)]
    for mid, row in sorted(gone, key=lambda kv: (kv[1].version, kv[0])):
        st = MigrationStatus.DIRTY if mid in tampered else status_of(None, row, dialect)
        states.append(MigrationState(mid, row.version, row.name, st, None, row))
    for mid in sorted(set(tampered) - set(project.migrations) - set(applied)):  # file and row gone
        version, name = parse_id(mid) or ("", mid)
        states.append(MigrationState(mid, version, name, MigrationStatus.DIRTY, None, None))
    findings = project.findings(dialect) + state_findings(project.migrations, applied, dialect)
    if tampered:  # an edited row is tampered (dirty), not a changed file: no drift finding for it
        findings = [f for f in findings if not (f.code == "drift" and f.ids[0] in tampered)]
    findings += [Finding("warning", "tampered", (), f"state tables tampered with: {problem}")
                 for problem in (tampering.tables if tampering else ())]
    findings += [Finding("warning", "tampered", (mid,),
                         f"{mid} was tampered with: {why}; check its objects, then "
                         f"`nexo repair {mid} --mark applied|rolled-back`",
                         project.migrations[mid].path if mid in project.migrations else None)
                 for mid, (_seq, why) in sorted(tampered.items())]
    findings += chain_findings(chain) if chain is not None else []
    snap = Snapshot(dialect, tuple(states), tuple(findings),
                    tampered_tables=tuple(tampering.tables) if tampering else (), chain=chain)
    snap.by_id.update({s.id: s for s in states})
    return snap


def read_snapshot(project: Project, target: Target, conn: sa.Connection | None) -> Snapshot:
    """The project against the database's state tables, read in one view (creates nothing).

    Lives here, not in the pipeline, so that `status` does not load deploy and rollback."""
    if conn is None:  # an SQLite file that does not exist yet
        return snapshot(project, {}, target.dialect)
    from .state.chainscan import verify_history

    store = target.store
    for attempt in range(5):
        try:
            with _one_view(target, conn):  # __Migrations and the history as of one moment
                applied = store.applied(conn)
                failed = store.failed_attempts(conn)
                chain = verify_history(store, conn)  # the whole chain, every time (SPEC §7)
                tampering = store.tampering(conn, applied)
            break
        except Exception as exc:  # noqa: BLE001 - re-raised unless it is 1412
            if conn.in_transaction():
                conn.rollback()
            # MySQL/MariaDB 1412: a state table was created (by a deploy's first run) after this
            # read began; read again. The chain is read on the driver's own cursor, so the error
            # may come unwrapped (pymysql's), not as SQLAlchemy's OperationalError.
            args = getattr(getattr(exc, "orig", exc), "args", None) or (None,)
            if attempt == 4 or args[0] != 1412:
                raise
            time.sleep(0.05 * (attempt + 1))
    return snapshot(project, applied, target.dialect, failed, tampering, chain)


@contextlib.contextmanager
def _one_view(target: Target, conn: sa.Connection):
    """One read-only transaction that sees a single state of the database, even while another
    process deploys: otherwise a row committed between reading __Migrations and reading the
    history would look like tampering. PostgreSQL reads in REPEATABLE READ (its default, READ
    COMMITTED, takes a new snapshot per statement); MySQL/MariaDB's default already is, and
    SQLite's read transaction holds its shared lock throughout."""
    target.store._resolve_schema(conn)
    if conn.in_transaction():
        conn.rollback()
    try:
        if target.rules.snapshot_isolation_sql:
            conn.exec_driver_sql(target.rules.snapshot_isolation_sql)
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()


def mark_in_progress(snap: Snapshot, ids: list[str], holder: str) -> Snapshot:
    """A read-only view taken while another process holds the lock and is applying ``ids``
    (rows recorded ``running``): they are in progress, not dirty. Shown as pending, with an
    ``in_progress`` finding naming the holder. State tables seen missing meanwhile are being
    created by that holder, not tampered with."""
    from dataclasses import replace

    busy = set(ids)
    states = tuple(replace(s, status=MigrationStatus.PENDING) if s.id in busy and s.status == MigrationStatus.DIRTY else s
                   for s in snap.states)
    creating = {f"state tables tampered with: {problem}" for problem in snap.tampered_tables}
    findings = tuple(f for f in snap.findings if not (f.code == "dirty" and set(f.ids) & busy)
                     and not (f.code == "tampered" and f.message in creating))  # table-level: being created
    findings += tuple(Finding("warning", "in_progress", (mid,), f"{mid} is being applied right now by {holder}")
                      for mid in ids)
    if snap.tampered_tables:
        findings += (Finding("warning", "in_progress", (), f"the state tables are being set up by {holder}"),)
    new = replace(snap, states=states, findings=findings, tampered_tables=(), by_id={})
    new.by_id.update({s.id: s for s in states})
    return new



def chain_findings(verdict: ChainVerdict) -> list[Finding]:
    """A finding per history row that breaks the hash chain (and was not accepted): status,
    validate and every snapshot read from the database carry them."""
    return [Finding("warning", "tampered", (), f"history row seq {b.seq} breaks the hash chain: {b.reason}; restore a "
                                               "backup, or accept it on record (`nexo repair --accept-history`)")
            for b in verdict.breaks]
