"""Lint findings and what a rule sees: plain, frozen data (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

LintLevel = Literal["error", "warning", "info"]
LEVELS: tuple[LintLevel, ...] = ("info", "warning", "error")


@dataclass(frozen=True)
class LintFinding:
    """One risk in one statement of one migration section."""

    code: str
    level: LintLevel
    migration_id: str
    path: Path | None
    #: 1-based line of the statement in the file
    line: int | None
    #: ``up`` or ``down``
    section: str
    #: one sentence: the risk, then the safer way
    message: str
    #: the reason of a ``-- lint: allow CODE "reason"`` header line, when the migration allows it
    allowed_reason: str | None = None
    #: the table the finding is about, when there is one (lower case, without schema)
    table: str | None = None

    @property
    def allowed(self) -> bool:
        return self.allowed_reason is not None

    @property
    def blocking(self) -> bool:
        """An error-level finding that the migration does not allow."""
        return self.level == "error" and not self.allowed

    def as_dict(self) -> dict:
        return {"code": self.code, "level": self.level, "migration_id": self.migration_id,
                "path": str(self.path) if self.path else None, "line": self.line, "section": self.section,
                "message": self.message, "allowed": self.allowed_reason}


@dataclass(frozen=True)
class Hit:
    """What a rule reports about one statement; the engine adds where, sizes and allowances."""

    code: str
    level: LintLevel
    #: the risk, e.g. "CREATE INDEX locks writes on `users` while it builds"
    risk: str
    #: the safer way, e.g. "use CREATE INDEX CONCURRENTLY with `-- transaction: none`"
    safer: str
    table: str | None = None
    #: the column, for hits about one column (lower case)
    column: str | None = None


class TableNames(Protocol):
    """Table names a lint run adds to as it reads the plan: a set, or ``cache.Asked`` (which also
    records what the rules ask about tables made before the migration)."""

    def __contains__(self, name: object, /) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...

    def add(self, name: str, /) -> None: ...


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the statement."""

    #: the migration's dialect name (sqlite, postgresql, mysql, mssql)
    dialect: str
    #: the migration's ``transaction`` header (``per-migration`` or ``none``)
    transaction: str
    #: tables created earlier in the plan (and earlier in this migration), lower case
    created: TableNames
    #: what this migration's ``up`` made so far: tables, and ``table.column`` of added columns
    made: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Rule:
    """The catalogue entry of a rule: its code, default level, what it catches, the safer way."""

    code: str
    level: LintLevel
    what: str
    safer: str


def raise_level(level: LintLevel) -> LintLevel:
    return LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
