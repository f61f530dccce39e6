"""Every runtime dependency in pyproject.toml is used: imported by nexo_studio, or loaded by
SQLAlchemy as a database driver."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: distribution name -> the module it provides (where they differ)
MODULES = {"sqlalchemy": "sqlalchemy", "pymysql": "pymysql", "pyside6-essentials": "PySide6",
           "pyside6-addons": "PySide6", "pygments": "pygments",
           "pyyaml": "yaml"}
#: loaded by SQLAlchemy from the URL (postgresql+psycopg://), never imported by name
DRIVERS = {"psycopg"}


def test_every_dependency_is_used():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "nexo_studio").rglob("*.py"))
    unused = []
    for dep in deps:
        dist = re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower()
        module = MODULES.get(dist, dist)
        if dist in DRIVERS:
            continue
        if not re.search(rf"^\s*(import|from) {re.escape(module)}\b", source, re.MULTILINE):
            unused.append(dist)
    assert not unused, f"dependencies nothing imports: {unused}"
