"""`nexo new`: create a migration file that validates as written (SPEC §7).

The version is the current second, moved on to the next free second while any file in the
folder -- malformed ones included -- already has it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import InvalidInput
from .loader import load_project
from .graph import MigrationGraph, Node
from .model import ID_RE, VERSION_PATTERN

_VERSION_PREFIX = re.compile(rf"({VERSION_PATTERN})_")

SQL_TEMPLATE = """-- description: {description}
-- depends: {depends}
-- +up
-- Placeholder so the file validates: replace SELECT 1; with this migration's SQL.
SELECT 1;

-- +down
-- Placeholder: replace SELECT 1; with the SQL that undoes up (or delete it: irreversible).
SELECT 1;

-- +verify

"""

PY_TEMPLATE = '''"""{description}"""

description = {description!r}
depends = {depends!r}


def up(conn):
    pass


def down(conn):
    pass


def verify(conn):
    pass
'''


def new_migration(directory: Path, name: str, depends: list[str] | None = None, python: bool = False,
                  now: datetime | None = None) -> Path:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise InvalidInput(f"migration name {name!r} must match [a-z0-9_]+")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    loaded = load_project(directory)
    if depends is None:
        _refuse_unknown_heads(loaded)
        graph = MigrationGraph(Node(m.id, m.version, m.depends) for m in loaded.migrations.values())
        depends = graph.heads()
    for d in depends:
        if not ID_RE.match(d):
            raise InvalidInput(f"--depends: {d!r} is not a migration id")
        if d not in loaded.migrations:
            raise InvalidInput(f"--depends: no migration {d}")
    now = now or datetime.now(timezone.utc)
    versions = _taken_versions(directory)
    while (version := now.strftime("%Y.%m.%d.%H%M%S")) in versions:
        now += timedelta(seconds=1)
    description = name.replace("_", " ").capitalize()
    path = directory / f"{version}_{name}.{'py' if python else 'sql'}"
    text = (PY_TEMPLATE.format(description=description, depends=list(depends)) if python
            else SQL_TEMPLATE.format(description=description, depends=", ".join(depends)))
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)
    return path


def _taken_versions(directory: Path) -> set[str]:
    """Every version a file name in ``directory`` carries, whether or not the file loads."""
    return {m.group(1) for p in directory.iterdir() if (m := _VERSION_PREFIX.match(p.name))}


def _refuse_unknown_heads(loaded) -> None:
    """The heads cannot be known while a file does not load: it may be one of them."""
    if loaded.errors:
        named = "; ".join(str(e) for e in loaded.errors[:5])
        more = f" (and {len(loaded.errors) - 5} more)" if len(loaded.errors) > 5 else ""
        raise InvalidInput(f"cannot choose the dependencies: {len(loaded.errors)} malformed file(s): "
                           f"{named}{more}. Fix them, or name the dependencies with --depends IDS")
