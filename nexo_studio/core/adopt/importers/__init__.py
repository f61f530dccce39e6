"""One importer per tool: ``read(source: Path) -> ForeignProject`` in the tool's apply order."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ..model import ForeignProject

_MODULES = {"flyway": "flyway", "liquibase": "liquibase", "alembic": "alembic", "sqitch": "sqitch",
            "golang-migrate": "golang_migrate", "dbmate": "dbmate"}


def read_project(tool: str, source: Path) -> ForeignProject:
    from ....errors import InvalidInput

    if tool not in _MODULES:
        raise InvalidInput(f"--from {tool}: cannot import from that tool (supported: {', '.join(_MODULES)})")
    if not source.exists():
        raise InvalidInput(f"{source}: no such file or folder")
    return import_module(f"{__name__}.{_MODULES[tool]}").read(source)


def read_text(path: Path) -> str:
    """A foreign file as text (UTF-8, BOM dropped), or an error naming it."""
    from ....errors import MigrationFileError

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationFileError(path, None, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text
