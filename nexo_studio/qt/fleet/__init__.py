"""The Fleet view (SPEC §9): one project's targets × migrations, in a window of its own.

``data`` (plain rows, no Qt) → ``model`` (a QAbstractTableModel) → ``delegate`` (paints cells)
→ ``widgets`` / ``window``; ``jobs`` are what runs on the worker (through ``app.fleet``).
:func:`open_fleet` is what the main window's View → Fleet… calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .window import FleetWindow

__all__ = ["FleetWindow", "open_fleet", "fleet_available", "choose_targets_file"]

_AVAILABLE: dict[tuple, bool] = {}


def fleet_available(migrations_dir: Path | None) -> bool:
    """Whether the project's ``nexo.toml`` has ``[[targets]]`` (cached per file and mtime)."""
    from ...app.fleet.session import has_targets
    from ...app.session import SessionSpec, find_config

    if migrations_dir is None:
        return False
    path = find_config(SessionSpec(Path(migrations_dir)))
    if path is None:
        return False
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return False
    if key not in _AVAILABLE:
        _AVAILABLE[key] = has_targets(path)
    return _AVAILABLE[key]


def open_fleet(main: Any, targets_file: Path | None = None) -> FleetWindow:
    """Open (or raise) the Fleet window of ``main``'s project; a double-clicked target opens
    in ``main``'s views."""
    from ..connections import with_password

    win: FleetWindow | None = getattr(main, "fleet_window", None)
    if win is not None and (win.targets_file != targets_file or win.migrations_dir != main.migrations_dir):
        win.close()
        win = None
    if win is None:
        win = FleetWindow(main.migrations_dir, targets_file, main)

        def open_target(name: str, url: str) -> None:
            main.set_connection(main.migrations_dir, with_password(url))
            main.raise_()
            main.activateWindow()

        win.open_requested.connect(open_target)
        main.fleet_window = win
        from ..aio import spawn

        spawn(win.load())
    win.show()
    win.raise_()
    return win


async def choose_targets_file(main: Any) -> FleetWindow | None:
    """View → Fleet from targets file…: pick a file holding ``[fleet]`` / ``[[targets]]``."""
    from PySide6.QtWidgets import QFileDialog

    from ..aio import ask

    start = str(main.migrations_dir.parent) if main.migrations_dir else str(Path.home())
    dialog = QFileDialog(main, "Fleet targets file", start, "Targets (*.toml)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setObjectName("fleet_targets_dialog")
    if not await ask(dialog) or not dialog.selectedFiles():
        return None
    return open_fleet(main, Path(dialog.selectedFiles()[0]))
