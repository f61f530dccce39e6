"""Adopting another tool's project and database (SPEC §8) on the application layer: what
`nexo import`, `nexo adopt`, `nexo status --from` and the window's import wizard call, so both
fronts take one path. Reading files is pure; everything that reads or changes a database takes
a :class:`~nexo_studio.app.session.Session` (the GUI opens it on its worker thread)."""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.adopt import TOOLS

if TYPE_CHECKING:
    from ..core.adopt.importing import ImportResult
    from ..core.adopt.model import Unsupported
    from ..core.adopt.operation import Reconciliation
    from ..core.adopt.writer import Planned
    from ..core.events import Event
    from ..core.project import Project
    from .session import Session

__all__ = ["TOOLS", "SOURCES", "ImportPreview", "preview_import", "import_files", "status_from", "refuse",
           "reconcile_preview", "adopt", "import_and_adopt"]

#: what SOURCE is for each tool: ("folder" | "file", what to pick)
SOURCES: dict[str, tuple[str, str]] = {
    "flyway": ("folder", "the location holding V…__….sql (and U…, R__) files"),
    "liquibase": ("file", "the changelog: formatted SQL, XML, YAML or JSON"),
    "alembic": ("folder", "the folder holding alembic.ini or versions/"),
    "sqitch": ("folder", "the folder holding sqitch.plan"),
    "golang-migrate": ("folder", "the folder of N_title.up.sql / .down.sql files"),
    "dbmate": ("folder", "the folder of -- migrate:up / -- migrate:down files"),
}


@dataclass(frozen=True)
class ImportPreview:
    """What importing ``source`` into ``into`` would write, before anything is written."""

    tool: str
    source: Path
    into: Path
    planned: tuple["Planned", ...]
    unsupported: tuple["Unsupported", ...]
    #: files already in ``into`` with exactly the imported text: left as they are
    existing: tuple[str, ...] = ()
    #: files already in ``into`` with other text: importing refuses (nothing is overwritten)
    clashes: tuple[str, ...] = ()

    def mapping(self) -> list[dict[str, Any]]:
        from ..core.adopt.importing import ImportResult

        return ImportResult(self.tool, self.into, list(self.planned), list(self.unsupported)).mapping()


def preview_import(tool: str, source: Path, into: Path) -> ImportPreview:
    """Read the foreign project and plan the files (no database, nothing written). Unsupported
    items are listed, not raised: the caller decides (``--skip-unsupported``)."""
    from ..core.adopt.importers import read_project
    from ..core.adopt.writer import plan_files

    project = read_project(tool, Path(source))
    planned = plan_files(project)
    existing: list[str] = []
    clashes: list[str] = []
    for p in planned:
        path = Path(into) / p.filename
        if path.exists():
            same = path.read_bytes() == p.text.encode("utf-8")
            (existing if same else clashes).append(p.filename)
    return ImportPreview(tool, Path(source), Path(into), tuple(planned), tuple(project.unsupported),
                         tuple(existing), tuple(clashes))


def import_files(tool: str, source: Path, into: Path, dry_run: bool = False,
                 skip_unsupported: bool = False) -> "ImportResult":
    """`nexo import`: write the files (never overwriting one); ``ImportUnsupported`` (exit 2)
    when items cannot be converted and ``skip_unsupported`` is off."""
    from ..core.adopt.importing import import_project

    return import_project(tool, Path(source), Path(into), dry_run=dry_run, skip_unsupported=skip_unsupported)


def write_preview(preview: ImportPreview, skip_unsupported: bool) -> list[str]:
    """Write a previewed import; the same refusals as `nexo import`. Returns the names written."""
    from ..core.adopt.writer import write_files
    from ..errors import ImportUnsupported

    if preview.unsupported and not skip_unsupported:
        raise ImportUnsupported(preview.tool, [str(u) for u in preview.unsupported])
    return write_files(list(preview.planned), preview.into)


def status_from(session: "Session", tool: str, project: "Project | None | bool" = True) -> "Reconciliation":
    """`nexo status --from TOOL`: the database's state as the other tool recorded it, against the
    session's imported project when its folder exists (``project``: True for that, None for no
    project, or a Project). Read-only: creates nothing."""
    from ..core.adopt.operation import foreign_status

    if project is True:
        folder = session.config.migrations_dir
        project = session.project if folder is not None and Path(folder).is_dir() else None
    return foreign_status(project or None, session.target, tool)


def refuse(rec: "Reconciliation", accept_mismatch: bool) -> None:
    """Raise what `adopt` would refuse with: ``ForeignDirty`` (exit 3) on failed/dirty rows,
    ``ForeignMismatch`` (exit 2) on mismatches unless accepted, ``InvalidInput`` without a table."""
    from ..core.adopt.operation import refuse as core_refuse

    core_refuse(rec, accept_mismatch)


def reconcile_preview(session: "Session", preview: ImportPreview) -> "Reconciliation":
    """The reconciliation the import would give, before anything is written: the planned files
    are loaded from a scratch folder that is removed afterwards."""
    from ..core.adopt.operation import foreign_status
    from ..core.adopt.writer import write_files
    from ..core.project import Project

    with tempfile.TemporaryDirectory(prefix="nexo-import-") as scratch:
        write_files(list(preview.planned), Path(scratch))
        project = Project.load(Path(scratch))
        return foreign_status(project, session.target, preview.tool)


def adopt(session: "Session", tool: str, accept_mismatch: bool = False, dry_run: bool = False,
          lock_timeout: float | None = None) -> Generator["Event", None, tuple["Reconciliation", list[str]]]:
    """`nexo adopt`: record the other tool's applied migrations as applied (run nothing), under
    the lock, in one transaction; returns (reconciliation, ids adopted)."""
    from ..core.adopt.operation import adopt as core_adopt

    timeout = session.lock_timeout if lock_timeout is None else lock_timeout
    return (yield from core_adopt(session.project, session.target, tool, accept_mismatch=accept_mismatch,
                                  dry_run=dry_run, lock_timeout=timeout))


def import_and_adopt(session: "Session", preview: ImportPreview, skip_unsupported: bool = False,
                     accept_mismatch: bool = False) -> Generator["Event", None, tuple["Reconciliation", list[str]]]:
    """The wizard's last step: write the previewed files into the session's migrations folder
    (``preview.into``), then adopt. The reconciliation is read again under the lock, so a
    database that changed since the preview is judged as it is now."""
    from ..core.events import Log
    from ..errors import InvalidInput

    if Path(session.config.migrations_dir).resolve() != preview.into.resolve():
        raise InvalidInput(f"the session's migrations folder is {session.config.migrations_dir}, "
                           f"the import goes into {preview.into}")
    if preview.unsupported and not skip_unsupported:
        write_preview(preview, skip_unsupported)  # raises ImportUnsupported, writes nothing
    # refuse before writing anything when the database already says no (adopt checks again, locked)
    refuse(reconcile_preview(session, preview), accept_mismatch)
    written = write_preview(preview, skip_unsupported)
    yield Log("info", f"wrote {len(written)} file(s) into {preview.into}"
                      + (f" ({len(preview.existing)} already there)" if preview.existing else ""))
    return (yield from adopt(session, preview.tool, accept_mismatch=accept_mismatch))
