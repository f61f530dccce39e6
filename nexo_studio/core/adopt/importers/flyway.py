"""Flyway: ``V<version>__<desc>.sql`` (dotted or underscored versions), ``U<version>__…`` undo
files become the down section; ``R__`` repeatables and Java migrations are not supported."""

from __future__ import annotations

import re
from pathlib import Path

from ..checksums import flyway_crc32
from ..model import ForeignMigration, ForeignProject, Unsupported, slug
from . import read_text

_PLACEHOLDER = re.compile(r"\$\{[^}\s]+\}")
_NO_TX = re.compile(r"^\s*executeInTransaction\s*=\s*false\s*$", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(r"^(?P<kind>[VUR])(?P<version>[0-9][0-9._]*)?__(?P<desc>.+)\.sql$")


def version_key(version: str) -> tuple[int, ...]:
    """Flyway orders versions numerically part by part (1.2 < 1.10)."""
    return tuple(int(p) for p in re.split(r"[._]", version) if p != "")


def normal_version(version: str) -> str:
    """Flyway stores versions with dots: V1_2 is version 1.2."""
    return ".".join(str(p) for p in version_key(version))


def read(source: Path) -> ForeignProject:
    project = ForeignProject("flyway")
    ups: dict[str, Path] = {}
    undos: dict[str, Path] = {}
    files = sorted(source.rglob("*")) if source.is_dir() else [source]
    for path in files:
        if path.is_dir():
            continue
        rel = path.relative_to(source).as_posix() if source.is_dir() else path.name
        if path.suffix in (".java", ".class") or (path.suffix == ".kt"):
            project.unsupported.append(Unsupported(rel, "Java/Kotlin migration: code nexo cannot convert to SQL"))
            continue
        m = _NAME.match(path.name)
        if m is None:
            if path.name.endswith(".sql.conf"):
                continue
            if path.suffix == ".sql":
                project.unsupported.append(Unsupported(rel, "not a Flyway migration name (V<version>__<desc>.sql)"))
            continue
        if m["kind"] == "R":
            project.unsupported.append(Unsupported(rel, "repeatable migration (R__): re-applied whenever it changes, "
                                                        "which a versioned nexo migration cannot express"))
            continue
        if not m["version"]:
            project.unsupported.append(Unsupported(rel, "versioned migration without a version"))
            continue
        version = normal_version(m["version"])
        (ups if m["kind"] == "V" else undos)[version] = path
    for version in sorted(ups, key=version_key):
        path = ups[version]
        named = _NAME.match(path.name)
        assert named is not None  # listed in ups above because it matched
        desc = named["desc"].replace("_", " ")
        undo = undos.pop(version, None)
        up, down = read_text(path), read_text(undo) if undo else None
        if _PLACEHOLDER.search(up) or (down and _PLACEHOLDER.search(down)):
            project.unsupported.append(Unsupported(path.name, "uses Flyway placeholders (${…}), which nexo sends "
                                                              "verbatim: replace them with their values first"))
            continue
        conf = path.with_name(path.name + ".conf")  # Flyway's per-script configuration
        no_tx = conf.exists() and _NO_TX.search(read_text(conf)) is not None
        project.migrations.append(ForeignMigration(
            tool="flyway", foreign_id=version, name=slug(f"v{version}_{desc}"), up=up, down=down, description=desc,
            transaction="none" if no_tx else "per-migration",
            checksum=str(flyway_crc32(path.read_bytes())), source=path.name))
    for version, path in sorted(undos.items()):
        project.unsupported.append(Unsupported(path.name, f"undo file without a V{version} migration"))
    return project
