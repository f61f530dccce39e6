"""Turn a ForeignProject into nexo migration files: deterministic text, the foreign order kept
as a chain (or graph) of ``depends``, the foreign identity in the name and the ``origin`` header."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .model import ForeignMigration, ForeignProject, origin_text

#: synthetic versions start here, one second apart, for tools without timestamps
SYNTHETIC_BASE = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Planned:
    foreign: ForeignMigration
    id: str
    filename: str
    text: str


def _versions(migrations: list[ForeignMigration]) -> list[str]:
    out: list[str] = []
    last: datetime | None = None
    for i, m in enumerate(migrations):
        when = SYNTHETIC_BASE + timedelta(seconds=i)
        if m.timestamp:
            try:
                when = datetime.strptime(m.timestamp[:14], "%Y%m%d%H%M%S")
            except ValueError:
                pass
        if last is not None and when <= last:
            when = last + timedelta(seconds=1)
        last = when
        out.append(when.strftime("%Y.%m.%d.%H%M%S"))
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _sql_text(m: ForeignMigration, depends: list[str]) -> str:
    head = []
    if m.description:
        head.append(f"-- description: {_one_line(m.description)}")
    if depends:
        head.append(f"-- depends: {', '.join(depends)}")
    if m.transaction == "none":
        head.append("-- transaction: none")
    head.append(f"-- origin: {origin_text(m.tool, m.foreign_id, m.checksum)}")
    parts = ["\n".join(head), "-- +up\n" + m.up.strip("\n")]
    if m.down is not None and m.down.strip():
        parts.append("-- +down\n" + m.down.strip("\n"))
    if m.verify is not None and m.verify.strip():
        parts.append("-- +verify\n" + m.verify.strip("\n"))
    return "\n".join(parts).replace("\r\n", "\n") + "\n"


def _py_text(m: ForeignMigration, depends: list[str]) -> str:
    head = [f"# origin: {origin_text(m.tool, m.foreign_id, m.checksum)}",
            f"description = {_one_line(m.description)!r}", f"depends = {depends!r}"]
    if m.transaction == "none":
        head.append('transaction = "none"')
    return "\n".join(head) + "\n\n" + (m.python or "").strip("\n") + "\n"


def plan_files(project: ForeignProject) -> list[Planned]:
    """The nexo files for a foreign project, in its order (pure: nothing written)."""
    versions = _versions(project.migrations)
    ids = {m.foreign_id: f"{v}_{m.name}" for m, v in zip(project.migrations, versions)}
    out: list[Planned] = []
    previous: str | None = None
    for m, version in zip(project.migrations, versions):
        mid = ids[m.foreign_id]
        if m.requires is None:
            depends = [previous] if previous else []
        else:
            depends = [ids[r] for r in m.requires if r in ids]
        text = _py_text(m, depends) if m.python is not None else _sql_text(m, depends)
        out.append(Planned(m, mid, f"{mid}.{'py' if m.python is not None else 'sql'}", text))
        previous = mid
    return out


def write_files(planned: list[Planned], into: Path) -> list[str]:
    """Write the files; never overwrite one. A file already there with the same text is left
    as it is (importing again is a no-op); with other text it is an error naming it, and
    nothing is written. Returns the names written."""
    from ...errors import InvalidInput

    clashes = [p.filename for p in planned
               if (into / p.filename).exists() and (into / p.filename).read_text(encoding="utf-8") != p.text]
    if clashes:
        raise InvalidInput(f"{into}: would overwrite {', '.join(clashes)} (they differ from the import); "
                           "import into an empty folder with --into")
    into.mkdir(parents=True, exist_ok=True)
    written = []
    for p in planned:
        path = into / p.filename
        if not path.exists():
            path.write_bytes(p.text.encode("utf-8"))
            written.append(p.filename)
    return written
