"""golang-migrate: ``<version>_<title>.up.sql`` and ``.down.sql``, in numeric version order."""

from __future__ import annotations

import re
from pathlib import Path

from ..checksums import sha256_hex
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_NAME = re.compile(r"^(?P<version>\d+)_(?P<title>.*)\.(?P<dir>up|down)\.(?P<ext>[a-z]+)$")


def read(source: Path) -> ForeignProject:
    project = ForeignProject("golang-migrate")
    found: dict[int, dict[str, Path]] = {}
    titles: dict[int, str] = {}
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        m = _NAME.match(path.name)
        if m is None:
            if path.suffix == ".sql":
                project.unsupported.append(Unsupported(path.name, "not <version>_<title>.up.sql/.down.sql"))
            continue
        if m["ext"] != "sql":
            project.unsupported.append(Unsupported(path.name, f".{m['ext']} migration: only SQL is converted"))
            continue
        version = int(m["version"])
        found.setdefault(version, {})[m["dir"]] = path
        titles[version] = m["title"]
    for version in sorted(found):
        files = found[version]
        if "up" not in files:
            project.unsupported.append(Unsupported(files["down"].name, "down file without an up file"))
            continue
        up = files["up"]
        project.migrations.append(ForeignMigration(
            tool="golang-migrate", foreign_id=str(version), name=slug(f"m{version}_{titles[version]}"),
            up=read_text(up), down=read_text(files["down"]) if "down" in files else None,
            description=titles[version].replace("_", " "), checksum=sha256_hex(up.read_bytes()), source=up.name))
    return project
