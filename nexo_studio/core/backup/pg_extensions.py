"""PostgreSQL restore: extensions move along with the name of their schema.

An extension's name is unique in a database and its objects live in one schema. When the
restore renames a schema to ``__nexo_restore_old_N`` its extensions go with it: the archive's
``CREATE EXTENSION IF NOT EXISTS x WITH SCHEMA s`` then does nothing (``x`` exists) and every
restored object naming ``s.type`` fails. Dropping the extension is no answer: the set-aside
tables depend on it (``DROP EXTENSION`` would need CASCADE, i.e. drop their columns).

So, in the set-aside transaction, each extension of a renamed schema that the archive also
creates is moved (``ALTER EXTENSION x SET SCHEMA s``) to the schema the archive puts it in,
re-created empty for it (``public`` always is; another schema is created here and its
``CREATE SCHEMA`` entry left out of the restore with ``--use-list``). The set-aside objects keep
using it (by OID); the restored ones find it by name. ``put_back`` moves it back first (before
the restored schemas are dropped, which would otherwise take it along), ``drop_aside`` leaves it
where it now is. An extension only the database has (not in the archive) stays in its renamed
schema and goes with it after a successful restore: the result is the backup's content. An
extension in a schema that is never set aside (``pg_catalog``: plpgsql) is not touched. An
extension that cannot move (not relocatable) is refused before anything changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nexo_studio.errors import BackupError

_IDENT = r'"(?:[^"]|"")+"|[^\s";]+'
_CREATE = re.compile(rf"^CREATE EXTENSION IF NOT EXISTS ({_IDENT}) WITH SCHEMA ({_IDENT});$", re.MULTILINE)
_TOC_EXTENSION = re.compile(r"^(\d+); \d+ \d+ EXTENSION - ", re.MULTILINE)


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def needs_archive_sql(toc: str) -> bool:
    return _TOC_EXTENSION.search(toc) is not None


def extension_list(toc: str) -> str:
    """A ``--use-list`` naming only the archive's EXTENSION entries (to read their SQL)."""
    return "".join(line + "\n" for line in toc.splitlines() if _TOC_EXTENSION.match(line))


def archive_extensions(sql: str) -> dict[str, str]:
    """extension name -> the schema the archive creates it in (from its SQL)."""
    return {_unquote(m.group(1)): _unquote(m.group(2)) for m in _CREATE.finditer(sql)}


def _schema_entry(toc: str, schema: str) -> str | None:
    """The dump id of the archive's ``CREATE SCHEMA schema`` entry, if it has one."""
    match = re.search(rf"^(\d+); \d+ \d+ SCHEMA - {re.escape(schema)}(?: \S+)?$", toc, re.MULTILINE)
    return match.group(1) if match else None


def plan_moves(run: Callable, toc: str, in_archive: dict[str, str], renamed: dict[str, str], path: Path) -> dict:
    """What set_aside moves: ``{"extensions": [[name, aside schema, new schema]], "create_schemas":
    [...], "skip_entries": [dump ids]}``. ``renamed`` maps each set-aside schema to its aside name."""
    moves: list[list[str]] = []
    create: list[str] = []
    skip: list[str] = []
    rows = run("SELECT e.extname, n.nspname, e.extrelocatable FROM pg_extension e"
               " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1").all()
    for name, schema, relocatable in rows:
        if schema not in renamed or name not in in_archive:
            continue  # never set aside, or not in the archive: goes with its schema
        new = in_archive[name]
        entry = _schema_entry(toc, new)
        if new != "public" and entry is None:
            continue  # a schema the archive does not create (pg_catalog): pg_restore decides
        if not relocatable:
            raise BackupError(
                f"nothing restored: extension {name} (in schema {schema}) cannot be moved aside "
                "(it is not relocatable) and the backup creates it again; restore the backup into "
                "a new, empty database instead", path)
        moves.append([name, renamed[schema], new])
        if new != "public" and new not in create:
            create.append(new)
            skip.append(str(entry))
    return {"extensions": moves, "create_schemas": create, "skip_entries": skip}


def move_along(run: Callable, plan: dict) -> None:
    """In the set-aside transaction, after the renames and the new ``public``."""
    for schema in plan.get("create_schemas", []):
        run(f"CREATE SCHEMA {_quote(schema)}")
    for name, _aside, new in plan.get("extensions", []):
        run(f"ALTER EXTENSION {_quote(name)} SET SCHEMA {_quote(new)}")


def move_back(run: Callable, plan: dict) -> None:
    """In the put-back transaction, before the restored schemas are dropped."""
    for name, aside, _new in plan.get("extensions", []):
        found = run(f"SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                    f" WHERE e.extname = '{name.replace(chr(39), chr(39) * 2)}'").scalar()
        if found is not None and found != aside:
            run(f"ALTER EXTENSION {_quote(name)} SET SCHEMA {_quote(aside)}")


def use_list(toc: str, skip: list[str]) -> str:
    """The archive's table of contents with the ``skip`` entries commented out."""
    wanted = set(skip)
    return "".join(
        (";" + line if line.split(";", 1)[0] in wanted else line) + "\n" for line in toc.splitlines()
    )
