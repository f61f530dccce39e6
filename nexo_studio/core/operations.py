"""Small operations: status, repair, baseline, audit verify. Each takes the lock when it writes."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import (AuditFailed, HealthyRow, HistoryChanged, InvalidInput, NotApplied, UnknownMigration,
                      ValidationFailed)
from .model import VERSION_RE, Migration
from .project import Project, Snapshot, read_snapshot  # not from .pipeline: status need not load it
from .state.chain import ACCEPT_HISTORY, ChainBreak, ChainVerdict
from .state.store import HistoryRow, new_deployment_id, utcnow
from .target import Target
from .kinds import DIRTY, RUNNING, HistoryAction, HistoryStatus, MigrationStatus

if TYPE_CHECKING:
    from .events import Event
    from .state.anchor import AnchorVerdict


def status(project: Project, target: Target) -> Snapshot:
    """Read-only: creates nothing (missing state tables mean nothing applied).

    A ``running`` row is in progress while its deployer holds the lock (MySQL/MariaDB and
    ``transaction: none`` commit the row before running the migration), and dirty once nobody
    does. Deciding that by asking for the holder after the read raced with a deploy that
    finished in between (its last row, read ``running``, then looked dirty). So: if someone
    holds the lock, the rows are in progress; if nobody does, the state is read again while
    the lock is kept free for a moment (``quiet``): a ``running`` row seen then is dirty."""
    if target.absent():
        from .project import snapshot

        return snapshot(project, {}, target.dialect)
    with target.connect() as conn:
        return status_on(project, target, conn)


def status_on(project: Project, target: Target, conn) -> Snapshot:
    """``status`` on a connection the caller holds (the GUI reads the history on it too): the
    one place that decides what each migration's status is, for both front ends."""
    snap = read_snapshot(project, target, conn)
    if _running(snap) or snap.tampered_tables:
        snap = _judge_running(project, target, conn, snap)
    from .preexisting import with_preexisting  # objects the next migration would create exist?

    return with_preexisting(snap, conn, target.dialect)


def _running(snap: Snapshot) -> list[str]:
    """Rows recorded ``running`` (shown dirty), except those the history contradicts."""
    return [s.id for s in snap.states if s.status == DIRTY and s.row is not None and s.row.status == RUNNING
            and not any(f.code == "tampered" and s.id in f.ids for f in snap.findings)]


def _judge_running(project: Project, target: Target, conn, snap: Snapshot) -> Snapshot:
    """In progress or dirty (see status). State tables seen missing while another operation
    holds the lock are being created (MySQL/MariaDB DDL is not transactional), likewise."""
    from .project import mark_in_progress
    from .state.locks import held_by, lock_for, quiet

    lock = lock_for(target.engine)
    holder = held_by(lock)
    if holder is None:
        with quiet(lock) as free:
            snap = read_snapshot(project, target, conn)
        if free or not (_running(snap) or snap.tampered_tables):
            return snap
        holder = held_by(lock) or "another process"
    return mark_in_progress(snap, _running(snap), holder)


def audit_verify(target: Target) -> ChainVerdict:
    """The history's hash chain, its recorded tail, and __Migrations against the history."""
    if target.absent():
        return ChainVerdict(True, 0)
    with target.connect() as conn:
        verdict = target.store.verify_chain(conn)
        tampering = target.store.tampering(conn)
    from .state.audit import audit_verdict

    return audit_verdict(verdict, tampering)


def audit_anchor(target: Target) -> dict:
    """An anchor of the history as it is now (see state/anchor.py), to keep elsewhere. Refused
    (AuditFailed) while the history does not verify: an anchor vouches for what it records."""
    from .state.anchor import anchor_document, read_head

    verdict = audit_verify(target)
    if not verdict.ok:
        raise AuditFailed(str(verdict))
    if target.absent():
        raise InvalidInput(f"{target.display_url}: no database, nothing to anchor")
    with target.connect() as conn:
        head = read_head(target.store, conn)
    return anchor_document(head, target.display_url, target.dialect)


