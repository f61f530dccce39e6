"""Human output: aligned tables, colour only on a terminal, progress lines on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
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

COLOURS = {
    "pending": "33", "applied": "32", "failed": "31", "dirty": "31;1", "drifted": "35",
    "missing": "35", "ok": "32", "error": "31", "warning": "33", "cancelled": "33",
    "skipped": "2", "dim": "2", "bold": "1",
}


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, key: str, stream: TextIO | None = None) -> str:
    return _painted(text, key, use_colour(stream or sys.stdout))


def _painted(text: str, key: str, colour: bool) -> str:
    code = COLOURS.get(key)
    if not code or not colour:
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str], colour_col: int | None = None,
          stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    # asked once, not per row: isatty() is a system call, and `status` prints 10,000 rows
    colour = use_colour(stream)
    widths = [len(h) for h in headers]
    uniform = set(map(len, rows)) <= {len(headers)}
    if uniform:
        for i, column in enumerate(zip(*rows)):  # column by column, lengths measured in C
            widths[i] = max(widths[i], max(map(len, column)))
    else:
        for r in rows:
            for i, cell in enumerate(r):
                widths[i] = max(widths[i], len(cell))
    lines = [_painted("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), "bold", colour)]
    if not uniform or colour and colour_col is not None:
        for r in rows:
            cells = []
            for i, (cell, w) in enumerate(zip(r, widths)):
                padded = cell.ljust(w)
                cells.append(_painted(padded, cell, colour) if i == colour_col else padded)
            lines.append("  ".join(cells).rstrip())
    else:  # one format per row: `%-Ns` pads as ljust does
        row_format = "  ".join(f"%-{w}s" for w in widths)
        lines += [(row_format % tuple(r)).rstrip() for r in rows]
    lines.append("")
    stream.write("\n".join(lines))  # one write, not one print per row


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
