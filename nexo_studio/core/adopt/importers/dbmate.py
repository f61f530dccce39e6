"""dbmate: ``<timestamp>_<name>.sql`` with ``-- migrate:up`` / ``-- migrate:down`` sections;
``transaction:false`` on the up marker becomes ``transaction: none``."""

from __future__ import annotations

import re
from pathlib import Path

from ..checksums import sha256_hex
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_NAME = re.compile(r"^(?P<version>\d+)_?(?P<title>.*)\.sql$")
_MARKER = re.compile(r"^--\s*migrate:(?P<dir>up|down)(?P<opts>[^\n]*)$", re.MULTILINE)


def _sections(text: str) -> tuple[dict[str, str], dict[str, str]]:
    marks = list(_MARKER.finditer(text))
    bodies: dict[str, str] = {}
    opts: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        bodies[m["dir"]] = text[m.end():end].strip("\n")
        opts[m["dir"]] = m["opts"]
    return bodies, opts


def read(source: Path) -> ForeignProject:
    project = ForeignProject("dbmate")
    for path in sorted((p for p in source.iterdir() if p.suffix == ".sql"), key=lambda p: p.name):
        m = _NAME.match(path.name)
        if m is None:
            project.unsupported.append(Unsupported(path.name, "not <version>_<name>.sql"))
            continue
        bodies, opts = _sections(read_text(path))
        if not bodies.get("up", "").strip():
            project.unsupported.append(Unsupported(path.name, "no -- migrate:up section"))
            continue
        no_tx = "transaction:false" in opts.get("up", "").replace(" ", "")
        version = m["version"]
        project.migrations.append(ForeignMigration(
            tool="dbmate", foreign_id=version, name=slug(f"m{version}_{m['title']}" if len(version) != 14
                                                         else m["title"] or f"m{version}"),
            up=bodies["up"], down=bodies.get("down") or None, description=m["title"].replace("_", " "),
            transaction="none" if no_tx else "per-migration", checksum=sha256_hex(path.read_bytes()),
            timestamp=version if len(version) == 14 else None, source=path.name))
    return project
