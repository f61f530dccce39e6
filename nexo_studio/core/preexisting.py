"""Objects the next migration would create that already exist (SPEC §2 findings; item 17).

An existing database that was built before nexo managed it makes the first ``deploy`` fail on
"relation … already exists". ``status`` and ``validate`` warn before that: when a migration is
pending, the first one in apply order (the one ``deploy`` would run next) is read for the
names its leading ``CREATE TABLE``/``CREATE VIEW`` statements create, and those are looked up
with SQLAlchemy's inspector (table and view names: read-only, a query or two). Statements with
``IF NOT EXISTS`` or ``OR REPLACE`` cannot fail that way and are skipped. No SQL parser: only a
statement's leading words are read. With nothing pending nothing is split or queried, so a
database that is up to date pays nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import sqlalchemy as sa

from .model import Migration
from .validate import Finding
from .kinds import DIRTY, FAILED, PENDING

CODE = "preexisting_objects"

_IDENT = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$#]*)'


@functools.cache
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    """Compiled on first use: a `status` with nothing pending never needs them."""
    create = re.compile(
        r"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<temp>(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+)?(?:UNLOGGED\s+)?"
        rf"(?P<kind>TABLE|VIEW)\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)",
        re.IGNORECASE)
    leading_comments = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
    return create, leading_comments


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if part[:1] in '"`[' else part


def created_objects(m: Migration, dialect: str) -> list[tuple[str, str | None, str, int]]:
    """(kind, schema, name, line) of each ``CREATE TABLE``/``CREATE VIEW`` that would fail if the
    object existed, in the ``up`` used on ``dialect``. Python migrations: none (not read)."""
    if m.kind != "sql":
        return []
    create, leading_comments = _patterns()
    out = []
    for st in m.statements("up", dialect):
        lead = leading_comments.match(st.sql)  # always matches (possibly nothing)
        found = create.match(st.sql, lead.end() if lead else 0)
        if not found or found["ine"] or found["replace"] or found["temp"]:
            continue
        parts = [_unquote(p) for p in re.findall(_IDENT, found["name"])]
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
        out.append((found["kind"].lower(), schema, name, st.line))
    return out


def existing(conn: sa.Connection, wanted: list[tuple[str, str | None, str, int]]) -> list[tuple[str, str | None, str, int]]:
    """The ``wanted`` objects whose name is already a table or a view (case-insensitive)."""
    inspector = sa.inspect(conn)
    names: dict[str | None, set[str]] = {}
    out = []
    try:
        for kind, schema, name, line in wanted:
            if schema not in names:
                names[schema] = {n.lower() for n in inspector.get_table_names(schema=schema)}
                names[schema] |= {n.lower() for n in inspector.get_view_names(schema=schema)}
            if name.lower() in names[schema]:
                out.append((kind, schema, name, line))
    except sa.exc.SQLAlchemyError:  # e.g. a schema that does not exist: nothing there yet
        pass
    finally:
        if conn.in_transaction():
            conn.rollback()
    return out


def _adopt_exists() -> bool:
    """Whether `nexo adopt` (SPEC §8: import another tool's history) is part of this build."""
    import importlib.util

    return importlib.util.find_spec("nexo_studio.core.adopt") is not None


def finding_for(m: Migration, found: list[tuple[str, str | None, str, int]]) -> Finding:
    what = ", ".join(f"{kind} {schema + '.' if schema else ''}{name}" for kind, schema, name, _ in found)
    one = len(found) == 1
    message = (f"{m.id} would create {what}, which already exist{'s' if one else ''} in the database: "
               f"deploy would fail on {'it' if one else 'them'}. If this schema was built before nexo managed "
               "it, record what is already there as applied without running it: `nexo baseline --to ID` "
               f"(ID: the last migration already in the database, e.g. {m.id})")
    if _adopt_exists():
        message += ", or, if another migration tool built it, `nexo adopt --from TOOL`"
    return Finding("warning", CODE, (m.id,), message, m.path, found[0][3])


def with_preexisting(snap, conn: sa.Connection | None, dialect: str):
    """``snap`` plus a ``preexisting_objects`` warning when the migration deploy would run next
    creates tables or views that already exist. Read-only; nothing pending, nothing queried."""
    if conn is None:
        return snap
    # a migration being applied now, or left dirty, has made some of its objects: that is not
    # an existing database to baseline
    if any(s.status == DIRTY for s in snap.states) or any(f.code == "in_progress" for f in snap.findings):
        return snap
    first = next((s for s in snap.states if s.status == PENDING or s.status == FAILED), None)
    if first is None or first.migration is None:
        return snap
    wanted = created_objects(first.migration, dialect)
    found = existing(conn, wanted) if wanted else []
    if not found:
        return snap
    return replace(snap, findings=snap.findings + (finding_for(first.migration, found),))
