"""PostgreSQL deparsed text that a dump/restore round trip rewrites without changing meaning.

``x IN ('a', 'b')`` on a varchar column deparses as
``ARRAY['a'::character varying, 'b'::character varying]::text[]``; pg_dump writes that text, the
restored server parses it back and deparses ``ARRAY['a'::character varying::text, ...]``. Both are
brought to the second form (the cast pushed into each element), so a restore is not drift."""

from __future__ import annotations

import re

from .model import normalise_sql

_ARRAY = re.compile(r"\bARRAY\[")
_CAST_ARRAY = re.compile(r"\]::((?:\"[^\"]+\"|[A-Za-z_][\w.]*)(?: [A-Za-z_]\w*)*(?:\(\d+(?:,\s*\d+)?\))?)\[\]")


def _close(text: str, start: int) -> int:
    """Index of the ``]`` closing the bracket opened just before ``start``."""
    depth, quote = 1, False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quote = not quote
        elif quote:
            continue
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _elements(body: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, False
    for ch in body:
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([":
            depth += 1
        elif not quote and ch in ")]":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def normalise_expr(text: str | None) -> str | None:
    text = normalise_sql(text)
    if not text or "ARRAY[" not in text:
        return text
    pos = 0
    while True:
        m = _ARRAY.search(text, pos)
        if not m:
            return text
        end = _close(text, m.end())
        cast = _CAST_ARRAY.match(text, end) if end >= 0 else None
        if not cast:
            pos = m.end()
            continue
        inner = ", ".join(f"{e}::{cast.group(1)}" for e in _elements(text[m.end():end]))
        text = f"{text[:m.start()]}ARRAY[{inner}]{text[cast.end():]}"
        pos = m.start() + 6
