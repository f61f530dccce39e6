"""Deploy and rollback plans: which migrations, in which order (SPEC §4). Pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HasDependents, InvalidInput, Irreversible, NotApplied, NotInProject, UnknownMigration
from .model import VERSION_RE
from .project import Project, Snapshot
from .kinds import MigrationStatus


@dataclass(frozen=True)
class Plan:
    action: str  # "apply" or "rollback"
    ids: tuple[str, ...]
    target: str | None = None

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


def _check_target(project: Project, snap: Snapshot, target: str) -> None:
    if target in project.migrations or target in snap.by_id:
        return
    if target == "0" or VERSION_RE.match(target):
        return
    raise UnknownMigration(target)


def deploy_plan(project: Project, snap: Snapshot, to: str | None = None) -> Plan:
    """Pending migrations in apply order; with ``to``, only the target (id or version) and
    the pending dependencies it needs."""
    pending = {s.id for s in snap.states if s.status in (MigrationStatus.PENDING, MigrationStatus.FAILED)}
    if to is None:
        wanted = pending
    else:
        _check_target(project, snap, to)
        graph = project.graph
        if to in project.migrations:
            roots = {to}
        else:
            roots = {i for i in pending if project.migrations[i].version <= to}
        wanted = set()
        for r in roots:
            wanted |= {r} | graph.dependencies(r)
        wanted &= pending
    return Plan("apply", tuple(project.graph.order(wanted)), to)


def rollback_plan(project: Project, snap: Snapshot, to: str | None = None, one: str | None = None,
                  with_dependents: bool = False, only_this_project: bool = False) -> Plan:
    """What to undo, dependents first. ``to``: back to an id/version (``"0"``: everything);
    ``one``: a single migration (and its dependents with ``with_dependents``).
    ``only_this_project``: leave alone applied migrations whose file is not in this project
    (``missing``: e.g. another project's rows on the same database)."""
    applied = {s.id for s in snap.states if s.is_applied}
    graph = project.graph
    if only_this_project:
        if one is not None and one not in project.migrations and one in snap.by_id:
            raise InvalidInput(f"{one} has no file in this project: --only-this-project leaves it alone")
        plan = rollback_plan(project, snap, to, one, with_dependents)
        return Plan("rollback", tuple(i for i in plan.ids if i in project.migrations), plan.target)

    def dependents_of(ids: set[str]) -> set[str]:
        out = set()
        for i in ids:
            if i in graph:
                out |= graph.dependents(i)
        return out & applied

    if one is not None:
        _check_target(project, snap, one)
        if one not in applied:
            raise NotApplied(one)
        deps = dependents_of({one})
        if deps and not with_dependents:
            raise HasDependents(one, sorted(deps, key=_version_key(snap)))
        undo = {one} | deps
        target = one
    else:
        assert to is not None
        _check_target(project, snap, to)
        if to == "0":
            undo = set(applied)
        elif to in project.migrations or to in snap.by_id:
            if to not in applied:
                raise NotApplied(to)
            keep = {to} | (graph.dependencies(to) if to in graph else set())
            version = snap.by_id[to].version
            undo = {i for i in applied if snap.by_id[i].version > version and i not in keep}
        else:
            undo = {i for i in applied if snap.by_id[i].version > to}
        undo |= dependents_of(undo)
        target = to
    ordered = _reverse_order(project, snap, undo)
    return Plan("rollback", tuple(ordered), target)


def _version_key(snap: Snapshot):
    return lambda i: (snap.by_id[i].version, i)


def _reverse_order(project: Project, snap: Snapshot, ids: set[str]) -> list[str]:
    known = [i for i in ids if i in project.graph]
    unknown = sorted((i for i in ids if i not in project.graph), key=_version_key(snap))
    return list(reversed(project.graph.order(known) + unknown)) if known else list(reversed(unknown))


def irreversible(project: Project, plan: Plan, dialect: str) -> list[str]:
    """Ids in a rollback plan that cannot be undone (no ``down``, or no file at all)."""
    out = []
    for i in plan.ids:
        m = project.migrations.get(i)
        if m is None or not m.reversible(dialect):
            out.append(i)
    return out


def check_reversible(project: Project, plan: Plan, dialect: str) -> None:
    """Refuse a plan with steps that cannot be undone: NotInProject when some have no file in
    this project (they may be another project's), else Irreversible naming those without down."""
    bad = irreversible(project, plan, dialect)
    no_file = [i for i in bad if i not in project.migrations]
    if no_file:
        raise NotInProject(no_file, [i for i in bad if i in project.migrations])
    if bad:
        raise Irreversible(bad)
