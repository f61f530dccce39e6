"""Where the bundled sample project and the resources (icons) live, installed or not.

A wheel carries them inside the package (``nexo_studio/_bundled/``, see ``pyproject.toml``);
an editable install or a source checkout has them at the top of the repository; a PyInstaller
build puts them under ``sys._MEIPASS/nexo_studio/_bundled``. One function answers for all three.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import nexo_studio

_PACKAGE = Path(nexo_studio.__file__).resolve().parent


def bundled_path(name: str) -> Path:
    """``migrations`` or ``resources``: the installed copy if there is one, else the repo's."""
    candidates = [_PACKAGE / "_bundled" / name]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "nexo_studio" / "_bundled" / name)
    candidates.append(_PACKAGE.parent / name)
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]


def sample_migrations_dir() -> Path:
    """The bundled sample project (shipped inside the package)."""
    return bundled_path("migrations")


def resources_dir() -> Path:
    return bundled_path("resources")


@lru_cache(maxsize=None)
def icon_path(name: str) -> Path | None:
    """``resources/icons/<name>.svg`` when it exists."""
    p = resources_dir() / "icons" / f"{name}.svg"
    return p if p.is_file() else None
