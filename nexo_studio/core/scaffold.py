"""`nexo new`: create a migration file with the header and empty sections."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import InvalidInput
from .loader import load_project
from .graph import MigrationGraph, Node
from .model import ID_RE

SQL_TEMPLATE = """-- description: {description}
-- depends: {depends}
-- +up

-- +down

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
        graph = MigrationGraph(Node(m.id, m.version, m.depends) for m in loaded.migrations.values())
        depends = graph.heads()
    for d in depends:
        if not ID_RE.match(d):
            raise InvalidInput(f"--depends: {d!r} is not a migration id")
        if d not in loaded.migrations:
            raise InvalidInput(f"--depends: no migration {d}")
    now = now or datetime.now(timezone.utc)
    versions = {m.version for m in loaded.migrations.values()}
    while (version := now.strftime("%Y.%m.%d.%H%M%S")) in versions:
        now += timedelta(seconds=1)
    description = name.replace("_", " ").capitalize()
    path = directory / f"{version}_{name}.{'py' if python else 'sql'}"
    text = (PY_TEMPLATE.format(description=description, depends=list(depends)) if python
            else SQL_TEMPLATE.format(description=description, depends=", ".join(depends)))
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)
    return path
