"""The dependency rule: the engine never imports Qt; the CLI imports Qt only to render a PDF."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import nexo_studio.core

ROOT = Path(__file__).resolve().parents[1]


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_every_core_module_imports_without_qt():
    names = [m.name for m in pkgutil.walk_packages(nexo_studio.core.__path__, "nexo_studio.core.")]
    assert "nexo_studio.core.pipeline" in names
    mods = loaded_after("\n".join(f"import {n}" for n in names))
    assert not {m for m in mods if m.startswith(("PySide6", "shiboken6", "qasync"))}


def test_cli_commands_do_not_import_qt(tmp_path):
    code = (
        "from nexo_studio.cli.main import main\n"
        f"main(['--db', 'sqlite:///{tmp_path / 'a.db'}', '--migrations', '{ROOT / 'migrations'}', 'status', '--json'])\n"
        f"main(['--db', 'sqlite:///{tmp_path / 'a.db'}', '--migrations', '{ROOT / 'migrations'}', 'deploy', '--no-backup'])\n"
        f"main(['--db', 'sqlite:///{tmp_path / 'a.db'}', 'export', '--format', 'html', '--out', '{tmp_path / 'r.html'}'])\n"
    )
    mods = loaded_after(code)
    assert not {m for m in mods if m.startswith(("PySide6", "shiboken6"))}


def test_help_starts_without_sqlalchemy():
    mods = loaded_after("from nexo_studio.cli.main import build_parser\nbuild_parser()")
    assert "sqlalchemy" not in mods


def test_status_loads_only_what_it_reads(tmp_path):
    """Start-up is most of a small `status`: it loads neither deploy/rollback nor the statement
    splitter."""
    run = f"from nexo_studio.cli.main import main\nassert main(['--db', 'sqlite:///{tmp_path / 'a.db'}', " \
          f"'--migrations', '{ROOT / 'migrations'}', %s]) == 0"
    subprocess.run([sys.executable, "-c", run % "'deploy', '--no-backup'"], capture_output=True, cwd=ROOT, check=True)
    mods = loaded_after(run % "'status'")
    assert "nexo_studio.core.project" in mods and "sqlalchemy.dialects.sqlite" in mods
    assert not mods & {"nexo_studio.core.pipeline", "nexo_studio.core.executor", "nexo_studio.core.planner",
                       "nexo_studio.core.splitter"}
    # nor the events and locks of the changing operations, the other commands' modules, or the
    # other dialects' SQLAlchemy modules (the state tables' types pick theirs when used)
    assert not mods & {"nexo_studio.core.events", "nexo_studio.core.state.locks", "nexo_studio.cli.progress",
                       "nexo_studio.cli.commands.admin", "nexo_studio.cli.commands.operations",
                       "nexo_studio.cli.commands.adopt", "nexo_studio.cli.commands.drift",
                       "nexo_studio.cli.commands.fleet",  # their parsers live in cli.parser_more
                       "nexo_studio.core.dialects.mysql", "nexo_studio.core.dialects.postgresql",
                       "nexo_studio.core.dialects.mssql",
                       "nexo_studio.cli.json_shapes",  # the table needs no --json document
                       "sqlalchemy.dialects.mysql", "sqlalchemy.dialects.mssql", "difflib"}


def test_import_contracts_hold():
    """The fences of pyproject.toml's [tool.importlinter] (STYLE.md), checked by import-linter."""
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" not in out.stdout.lower().replace("0 broken", "")