def audit_verify_anchor(target: Target, path) -> "AnchorVerdict":
    """Whether the history still holds, unchanged, the rows up to the head an anchor recorded."""
    from .state.anchor import AnchorVerdict, Head, anchor_problems, load_anchor, read_head

    anchor = load_anchor(path)
    if target.absent():
        return AnchorVerdict(anchor, tuple(anchor_problems(anchor, Head(0, 0, "", ""))))
    with target.connect() as conn:
        head = read_head(target.store, conn, upto=anchor.head_seq)
    return AnchorVerdict(anchor, tuple(anchor_problems(anchor, head)))


def refuse_invalid(project: Project, target: Target) -> None:
    """Validation errors block every command that changes the database (SPEC §2): exit 2,
    before anything is opened or created."""
    findings = project.findings(target.dialect)
    if any(f.level == "error" for f in findings):
        raise ValidationFailed(findings)


@dataclass(frozen=True)
class RepairResult:
    migration_id: str
    action: str  # mark-applied, mark-rolled-back, accept-checksum, forget-missing, accept-history
    before: str
    after: str
    #: seq of the history row that records the repair
    seq: int | None = None


@dataclass(frozen=True)
class HistoryProblems:
    """What ``repair --accept-history`` accepts: history rows that break the hash chain (edited,
    or with rows deleted before them) and history rows or state tables that were lost. Read-only;
    shown to the user before they confirm, and handed back so exactly that is accepted."""

    breaks: tuple[ChainBreak, ...] = ()
    tables: tuple[str, ...] = ()
    #: the rows the breaks name, as they are now (what the user is asked to accept)
    rows: tuple[HistoryRow, ...] = ()
    #: what accepting leaves: migrations whose __Migrations row the history contradicts
    #: (check each one's objects, then ``repair ID --mark``)
    remaining: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.breaks or self.tables)

    @property
    def seqs(self) -> tuple[int, ...]:
        return tuple(b.seq for b in self.breaks)

    def lines(self) -> list[str]:
        """One line per problem accepted (also the ``problems`` recorded in history)."""
        return list(self.tables) + [f"history row {b}" for b in self.breaks]

    def same_as(self, other: "HistoryProblems") -> bool:
        """The same problems: the same rows, as found (their hashes), and the same table findings."""
        return (self.tables == other.tables
                and [(b.seq, b.row_hash) for b in self.breaks] == [(b.seq, b.row_hash) for b in other.breaks])


def _history_problems(target: Target, conn) -> HistoryProblems:
    store = target.store
    verdict = store.verify_chain(conn)
    tampering = store.tampering(conn)
    rows = store.rows_at(conn, verdict.seqs)
    if conn.in_transaction():
        conn.rollback()
    return HistoryProblems(verdict.breaks, tuple(tampering.tables), tuple(rows),
                           tuple(f"{mid}: {why}" for mid, (_seq, why) in sorted(tampering.rows.items())))


def history_problems(target: Target) -> HistoryProblems:
    """What accept-history would accept now (read-only; nothing when the database is new)."""
    if target.absent():
        return HistoryProblems()
    with target.connect() as conn:
        return _history_problems(target, conn)


#: the statuses ``--mark`` resolves (SPEC: repair resolves a dirty or failed row); a tampered
#: row is shown dirty. Marking a healthy (applied or pending) row needs ``override_healthy``.
MARKABLE = (MigrationStatus.DIRTY, MigrationStatus.FAILED, MigrationStatus.DRIFTED)


