"""Small operations: status, repair, baseline, audit verify. Each takes the lock when it writes."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from ..errors import InvalidInput, NotApplied, UnknownMigration, ValidationFailed
from .events import Event, Log
from .model import VERSION_RE
from .pipeline import read_snapshot
from .project import Project, Snapshot
from .state.chain import ChainVerdict
from .state.store import new_deployment_id, utcnow
from .target import Target


def status(project: Project, target: Target) -> Snapshot:
    """Read-only: creates nothing (missing state tables mean nothing applied)."""
    if target.absent():
        from .project import snapshot

        return snapshot(project, {}, target.dialect)
    with target.connect() as conn:
        snap = read_snapshot(project, target, conn)
    # `running` rows are dirty only if nobody is applying them now (MySQL/MariaDB and
    # `transaction: none` commit the row before running the migration)
    running = [s.id for s in snap.states if s.status == "dirty" and s.row is not None and s.row.status == "running"
               and not any(f.code == "tampered" and s.id in f.ids for f in snap.findings)]
    # Likewise a state table seen missing while another operation holds the lock is being
    # created (MySQL/MariaDB DDL is not transactional), not tampered with.
    if running or snap.tampered_tables:
        from .project import mark_in_progress
        from .state.locks import held_by, lock_for

        holder = held_by(lock_for(target.engine))
        if holder:
            snap = mark_in_progress(snap, running, holder)
    return snap


@dataclass(frozen=True)
class AuditVerdict(ChainVerdict):
    """The chain verdict, and what the state tables say that the history contradicts (a table
    dropped, rows deleted from the history's end, a __Migrations row deleted or edited)."""

    problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        chain = ChainVerdict.__str__(ChainVerdict(self.chain_ok, self.rows, self.bad_seq, self.reason))
        if not self.problems:
            return chain
        return chain + "\nstate tables tampered with:\n" + "\n".join(f"  {p}" for p in self.problems)

    @property
    def chain_ok(self) -> bool:
        return not self.reason


def audit_verify(target: Target) -> ChainVerdict:
    """The history's hash chain, its recorded tail, and __Migrations against the history."""
    if target.absent():
        return ChainVerdict(True, 0)
    with target.connect() as conn:
        verdict = target.store.verify_chain(conn)
        tampering = target.store.tampering(conn)
    if not tampering:
        return verdict
    bad_seq = verdict.bad_seq if not verdict.ok else tampering.first_bad_seq
    return AuditVerdict(False, verdict.rows, bad_seq, verdict.reason, tuple(tampering.messages()))


def refuse_invalid(project: Project, target: Target) -> None:
    """Validation errors block every command that changes the database (SPEC §2): exit 2,
    before anything is opened or created."""
    findings = project.findings(target.dialect)
    if any(f.level == "error" for f in findings):
        raise ValidationFailed(findings)


@dataclass(frozen=True)
class RepairResult:
    migration_id: str
    action: str  # mark-applied, mark-rolled-back, accept-checksum, forget-missing
    before: str
    after: str


def repair(project: Project, target: Target, migration_id: str | None, *, mark: str | None = None,
           accept_checksum: bool = False, forget_missing: bool = False, accept_history: bool = False,
           lock_timeout: float = 30.0) -> Generator[Event, None, RepairResult]:
    """Resolve one dirty/failed/drifted/missing/tampered row, or (``accept_history``) accept
    that the history lost rows or a state table; always recorded in history."""
    if sum([mark is not None, accept_checksum, forget_missing, accept_history]) != 1:
        raise InvalidInput("repair needs exactly one of --mark, --accept-checksum, --forget-missing, "
                           "--accept-history")
    refuse_invalid(project, target)
    if accept_history:
        return (yield from _accept_history(target, lock_timeout))
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
            if mark not in ("applied", "rolled-back"):
                raise InvalidInput(f"--mark takes applied or rolled-back, not {mark!r}")
            if m is None:
                raise InvalidInput(f"{migration_id}: its file is gone; use --forget-missing")
            after = "applied" if mark == "applied" else "rolled_back"
            action = f"mark-{mark}"
        elif accept_checksum:
            if state.status != "drifted":
                raise InvalidInput(f"{migration_id} is {state.status}, not drifted")
            after, action = "applied", "accept-checksum"
        else:
            if state.status != "missing" and not (state.status == "dirty" and m is None):
                raise InvalidInput(f"{migration_id} is {state.status}, not missing (its file exists)")
            after, action = "forgotten", "forget-missing"
        if not store.exists(conn) and row is None and mark == "rolled-back":
            raise NotApplied(migration_id)
        store.ensure(conn)
        with conn.begin():
            if forget_missing:
                store.delete_migration(conn, migration_id)
            elif accept_checksum:
                store.set_status(conn, migration_id, "applied", checksum=m.checksum(target.dialect))
            elif row is None:
                from .pipeline import _row_for

                store.put_migration(conn, **_row_for(m, target, after, started, 0, "repair"))
            else:
                extra = {"checksum": m.checksum(target.dialect)} if after == "applied" else {}
                store.set_status(conn, migration_id, after, **extra)
            details = {"repair": action, "before": state.status, "after": after}
            if after == "applied":  # what the row now records, for the tamper check
                details["checksum"] = m.checksum(target.dialect)
            store.append(conn, action="repair", status="ok", started_at=started, migration_id=migration_id,
                         deployment_id=new_deployment_id(), details=details)
        store.committed()
        yield Log("info", f"{migration_id}: {state.status} -> {after}")
        return RepairResult(migration_id, action, state.status, after)


def _accept_history(target: Target, lock_timeout: float) -> Generator[Event, None, RepairResult]:
    """Accept a history that lost rows from its end or a state table (after a restore was not
    possible): re-create what is missing and record the loss, so the audit trail says it."""
    with target.connect() as conn, target.locked(lock_timeout):
        tampering = target.store.tampering(conn)
        if not tampering.tables:
            raise InvalidInput("nothing to accept: the history and the state tables are consistent")
        store = target.store
        started = utcnow()
        store.ensure(conn)
        with conn.begin():
            store.append(conn, action="repair", status="ok", started_at=started, deployment_id=new_deployment_id(),
                         details={"repair": "accept-history", "problems": list(tampering.tables)})
        store.committed()
        for problem in tampering.tables:
            yield Log("warning", f"accepted: {problem}")
        return RepairResult("", "accept-history", "tampered", "accepted")


def baseline(project: Project, target: Target, to: str, lock_timeout: float = 30.0) -> Generator[Event, None, list[str]]:
    """Mark ``to`` and everything before it in apply order as applied, without running them."""
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
        if snap.tampered_tables:
            from .pipeline import refuse_blocked

            refuse_blocked(snap)
        todo = [i for i in ids if snap.by_id[i].status in ("pending", "failed")]
        if not todo:
            return []
        from .pipeline import _row_for

        store = target.store
        store.ensure(conn)
        deployment_id = new_deployment_id()
        with conn.begin():
            for i in todo:
                started = utcnow()
                store.put_migration(conn, **_row_for(project.migrations[i], target, "applied", started, 0, deployment_id))
                store.append(conn, action="baseline", status="ok", started_at=started, migration_id=i,
                             deployment_id=deployment_id,
                             details={"target": to, "checksum": project.migrations[i].checksum(target.dialect)})
        store.committed()
        yield Log("info", f"baselined {len(todo)} migration(s) up to {to}")
        return todo
