"""`fleet status`: every target read in parallel, one row each; read-only (SPEC §9).

Each worker thread opens its own Session (engine, connections) for its target; the project
is loaded once and shared (it is read, never changed). A target that cannot be reached, or
whose lock another operation holds, is a row like the others, never fatal to the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ...core.config import Config
from ...core.reports.model import iso
from ...errors import NexoError
from .targets import FleetTarget

if TYPE_CHECKING:
    from ...core.project import Project, Snapshot
    from ...core.state.chain import ChainVerdict


#: a target's state, worst first: the first that applies is the target's (SPEC §9)
STATES = ("unreachable", "tampered", "dirty", "failed", "drifted", "locked", "pending", "up_to_date")


@dataclass(frozen=True)
class TargetStatus:
    name: str
    dialect: str
    state: str
    applied: int = 0
    pending: int = 0
    #: the applied migration with the newest version (None: nothing applied)
    head: str | None = None
    last_deployed_at: datetime | None = None
    error: str | None = None
    #: every migration's status on this target, in apply order (as `nexo status` shows it)
    migrations: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    #: the history's hash chain (read for `fleet export` only)
    chain: "ChainVerdict | None" = None

    @property
    def answered(self) -> bool:
        return self.state != "unreachable"

    def as_dict(self) -> dict:
        """The row of `fleet status --json` (SPEC §9), plus tags and (export) the chain."""
        doc = {"name": self.name, "dialect": self.dialect, "state": self.state, "applied": self.applied,
               "pending": self.pending, "head": self.head, "last_deployed_at": iso(self.last_deployed_at),
               "error": self.error, "tags": list(self.tags), "migrations": dict(self.migrations)}
        if self.chain is not None:
            doc["chain"] = {"ok": self.chain.ok, "rows": self.chain.rows, "bad_seq": self.chain.bad_seq,
                            "message": str(self.chain)}
        return doc


def state_of(snap: "Snapshot", locked: bool) -> str:
    statuses = {s.status for s in snap.states}
    if snap.tampered_tables or any(f.code == "tampered" for f in snap.findings):
        return "tampered"
    for st in ("dirty", "failed", "drifted"):
        if st in statuses:
            return st
    if "missing" in statuses:
        return "drifted"
    if locked:
        return "locked"
    return "pending" if "pending" in statuses else "up_to_date"


def _from_snapshot(t: FleetTarget, snap: "Snapshot", holder: str | None) -> TargetStatus:
    applied = [s for s in snap.states if s.is_applied]
    head = max(applied, key=lambda s: (s.version, s.id)).id if applied else None
    times = [s.row.applied_at for s in applied if s.row is not None and s.row.applied_at is not None]
    return TargetStatus(
        t.name, snap.dialect, state_of(snap, holder is not None), len(applied),
        sum(1 for s in snap.states if s.status in ("pending", "failed")), head, max(times) if times else None,
        f"locked by {holder}" if holder else None, {s.id: s.status for s in snap.states}, t.tags)


def dialect_name(t: FleetTarget) -> str:
    """The target's dialect from its URL, without connecting ("unknown" for a malformed URL)."""
    from ...core.db import dialect_of, parse_url

    try:
        return dialect_of(parse_url(t.url))
    except NexoError:
        return "unknown"


def unreachable(t: FleetTarget, exc: BaseException) -> TargetStatus:
    from ...core.db import redact

    dialect = dialect_name(t)
    text = str(exc) if isinstance(exc, NexoError) else str(getattr(exc, "orig", None) or exc).strip()
    return TargetStatus(t.name, dialect, "unreachable", error=redact(text.splitlines()[0] if text else
                                                                       type(exc).__name__), tags=t.tags)


def open_session(config: Config, project: "Project", t: FleetTarget):
    from ..session import Session

    session = Session(config, t.url)
    session.project = project
    return session


