"""The planner on graphs and states built in memory (no files, no database): deploy --to
ID/VERSION, rollback --to ID/VERSION/0, rollback ID with and without dependents, the
irreversible refusal, and applied migrations whose file is not in this project (item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexo_studio.core.model import Migration, Section
from nexo_studio.core.planner import check_reversible, deploy_plan, irreversible, rollback_plan
from nexo_studio.core.project import Project, snapshot
from nexo_studio.core.state.store import MigrationRow
from nexo_studio.errors import (HasDependents, InvalidInput, Irreversible, NotApplied, NotInProject,
                                UnknownMigration)
from tests.helpers.graphs import project_from_dag, random_dag

DIALECT = "sqlite"


def mig(key: str, day: int, depends: tuple[str, ...] = (), down: bool = True) -> Migration:
    mid = f"2025.01.{day:02d}.000000_{key}"
    sections = [Section("up", None, f"CREATE TABLE {key}_t (id INTEGER);", 2)]
    if down:
        sections.append(Section("down", None, f"DROP TABLE {key}_t;", 4))
    return Migration(mid, mid.split("_")[0], key, Path(mid + ".sql"), "sql",
                     depends=tuple(f"2025.01.{d:02d}.000000_{k}" for k, d in depends), sections=tuple(sections))


def diamond(**no_down: bool) -> tuple[Project, dict[str, str]]:
    """a; b and c depend on a; d on b and c; e (newest) on a only."""
    ms = [mig("a", 1, down=not no_down.get("a")),
          mig("b", 2, (("a", 1),), down=not no_down.get("b")),
          mig("c", 3, (("a", 1),), down=not no_down.get("c")),
          mig("d", 4, (("b", 2), ("c", 3)), down=not no_down.get("d")),
          mig("e", 5, (("a", 1),), down=not no_down.get("e"))]
    return Project.from_migrations(Path("."), {m.id: m for m in ms}), {m.name: m.id for m in ms}


def row(m_id: str, checksum: str = "", status: str = "applied") -> MigrationRow:
    version, name = m_id.split("_", 1)
    return MigrationRow(m_id, version, name, None, checksum, status, (), None, None, None, {})


def state(project: Project, applied: list[str], foreign: list[str] = ()):
    """A snapshot with ``applied`` (ids of this project) recorded applied, and ``foreign``
    rows recorded applied whose files are not in the project."""
    rows = {i: row(i, project.migrations[i].checksum(DIALECT)) for i in applied}
    rows.update({i: row(i, "x" * 64) for i in foreign})
    return snapshot(project, rows, DIALECT)


def names(ids, m: dict[str, str]) -> list[str]:
    back = {v: k for k, v in m.items()}
    return [back.get(i, i) for i in ids]


# --- deploy ------------------------------------------------------------------------------------

def test_deploy_everything_pending_in_dependency_order():
    p, m = diamond()
    assert names(deploy_plan(p, state(p, [])).ids, m) == ["a", "b", "c", "d", "e"]
    assert names(deploy_plan(p, state(p, [m["a"], m["b"]])).ids, m) == ["c", "d", "e"]
    assert not deploy_plan(p, state(p, list(m.values())))


def test_deploy_to_id_takes_the_target_and_its_pending_dependencies_only():
    p, m = diamond()
    assert names(deploy_plan(p, state(p, []), m["d"]).ids, m) == ["a", "b", "c", "d"]
    assert names(deploy_plan(p, state(p, [m["a"], m["c"]]), m["d"]).ids, m) == ["b", "d"]
    assert names(deploy_plan(p, state(p, []), m["e"]).ids, m) == ["a", "e"]


def test_deploy_to_version_takes_pending_up_to_it_and_their_dependencies():
    p, m = diamond()
    assert names(deploy_plan(p, state(p, []), "2025.01.03.000000").ids, m) == ["a", "b", "c"]
    assert names(deploy_plan(p, state(p, [m["a"]]), "2025.01.02.000000").ids, m) == ["b"]
    assert not deploy_plan(p, state(p, []), "2024.12.31.000000")


def test_deploy_to_an_unknown_target_is_refused():
    p, _ = diamond()
    with pytest.raises(UnknownMigration):
        deploy_plan(p, state(p, []), "2025.01.09.000000_nope")


# --- rollback --to -------------------------------------------------------------------------------

def test_rollback_to_0_undoes_everything_dependents_first():
    p, m = diamond()
    plan = rollback_plan(p, state(p, list(m.values())), to="0")
    assert names(plan.ids, m) == ["e", "d", "c", "b", "a"]
    order = list(plan.ids)
    for dependent, dependency in (("d", "b"), ("d", "c"), ("b", "a"), ("e", "a")):
        assert order.index(m[dependent]) < order.index(m[dependency])


def test_rollback_to_id_keeps_the_target_and_its_dependencies():
    p, m = diamond()
    snap = state(p, list(m.values()))
    assert names(rollback_plan(p, snap, to=m["b"]).ids, m) == ["e", "d", "c"]
    assert names(rollback_plan(p, snap, to=m["d"]).ids, m) == ["e"]
    assert not rollback_plan(p, snap, to=m["e"])


def test_rollback_to_version_undoes_newer_and_their_dependents():
    p, m = diamond()
    snap = state(p, list(m.values()))
    assert names(rollback_plan(p, snap, to="2025.01.03.500000").ids, m) == ["e", "d"]
    assert names(rollback_plan(p, snap, to="2025.01.01.000000").ids, m) == ["e", "d", "c", "b"]


def test_rollback_to_an_id_that_is_not_applied_is_refused():
    p, m = diamond()
    with pytest.raises(NotApplied):
        rollback_plan(p, state(p, [m["a"]]), to=m["b"])
    with pytest.raises(UnknownMigration):
        rollback_plan(p, state(p, [m["a"]]), to="2025.01.09.000000_nope")


# --- rollback ID ---------------------------------------------------------------------------------

def test_rollback_one_with_applied_dependents_is_refused_naming_them():
    p, m = diamond()
    with pytest.raises(HasDependents) as info:
        rollback_plan(p, state(p, list(m.values())), one=m["b"])
    assert info.value.dependents == [m["d"]]
    with pytest.raises(HasDependents) as info:
        rollback_plan(p, state(p, list(m.values())), one=m["a"])
    assert info.value.dependents == [m["b"], m["c"], m["d"], m["e"]]


def test_rollback_one_with_dependents_undoes_them_first():
    p, m = diamond()
    snap = state(p, list(m.values()))
    assert names(rollback_plan(p, snap, one=m["b"], with_dependents=True).ids, m) == ["d", "b"]
    assert names(rollback_plan(p, snap, one=m["a"], with_dependents=True).ids, m) == ["e", "d", "c", "b", "a"]


def test_rollback_one_without_dependents_is_just_it():
    p, m = diamond()
    assert names(rollback_plan(p, state(p, list(m.values())), one=m["e"]).ids, m) == ["e"]
    # d is not applied: b has no applied dependents
    assert names(rollback_plan(p, state(p, [m["a"], m["b"], m["c"]]), one=m["b"]).ids, m) == ["b"]
    with pytest.raises(NotApplied):
        rollback_plan(p, state(p, [m["a"]]), one=m["b"])


# --- refusals ------------------------------------------------------------------------------------

def test_irreversible_steps_are_refused_by_name():
    p, m = diamond(c=True)
    plan = rollback_plan(p, state(p, list(m.values())), to="0")
    assert irreversible(p, plan, DIALECT) == [m["c"]]
    with pytest.raises(Irreversible) as info:
        check_reversible(p, plan, DIALECT)
    assert not isinstance(info.value, NotInProject)
    assert info.value.ids == [m["c"]] and "(irreversible)" in str(info.value)
    # a plan that does not touch c passes
    check_reversible(p, rollback_plan(p, state(p, list(m.values())), to=m["d"]), DIALECT)


FOREIGN = ["2025.01.02.120000_other_users", "2025.01.06.000000_other_orders"]


def test_rollback_over_another_projects_rows_says_their_files_are_missing_not_irreversible():
    p, m = diamond()
    snap = state(p, list(m.values()), FOREIGN)
    assert [snap.by_id[i].status for i in FOREIGN] == ["missing", "missing"]
    plan = rollback_plan(p, snap, to="0")
    assert set(FOREIGN) <= set(plan.ids)
    with pytest.raises(NotInProject) as info:
        check_reversible(p, plan, DIALECT)
    err = info.value
    assert sorted(err.ids) == FOREIGN and err.irreversible == []
    text = str(err)
    assert "2 applied migrations have no file in this project" in text
    assert "another project" in text and "--only-this-project" in text
    assert "irreversible" not in text and "no down section" not in text


def test_missing_files_and_missing_down_are_both_named():
    p, m = diamond(e=True)
    plan = rollback_plan(p, state(p, list(m.values()), FOREIGN[:1]), to="0")
    with pytest.raises(NotInProject) as info:
        check_reversible(p, plan, DIALECT)
    assert info.value.ids == FOREIGN[:1] and info.value.irreversible == [m["e"]]
    assert "1 applied migration has no file" in str(info.value) and m["e"] in str(info.value)


def test_only_this_project_leaves_the_other_projects_rows_alone():
    p, m = diamond()
    snap = state(p, list(m.values()), FOREIGN)
    plan = rollback_plan(p, snap, to="0", only_this_project=True)
    assert names(plan.ids, m) == ["e", "d", "c", "b", "a"]
    check_reversible(p, plan, DIALECT)
    # --to VERSION: the foreign row newer than the version is left alone too
    plan = rollback_plan(p, snap, to="2025.01.03.500000", only_this_project=True)
    assert names(plan.ids, m) == ["e", "d"]
    # without the option, the same target includes the foreign row
    assert FOREIGN[1] in rollback_plan(p, snap, to="2025.01.03.500000").ids
    with pytest.raises(InvalidInput, match="no file in this project"):
        rollback_plan(p, snap, one=FOREIGN[0], only_this_project=True)


def test_large_synthetic_graph_rollback_to_0_is_a_reverse_topological_order():
    nodes, edges = random_dag(200, seed=7)
    p = project_from_dag(nodes, edges)
    ids = {n: f"2025.01.01.{i:06d}_{n}" for i, n in enumerate(nodes)}
    snap = snapshot(p, {i: row(i, p.migrations[i].checksum(DIALECT)) for i in ids.values()}, DIALECT)
    order = list(rollback_plan(p, snap, to="0").ids)
    assert sorted(order) == sorted(ids.values())
    pos = {i: k for k, i in enumerate(order)}
    for a, b in edges:  # b depends on a: b is undone first
        assert pos[ids[b]] < pos[ids[a]]
    up = {i: k for k, i in enumerate(deploy_plan(p, snapshot(p, {}, DIALECT)).ids)}
    assert len(up) == len(ids) and all(up[ids[a]] < up[ids[b]] for a, b in edges)
