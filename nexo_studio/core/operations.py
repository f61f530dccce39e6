"""Small operations: status, repair, baseline, audit verify. Each takes the lock when it writes."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from ..errors import InvalidInput, NotApplied, UnknownMigration
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
        return read_snapshot(project, target, conn)


def audit_verify(target: Target) -> ChainVerdict:
    if target.absent():
        return ChainVerdict(True, 0)
    with target.connect() as conn:
        return target.store.verify_chain(conn)


@dataclass(frozen=True)
class RepairResult:
    migration_id: str
    action: str  # mark-applied, mark-rolled-back, accept-checksum, forget-missing
    before: str
    after: str


def repair(project: Project, target: Target, migration_id: str, *, mark: str | None = None,
           accept_checksum: bool = False, forget_missing: bool = False,
           lock_timeout: float = 30.0) -> Generator[Event, None, RepairResult]:
    """Resolve one dirty/failed/drifted/missing row; always recorded in history."""
    if sum([mark is not None, accept_checksum, forget_missing]) != 1:
        raise InvalidInput("repair needs exactly one of --mark, --accept-checksum, --forget-missing")
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
            if state.status != "missing":
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
            store.append(conn, action="repair", status="ok", started_at=started, migration_id=migration_id,
                         deployment_id=new_deployment_id(),
                         details={"repair": action, "before": state.status, "after": after})
        store.committed()
        yield Log("info", f"{migration_id}: {state.status} -> {after}")
        return RepairResult(migration_id, action, state.status, after)


def baseline(project: Project, target: Target, to: str, lock_timeout: float = 30.0) -> Generator[Event, None, list[str]]:
    """Mark ``to`` and everything before it in apply order as applied, without running them."""
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
                             deployment_id=deployment_id, details={"target": to})
        store.committed()
        yield Log("info", f"baselined {len(todo)} migration(s) up to {to}")
        return todo