def read_one(project: "Project", config: Config, t: FleetTarget, chain: bool = False) -> TargetStatus:
    """One target's row: the same ``core.operations.status`` that `nexo status` runs. Whether
    a server target's lock is held is asked per server afterwards (``with_locks``)."""
    import sqlalchemy as sa

    from ...core.operations import audit_verify, status
    from .locks import file_holder

    session = open_session(config, project, t)
    try:
        target = session.target
        snap = status(project, target)
        holder = file_holder(target) if target.dialect == "sqlite" else None
        row = _from_snapshot(t, snap, holder)
        if chain:
            row = replace(row, chain=audit_verify(target))
        return row
    except (NexoError, sa.exc.SQLAlchemyError, OSError) as exc:
        return unreachable(t, exc)
    finally:
        session.close()


def with_locks(rows: list[TargetStatus], targets: Sequence[FleetTarget], config: Config,
               parallel: int) -> list[TargetStatus]:
    """Mark ``locked`` the answered server targets whose lock another operation holds now
    (one connection per server; a server that does not answer leaves its rows as they are)."""
    import sqlalchemy as sa

    from ...core.config import with_keyring_password
    from ...core.db import parse_url
    from ...core.target import Target
    from .locks import server_holders, server_of

    servers: dict[tuple, list[int]] = {}
    for i, (t, row) in enumerate(zip(targets, rows)):
        key = server_of(parse_url(t.url)) if row.answered and row.dialect != "sqlite" else None
        if key is not None:
            servers.setdefault(key, []).append(i)

    def ask(indexes: list[int]) -> dict[int, str]:
        target = Target(with_keyring_password(targets[indexes[0]].url), config.schema)
        dbs = {i: parse_url(targets[i].url).database or "" for i in indexes}
        try:
            held = server_holders(target, sorted(set(dbs.values())))
        except (NexoError, sa.exc.SQLAlchemyError):
            return {}
        finally:
            target.dispose()
        return {i: held[db] for i, db in dbs.items() if db in held}

    out = list(rows)
    for found in in_parallel(ask, list(servers.values()), parallel):
        for i, holder in found.items():
            r = out[i]
            out[i] = replace(r, state="locked" if r.state in ("pending", "up_to_date") else r.state,
                             error=f"locked by {holder}")
    return out


#: what every target's pipeline imports: loaded once before the threads start, so they do not
#: queue on the import lock one behind the other
_PIPELINE_MODULES = ("core.pipeline", "core.lint.gate", "core.lint.engine", "core.drift", "core.state.snapshots",
                     "core.schema.reflect", "core.verify_step", "core.backup.operations", "core.operations")


def prepare(project: "Project", targets: Sequence[FleetTarget]) -> None:
    """Compute what the project caches per dialect once, before the threads share it."""
    import importlib

    project.order()
    dialects = {dialect_name(t) for t in targets} - {"unknown"}
    for name in _PIPELINE_MODULES + tuple(f"core.schema.{d}" for d in dialects):
        try:
            importlib.import_module(f"nexo_studio.{name}")
        except ImportError:  # an optional part (a dialect without reflection): its target says so
            pass
    for dialect in dialects:
        project.findings(dialect)
        for m in project.migrations.values():
            m.checksum(dialect)


def in_parallel(fn: Callable, targets: Sequence, parallel: int) -> list:
    """``fn`` over every item, at most ``parallel`` at once, results in the items' order."""
    if parallel <= 1 or len(targets) <= 1:
        return [fn(t) for t in targets]
    with ThreadPoolExecutor(max_workers=min(parallel, len(targets)), thread_name_prefix="nexo-fleet") as pool:
        return list(pool.map(fn, targets))


def read_all(project: "Project", config: Config, targets: Sequence[FleetTarget], parallel: int,
             chain: bool = False) -> list[TargetStatus]:
    prepare(project, targets)
    rows = in_parallel(lambda t: read_one(project, config, t, chain), targets, parallel)
    return with_locks(rows, targets, config, parallel)
