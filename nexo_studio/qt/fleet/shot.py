"""``nexo-studio --screenshot PATH --view fleet [--targets FILE]``: the Fleet window, rendered."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any


async def fleet_screenshot(main: Any, path: Path, targets: Path | None, size: tuple[int, int]) -> int:
    from PySide6.QtWidgets import QApplication

    from .window import FleetWindow

    win = FleetWindow(main.migrations_dir, targets, main)
    win.resize(*size)
    win.show()
    loaded = await win.load()
    if loaded is None:
        print(f"nexo-studio: cannot read the fleet: {win.count_label.text()}", file=sys.stderr)
        return 1
    rows = [r for r in loaded.matrix.targets if r.state != "unreachable"]
    if rows:  # a selection shows what the actions apply to
        win.select_names([r.name for r in rows[1:3]])
    for _ in range(3):
        QApplication.processEvents()
        await asyncio.sleep(0.05)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not win.grab().save(str(path), "PNG"):
        print(f"nexo-studio: cannot write {path}", file=sys.stderr)
        return 1
    print(path)
    win.close()
    return 0
