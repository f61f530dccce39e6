"""Lint a project: walk its migrations in plan order, parse each statement of ``up`` and
``down`` with sqlglot, run every rule, and turn hits into findings (SPEC §11).

"Existing table" rules know the tables that earlier migrations in the plan (and earlier
statements of the same migration) create: an index on a table created in the same deploy locks
nothing anyone waits for. Table sizes, when given, raise levels and appear in the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlglot import exp

from ..model import Migration, Statement, canonical_dialect
from .model import Hit, LintFinding, RuleContext, raise_level
from .parse import Parsed, parse_statement, table_name
from .rules import CHECKS, command_hits
from .sizes import LARGE_TABLE_ROWS, about_rows

if TYPE_CHECKING:
    from ..project import Project

SECTIONS = ("up", "down")


def lint_project(project: "Project", dialect: str, *, ids: Iterable[str] | None = None,
                 sizes: Mapping[str, int] | None = None) -> list[LintFinding]:
    """Findings for ``ids`` (default: every migration), in plan order, for ``dialect``."""
    order = project.order()
    if ids is not None:
        wanted = set(ids)
        order = [mid for mid in order if mid in wanted]
    return lint_migrations([project.migrations[mid] for mid in order], dialect, sizes=sizes)


def lint_migrations(migrations: Iterable[Migration], dialect: str, *,
                    sizes: Mapping[str, int] | None = None) -> list[LintFinding]:
    """Findings for ``migrations`` taken as a plan, in the order given."""
    dialect = canonical_dialect(dialect)
    sizes = {k.lower(): v for k, v in (sizes or {}).items()}
    created: set[str] = set()
    out: list[LintFinding] = []
    for m in migrations:
        out.extend(lint_migration(m, dialect, created, sizes))
    return out


def lint_migration(m: Migration, dialect: str, created: set[str],
                   sizes: Mapping[str, int] | None = None) -> list[LintFinding]:
    """One migration's findings; adds the tables its ``up`` creates to ``created``."""
    if m.kind != "sql":
        return []
    allow = {code: reason for code, reason in (getattr(m, "lint_allow", ()) or ())}
    out: list[LintFinding] = []
    made: set[str] = set()
    up = RuleContext(dialect, m.transaction, created, made)
    for st in m.statements("up", dialect):
        out.extend(_finding(m, "up", st, hit, sizes or {}, allow) for hit in statement_hits(st, up))
    out = [_rebuilt(f, made) for f in out]
    # `down` may drop what `up` made without a word (undoing is expected to); the rest is info
    down = RuleContext(dialect, m.transaction, set(created), set())
    for st in m.statements("down", dialect):
        out.extend(_finding(m, "down", st, hit, sizes or {}, allow)
                   for hit in statement_hits(st, down) if not _undoes(hit, made))
    return out


def _rebuilt(f: LintFinding, made: set[str]) -> LintFinding:
    """DROP TABLE t, when a table this migration created is then renamed to t, is a rebuild
    (SQLite's recipe for what ALTER TABLE cannot do): the rows live on in the copy."""
    if f.code != "drop_table" or f.level == "info" or f"->{f.table}" not in made:
        return f
    return replace(f, level="info", message=f"DROP TABLE `{f.table}` is half of rebuilding it: a copy created "
                   f"in this migration is renamed to `{f.table}`; check that the copy takes every row.")


def _undoes(hit: Hit, made: set[str]) -> bool:
    if hit.code == "drop_column":
        return hit.table in made or f"{hit.table}.{hit.column}" in made
    return hit.code == "drop_table" and hit.table in made


def statement_hits(st: Statement, ctx: RuleContext) -> list[Hit]:
    """Every rule's hits on one statement; records the tables it creates in ``ctx.created``."""
    parsed = parse_statement(st.sql, ctx.dialect)
    hits: list[Hit] = []
    if not parsed.ok:
        known = command_hits(parsed.words, ctx) if parsed.words else None
        hits.extend(known if known is not None else [_unparsed(st.sql, parsed)])
        _track_words(parsed.words, ctx)
    for node in parsed.expressions:
        for check in CHECKS:
            try:
                hits.extend(check(node, ctx))
            except Exception as exc:  # a tree of a shape no rule expected: say so, never crash lint
                hits.append(Hit("unparsed", "info", f"lint could not analyse this statement "
                                f"({check.__name__}: {type(exc).__name__})", "review it by hand"))
        _track(node, ctx)
    return hits


def _unparsed(sql: str, parsed: Parsed) -> Hit:
    words = " ".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).split()
    head = " ".join(words[:3])[:60] or "?"
    return Hit("unparsed", "info", f"the SQL parser cannot read this statement ({head} …: {parsed.error})",
               "review it by hand, lint says nothing else about it")


def _track(node: exp.Expr, ctx: RuleContext) -> None:
    """Record the tables a statement creates (and, for ``made``, the columns it adds)."""
    created, made = ctx.created, ctx.made
    if isinstance(node, exp.Create) and (node.args.get("kind") or "").upper() == "TABLE":
        name = table_name(node.this)
        if name:
            created.add(name)
            made.add(name)
    elif isinstance(node, exp.Alter) and (node.args.get("kind") or "").upper() == "TABLE":
        table = table_name(node.this)
        for action in node.args.get("actions") or ():
            if isinstance(action, exp.AlterRename) and table in created:
                created.add(table_name(action.this) or "")
                if table in made and isinstance(made, set):
                    made.add(f"->{table_name(action.this)}")  # a rebuild: see _rebuilt
            elif isinstance(action, exp.ColumnDef) and isinstance(made, set):
                made.add(f"{table}.{action.name.lower()}")


def _track_words(words: tuple[str, ...], ctx: RuleContext) -> None:
    """A CREATE TABLE the parser cannot read still creates its table (its name is a token)."""
    if words[:2] != ("CREATE", "TABLE"):
        return
    rest = words[2:]
    if rest[:3] == ("IF", "NOT", "EXISTS"):
        rest = rest[3:]
    if rest:
        name = rest[2].lower() if len(rest) > 2 and rest[1] == "." else rest[0].lower()
        ctx.created.add(name)
        if isinstance(ctx.made, set):
            ctx.made.add(name)


def _finding(m: Migration, kind: str, st: Statement, hit: Hit, sizes: Mapping[str, int],
             allow: Mapping[str, str]) -> LintFinding:
    level, size_note = hit.level, ""
    rows = sizes.get(hit.table) if hit.table and hit.level != "info" else None
    if rows is not None:
        size_note = f" (on a table of {about_rows(rows)})"
        if hit.code == "add_not_null_column" and rows > 0:
            level = "error"
        elif rows >= LARGE_TABLE_ROWS:
            level = raise_level(level)
    if kind == "down":
        level = "info"  # undoing is expected to drop what `up` made
    risk = hit.risk[:1].upper() + hit.risk[1:]
    return LintFinding(hit.code, level, m.id, m.path, st.line, kind, f"{risk}{size_note}; {hit.safer}.",
                       allow.get(hit.code), hit.table)
