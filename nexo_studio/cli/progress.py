"""Progress lines on stderr for the engine's events (apart from ``render``: `status` and the
other read-only commands print no progress and need not load the events)."""

from __future__ import annotations

import sys
from typing import TextIO

from ..core.events import (
    BackupCreated,
    Event,
    Log,
    MigrationFinished,
    MigrationStarted,
    StageFinished,
    StageStarted,
    StatementExecuted,
)
from .render import paint


class ProgressPrinter:
    """Renders engine events as progress lines on stderr."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self._open = False

    def __call__(self, ev: Event) -> None:
        s = self.stream
        if isinstance(ev, StageStarted):
            print(paint(f"== {ev.stage}", "bold", s) + (f": {ev.detail}" if ev.detail else ""), file=s)
        elif isinstance(ev, StageFinished):
            if ev.status != "ok" or self.verbose:
                print(f"   {ev.stage} {paint(ev.status, ev.status, s)} ({ev.duration_ms} ms)", file=s)
        elif isinstance(ev, MigrationStarted):
            pos = f"[{ev.index}/{ev.total}] " if ev.total else ""
            if self.verbose or ev.action != "verify":
                print(f"   {pos}{ev.action} {ev.migration_id} ...", file=s, end="", flush=True)
                self._open = True
        elif isinstance(ev, MigrationFinished):
            if self._open:
                print(f" {paint(ev.status, ev.status, s)} ({ev.duration_ms} ms)", file=s)
                self._open = False
            if ev.error:
                print(f"     {paint('error', 'error', s)}: {ev.error}", file=s)
        elif isinstance(ev, StatementExecuted):
            if self.verbose:
                first = ev.sql.strip().splitlines()[0][:100] if ev.sql.strip() else ""
                print(f"\n     line {ev.line}: {first} ({ev.duration_ms:.1f} ms)", file=s, end="")
        elif isinstance(ev, BackupCreated):
            print(f"   backup {ev.path} ({ev.size:,} bytes, sha256 {ev.sha256[:12]}…)", file=s)
        elif isinstance(ev, Log):
            if ev.level != "debug" or self.verbose:
                print(f"   {paint(ev.level, ev.level, s) if ev.level != 'info' else ''}{': ' if ev.level != 'info' else ''}{ev.message}", file=s)
