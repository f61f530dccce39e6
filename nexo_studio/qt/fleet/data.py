"""The Fleet view's data, without Qt: the targets × migrations matrix as plain rows.

Built once per status read (on the worker thread for a big fleet), then filtered by tag, state
and name in the GUI thread by picking rows, never by rebuilding cells. Each target's cells are a
``bytes`` of status codes (one per migration, in plan order), so 500 targets × 300 migrations
hold 150,000 cells in 500 small objects and the model's ``data()`` is one index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: cell codes: index -> migration status ("" = the target did not answer)
CELL_STATUSES: tuple[str, ...] = ("", "applied", "pending", "failed", "dirty", "drifted", "missing")
_CODE = {s: i for i, s in enumerate(CELL_STATUSES)}
#: the group of targets without a tag
UNTAGGED = "(no tag)"


def group_of(tags: Sequence[str]) -> str:
    """The tag a target is grouped under: its first tag other than ``canary``, else ``canary``."""
    for t in tags:
        if t != "canary":
            return t
    return tags[0] if tags else UNTAGGED


@dataclass(frozen=True)
class TargetRow:
    """One target: what ``fleet status`` read, and its cells."""

    name: str
    url: str
    dialect: str
    state: str
    applied: int
    pending: int
    head: str | None
    error: str | None
    tags: tuple[str, ...]
    group: str
    cells: bytes

    def cell(self, column: int) -> str:
        return CELL_STATUSES[self.cells[column]] if column < len(self.cells) else ""


@dataclass(frozen=True)
class GroupRow:
    """A group header: the targets sharing a tag."""

    group: str
    count: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class FleetMatrix:
    """Targets (grouped by tag, groups in first-seen order) × migrations (plan order)."""

    migrations: tuple[str, ...]
    targets: tuple[TargetRow, ...]
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    by_name: dict = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, statuses: Iterable, migrations: Sequence[str], urls: dict[str, str]) -> "FleetMatrix":
        """``statuses``: ``app.fleet.status.TargetStatus`` rows; ``urls``: target name -> URL."""
        cols = tuple(migrations)
        rows = []
        for s in statuses:
            codes = bytes(_CODE.get(s.migrations.get(m, ""), 0) for m in cols) if s.migrations else bytes(len(cols))
            rows.append(TargetRow(s.name, urls.get(s.name, ""), s.dialect, s.state, s.applied, s.pending, s.head,
                                  s.error, tuple(s.tags), group_of(s.tags), codes))
        groups = list(dict.fromkeys(r.group for r in rows))
        order = {g: i for i, g in enumerate(groups)}
        rows.sort(key=lambda r: order[r.group])  # stable: file order inside a group
        tags = sorted({t for r in rows for t in r.tags})
        return cls(cols, tuple(rows), tuple(groups), tuple(tags), {r.name: r for r in rows})

    def visible(self, tag: str | None = None, state: str | None = None,
                text: str = "") -> list[GroupRow | TargetRow]:
        """Group headers and their targets that pass the filters (a group with none is left out)."""
        text = text.strip().lower()
        out: list[GroupRow | TargetRow] = []
        current: list[TargetRow] = []
        group = None

        def flush() -> None:
            if current:
                out.append(GroupRow(group or "", len(current), tuple(r.name for r in current)))
                out.extend(current)

        for r in self.targets:
            if r.group != group:
                flush()
                group, current = r.group, []
            if tag and tag not in r.tags:
                continue
            if state and r.state != state:
                continue
            if text and text not in r.name.lower():
                continue
            current.append(r)
        flush()
        return out
