"""Findings (errors and warnings) from the graph, the files and the database state (SPEC §2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .graph import MigrationGraph
from .model import Migration
from .transaction_rules import transaction_findings
from .kinds import APPLIED, FAILED, ROLLED_BACK, RUNNING

#: "info" only for lint findings the GUI's Findings panel lists beside validation's (qt/models/risk.py)
Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    level: Level
    code: str  # cycle, missing_dependency, duplicate_version, file_error, version_conflict, drift, missing, out_of_order, irreversible
    ids: tuple[str, ...]
    message: str
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.level}: {self.code}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "level": self.level, "code": self.code, "ids": list(self.ids), "message": self.message,
            "path": str(self.path) if self.path else None, "line": self.line,
        }


def static_findings(
    migrations: Mapping[str, Migration],
    graph: MigrationGraph,
    file_errors: list,
    duplicates: list[tuple[str, str, str]],
    dialect: str | None,
) -> list[Finding]:
    """Everything that can be said without a database."""
    out: list[Finding] = []
    for err in file_errors:
        out.append(Finding("error", "file_error", (err.path.stem,), str(err), err.path, err.line))
    for version, kept, other in duplicates:
        path = migrations[kept].path if kept in migrations else None
        if kept == other and path is not None:  # one id twice: <id>.sql and <id>.py
            twin = path.with_suffix(".py" if path.suffix == ".sql" else ".sql").name
            message = f"{path.name} and {twin} are one migration {kept} twice"
        else:
            message = f"{kept} and {other} share version {version}"
        out.append(Finding("error", "duplicate_version", (kept, other), message, path))
    for mid, dep in graph.missing():
        out.append(Finding("error", "missing_dependency", (mid, dep),
                           f"{mid} depends on {dep}, which does not exist", migrations[mid].path))
    cycle = None if graph.acyclic() else graph.find_cycle()
    if cycle:
        out.append(Finding("error", "cycle", tuple(dict.fromkeys(cycle)),
                           "dependency cycle: " + " -> ".join(cycle)))
    for m in migrations.values():
        for dep in m.depends:
            if dep in migrations and migrations[dep].version > m.version:
                out.append(Finding("warning", "version_conflict", (m.id, dep),
                                   f"{m.id} depends on newer {dep}", m.path))
        if not m.reversible(dialect):
            out.append(Finding("warning", "irreversible", (m.id,),
                               f"{m.id} has no down section: it cannot be rolled back", m.path))
    out += transaction_findings(migrations.values(), dialect)
    if any(getattr(m, "lint_allow", ()) for m in migrations.values()):
        out += unknown_lint_rules(migrations.values())
    return out


def unknown_lint_rules(migrations: Iterable[Migration]) -> list[Finding]:
    """A ``-- lint: allow CODE`` whose CODE is no lint rule (a typo allows nothing): an error."""
    from .lint.hooks import known_codes, unknown_allowances

    known = ", ".join(sorted(known_codes()))
    return [Finding("error", "lint_unknown_rule", (m.id,),
                    f"{m.path.name if m.path else m.id}:{line or '?'}: `lint: allow {code}` names no lint rule "
                    f"(known: {known})", m.path, line)
            for m, code, line in unknown_allowances(migrations)]


def lint_findings(migrations: Iterable[Migration], dialect: str) -> list[Finding]:
    """Risk lint of ``migrations`` (pending ones, in plan order) as validation warnings
    (SPEC §11): code ``lint_<rule>``, with file and line. Allowed rules are left out."""
    migrations = list(migrations)
    if not migrations:  # nothing pending: not even the SQL parser's import
        return []
    from .lint.hooks import up_findings

    return [Finding("warning", f"lint_{f.code}", (f.migration_id,),
                    f"{f.migration_id} line {f.line}: {f.level}-level risk: {f.message}", f.path, f.line)
            for f in up_findings(migrations, dialect) if not f.allowed]


def state_findings(migrations: Mapping[str, Migration], applied: Mapping, dialect: str | None) -> list[Finding]:
    """Drift, missing files, out-of-order pending migrations and dirty rows."""
    out: list[Finding] = []
    live = {i: r for i, r in applied.items() if r.status != ROLLED_BACK}
    for mid, row in sorted(live.items()):
        m = migrations.get(mid)
        if m is None:
            out.append(Finding("warning", "missing", (mid,), f"{mid} is applied but its file is gone"))
        elif row.status == APPLIED and row.checksum != m.checksum(dialect):
            out.append(Finding("warning", "drift", (mid,),
                               f"{mid} changed after it was applied (checksum differs)", m.path))
        if row.status == RUNNING or row.status == FAILED:
            out.append(Finding("warning", "dirty", (mid,),
                               f"{mid} is {row.status}: it may be partly applied; check and run `nexo repair`"))
    newest = max((r.version for r in live.values() if r.status == APPLIED), default=None)
    if newest:
        # filter, then sort (a stable sort keeps the same order): pending ones are few
        older = [m for m in migrations.values() if m.id not in live and m.version < newest]
        for m in sorted(older, key=lambda m: m.version):
            out.append(Finding("warning", "out_of_order", (m.id,),
                               f"{m.id} is pending but older than the newest applied ({newest})", m.path))
    return out