def repair(project: Project, target: Target, migration_id: str | None, *, mark: str | None = None,
           accept_checksum: bool = False, forget_missing: bool = False, accept_history: bool = False,
           lock_timeout: float = 30.0, expect: HistoryProblems | None = None,
           override_healthy: bool = False) -> Generator[Event, None, RepairResult]:
    """Resolve one dirty/failed/drifted/missing/tampered row, or (``accept_history``) accept
    that the history lost rows or a state table or has rows that break its hash chain; always
    recorded in history. ``expect``: the problems the user confirmed (from history_problems());
    if the database now shows others, nothing is accepted (HistoryChanged).

    The state is read after the lock is acquired: a repair that waited for a deploy judges the
    row as that deploy left it. ``--mark`` on a healthy row (applied or pending) is refused
    (marking an applied row rolled back makes the next deploy apply it again) unless
    ``override_healthy``, which is recorded in the history as such."""
    if sum([mark is not None, accept_checksum, forget_missing, accept_history]) != 1:
        raise InvalidInput("repair needs exactly one of --mark, --accept-checksum, --forget-missing, "
                           "--accept-history")
    refuse_invalid(project, target)
    if accept_history:
        return (yield from _accept_history(target, lock_timeout, expect))
    if migration_id is None:
        raise InvalidInput("repair needs a migration id (or --accept-history)")
    if target.absent() and migration_id not in project.migrations:
        raise UnknownMigration(migration_id)  # before connecting creates an SQLite file
    with target.connect() as conn, target.locked(lock_timeout):
        snap = read_snapshot(project, target, conn)
        state = snap.by_id.get(migration_id)
        if state is None:
            raise UnknownMigration(migration_id)
        row = state.row
        store = target.store
        started = utcnow()
        m = project.migrations.get(migration_id)
        if mark is not None:
            if mark not in (MigrationStatus.APPLIED, "rolled-back"):
                raise InvalidInput(f"--mark takes applied or rolled-back, not {mark!r}")
            if m is None:
                raise InvalidInput(f"{migration_id}: no file in this project has it (deleted, or another project's "
                                   "on this database); nothing changed. --forget-missing only if deleted from here")
            if state.status not in MARKABLE and not override_healthy:
                raise HealthyRow(migration_id, state.status)
            after: str = MigrationStatus.APPLIED if mark == MigrationStatus.APPLIED else MigrationStatus.ROLLED_BACK
            action = f"mark-{mark}"
        elif accept_checksum:
            if state.status != MigrationStatus.DRIFTED:
                raise InvalidInput(f"{migration_id} is {state.status}, not drifted")
            after, action = MigrationStatus.APPLIED, "accept-checksum"
        else:
            if state.status != MigrationStatus.MISSING and not (state.status == MigrationStatus.DIRTY and m is None):
                raise InvalidInput(f"{migration_id} is {state.status}, not missing (its file exists)")
            after, action = "forgotten", "forget-missing"
        if not store.exists(conn) and row is None and mark == "rolled-back":
            raise NotApplied(migration_id)
        store.ensure(conn)
        with conn.begin():
            if forget_missing:
                store.delete_migration(conn, migration_id)
            elif accept_checksum:
                from .run_one import up_text

                mf = _file_of(m, migration_id)  # drifted: its file exists
                store.set_status(conn, migration_id, MigrationStatus.APPLIED, checksum=mf.checksum(target.dialect),
                                 metadata={**(row.metadata if row else {}), **up_text(mf, target.dialect)})
            elif row is None:
                from .pipeline import _row_for

                store.put_migration(conn, **_row_for(_file_of(m, migration_id), target, after, started, 0, "repair"))
            else:
                extra = ({"checksum": _file_of(m, migration_id).checksum(target.dialect)}
                         if after == MigrationStatus.APPLIED else {})
                store.set_status(conn, migration_id, after, **extra)
            details = {"repair": action, "before": state.status, "after": after}
            if mark is not None and state.status not in MARKABLE:
                details["override"] = "healthy"  # the explicit, confirmed override, on record
            if after == MigrationStatus.APPLIED:  # what the row now records, for the tamper check
                details["checksum"] = _file_of(m, migration_id).checksum(target.dialect)
            recorded = store.append(conn, action=HistoryAction.REPAIR, status=HistoryStatus.OK, started_at=started,
                                    migration_id=migration_id, deployment_id=new_deployment_id(), details=details)
        from .events import Log  # loaded by the operations that yield events, not by status
        yield Log("info", f"{migration_id}: {state.status} -> {after}")
        return RepairResult(migration_id, action, state.status, after, recorded.seq)


