"""Lint where other commands need it (SPEC §11): ``validate`` warnings, the deploy gate, the
plan's findings, and the check that every ``-- lint: allow CODE`` names a known rule.

``validate`` must stay fast at 10,000 migrations, so :func:`up_findings` lints only ``up``
sections (``down`` findings are at most ``info``, which validate does not show) and sends to the
SQL parser only statements that a rule could flag: one whose text has none of the words any rule
looks for (a ``CREATE TABLE``, an ``INSERT``, a view) only has its new table noted. Each
migration's result is cached between runs (:mod:`.cache`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..model import Migration, canonical_dialect
from .cache import Asked, LintCache, digest
from .model import LintFinding, RuleContext

#: every word some rule looks for: a statement without any of them cannot be flagged
_RISKY = re.compile(r"\b(drop|alter|truncate|delete|update|index|rename|sp_rename|grant|revoke|"
                    r"concurrently|exec|execute|unique|primary|reindex|cluster|vacuum|comment)\b", re.I)
_CREATE_TABLE = re.compile(r"^\s*create\s+(?:\w+\s+){0,2}?table\b", re.I)


def known_codes() -> frozenset[str]:
    """Every rule code of the engine's registry."""
    from .rules import RULES

    return frozenset(r.code for r in RULES)


def up_findings(migrations: Iterable[Migration], dialect: str, *, cache: bool = True) -> list[LintFinding]:
    """Error and warning findings of the ``up`` sections of ``migrations`` (taken as a plan,
    in the order given), the same as :func:`~.engine.lint_migrations` gives for them."""
    dialect = canonical_dialect(dialect)
    store = LintCache(dialect) if cache else None
    created: set[str] = set()
    out: list[LintFinding] = []
    for m in migrations:
        if m.kind != "sql":
            continue
        key = digest(m, dialect) if store else ""
        found = store.get(key, m, created) if store else None
        if found is None:
            asked = Asked(created)
            found = [f for f in _up(m, dialect, asked) if f.level != "info"]
            created.update(asked.local)
            if store:
                store.put(key, asked, found)
        out.extend(found)
    if store:
        store.save()
    return out


def _up(m: Migration, dialect: str, created) -> list[LintFinding]:
    from .engine import _finding, _rebuilt, _track_words, statement_hits

    allow = dict(m.lint_allow or ())
    made: set[str] = set()
    ctx = RuleContext(dialect, m.transaction, created, made)
    out: list[LintFinding] = []
    for st in m.statements("up", dialect):
        if _RISKY.search(st.sql) is None:
            if _CREATE_TABLE.match(_strip_comments(st.sql)):
                _track_words(_words(st.sql, dialect), ctx)
            continue
        out.extend(_finding(m, "up", st, hit, {}, allow) for hit in statement_hits(st, ctx))
    return [_rebuilt(f, made) for f in out]


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _words(sql: str, dialect: str) -> tuple[str, ...]:
    from .parse import SQLGLOT_DIALECTS, _words as tokens

    return tokens(sql, SQLGLOT_DIALECTS.get(dialect, dialect))


def plan_findings(project, ids: Iterable[str], dialect: str,
                  sizes: Mapping[str, int] | None = None) -> list[LintFinding]:
    """Every finding of the ``up`` sections of ``ids`` (a plan), row estimates raising levels."""
    from .engine import lint_project

    return [f for f in lint_project(project, dialect, ids=list(ids), sizes=sizes) if f.section == "up"]


def gate_findings(project, ids: Iterable[str], dialect: str,
                  sizes: Mapping[str, int] | None = None) -> list[LintFinding]:
    """What the deploy gate needs: with row estimates, the full engine (levels raised by size);
    without, validate's cached and pre-filtered path, where a statement no rule could flag is
    not parsed (the parser was 3 of 5 seconds of a deploy of 1,000 one-statement migrations).
    Info findings never block; `nexo lint` and `plan` show them."""
    if sizes:
        return plan_findings(project, ids, dialect, sizes)
    ids = tuple(ids)
    memo = getattr(project, "memo", None)  # once per project and plan: a fleet's targets share it
    key = ("gate", ids, dialect)
    found = memo.get(key) if memo is not None else None
    if found is None:
        found = tuple(up_findings([project.migrations[i] for i in ids], dialect))
        if memo is not None:
            memo[key] = found
    return list(found)


def unknown_allowances(migrations: Iterable[Migration]) -> list[tuple[Migration, str, int | None]]:
    """``(migration, code, line)`` of each ``-- lint: allow CODE`` whose CODE is no rule."""
    out, known = [], known_codes()
    for m in migrations:
        for code, _reason in m.lint_allow or ():
            if code not in known:
                out.append((m, code, _allow_line(m.path, code)))
    return out


def _allow_line(path: Path | None, code: str) -> int | None:
    """The line of ``-- lint: allow CODE`` in the file (read only when a code is unknown)."""
    if path is None:
        return None
    pattern = re.compile(r"^\s*(?:--|#)\s*lint\s*:\s*allow\s+" + re.escape(code) + r"(?![\w-])")
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), None)
