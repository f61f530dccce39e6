"""`nexo import`: read a foreign project, plan the nexo files, refuse on unsupported items
(unless skipped), write them without overwriting anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ImportUnsupported
from .importers import read_project
from .model import Unsupported
from .writer import Planned, plan_files, write_files


@dataclass
class ImportResult:
    tool: str
    into: Path
    planned: list[Planned]
    unsupported: list[Unsupported]
    written: list[str] = field(default_factory=list)

    def mapping(self) -> list[dict]:
        return [{"foreign_id": p.foreign.foreign_id, "source": p.foreign.source, "migration_id": p.id,
                 "file": p.filename, "transaction": p.foreign.transaction,
                 "down": p.foreign.python is not None or bool(p.foreign.down and p.foreign.down.strip()),
                 "verify": bool(p.foreign.verify and p.foreign.verify.strip())} for p in self.planned]

    def as_dict(self) -> dict:
        return {"tool": self.tool, "into": str(self.into), "mapping": self.mapping(),
                "unsupported": [{"source": u.source, "reason": u.reason} for u in self.unsupported],
                "written": self.written}


def import_project(tool: str, source: Path, into: Path, dry_run: bool = False,
                   skip_unsupported: bool = False) -> ImportResult:
    project = read_project(tool, source)
    result = ImportResult(tool, into, plan_files(project), project.unsupported)
    if project.unsupported and not skip_unsupported:
        raise ImportUnsupported(tool, [str(u) for u in project.unsupported])
    if not dry_run:
        result.written = write_files(result.planned, into)
    return result