def _file_of(m: Migration | None, migration_id: str) -> Migration:
    """The migration's file (repairs that write a checksum or a new row need it)."""
    if m is None:
        raise InvalidInput(f"{migration_id}: its file is gone; use --forget-missing")
    return m


def _accept_history(target: Target, lock_timeout: float,
                    expect: HistoryProblems | None) -> Generator[Event, None, RepairResult]:
    """Accept a history that lost rows or a state table, or whose rows were edited (after a
    restore was not possible): re-create what is missing and record the acceptance, naming each
    row by its seq and its hash as found, so the audit trail says what was accepted and an
    accepted row edited again is caught again. The edited rows themselves stay as they are."""
    from .events import Log

    with target.connect() as conn, target.locked(lock_timeout):
        problems = _history_problems(target, conn)
        if expect is not None and not problems.same_as(expect):
            raise HistoryChanged(expect.lines(), problems.lines())
        if not problems:
            raise InvalidInput("nothing to accept: the history chain verifies and the state tables are consistent")
        store = target.store
        started = utcnow()
        store.ensure(conn)
        details: dict = {"repair": ACCEPT_HISTORY, "problems": problems.lines()}
        if problems.breaks:
            details["chain_breaks"] = [{"seq": b.seq, "reason": b.reason, "row_hash": b.row_hash}
                                       for b in problems.breaks]
        with conn.begin():
            row = store.append(conn, action=HistoryAction.REPAIR, status=HistoryStatus.OK, started_at=started,
                               deployment_id=new_deployment_id(), details=details)
        for line in problems.lines():
            yield Log("warning", f"accepted: {line}")
        yield Log("info", f"the acceptance is recorded in the history as seq {row.seq}")
        for line in problems.remaining:
            yield Log("warning", f"still to repair: {line}")
        return RepairResult("", ACCEPT_HISTORY, "tampered", "accepted", row.seq)


def baseline(project: Project, target: Target, to: str, lock_timeout: float = 30.0) -> Generator[Event, None, list[str]]:
    """Mark ``to`` and everything before it in apply order as applied, without running them."""
    from .events import Log

    refuse_invalid(project, target)
    order = project.order()
    if to in project.migrations:
        cut = order.index(to) + 1
        ids = order[:cut]
    elif VERSION_RE.match(to):
        ids = [i for i in order if project.migrations[i].version <= to]
    else:
        raise UnknownMigration(to)
    with target.connect() as conn, target.locked(lock_timeout):
        snap = read_snapshot(project, target, conn)
        if snap.tampered_tables or snap.chain_breaks:
            from .pipeline import refuse_blocked

            refuse_blocked(snap)
        todo = [i for i in ids if snap.by_id[i].status in (MigrationStatus.PENDING, MigrationStatus.FAILED)]
        if not todo:
            return []
        from .pipeline import _row_for

        store = target.store
        store.ensure(conn)
        deployment_id = new_deployment_id()
        from .state.snapshots import capture, record

        cap = capture(conn, store)  # the schema baselined is the accepted one (SPEC §10)
        with conn.begin():
            for n, i in enumerate(todo, 1):
                started = utcnow()
                store.put_migration(conn, **_row_for(project.migrations[i], target, MigrationStatus.APPLIED, started, 0, deployment_id))
                details = {"target": to, "checksum": project.migrations[i].checksum(target.dialect)}
                row = store.append(conn, action=HistoryAction.BASELINE, status=HistoryStatus.OK, started_at=started,
                                   migration_id=i, deployment_id=deployment_id,
                                   details={**details, **cap.details()} if n == len(todo) else details)
            record(store, conn, cap, row.seq)
        yield Log("info", f"baselined {len(todo)} migration(s) up to {to}")
        return todo
