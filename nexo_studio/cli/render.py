"""Human output: aligned tables and colour only on a terminal (progress lines: ``progress``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

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
