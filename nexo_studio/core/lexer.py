"""The lexical rules of each dialect, shared by the splitter and the loader: which characters
open a string, a quoted identifier, a comment or a dollar-quoted body on which dialect, and
what a text leaves open at its end (``open_construct``: a section marker line after an open
string is text). Small and cheap to import: ``status`` loads it, not the splitter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nexo_studio.core.statement import canonical_dialect

__all__ = ["open_construct", "open_constructs", "token_regex"]

WORD_CHAR = re.compile(r"[\w$]")

# which quotes and comments each dialect's lexer knows (None: a generic section read alone)
BACKTICK_DIALECTS = (None, "sqlite", "mysql")
_BRACKET_DIALECTS = (None, "sqlite", "mssql")
_DOLLAR_DIALECTS = (None, "postgresql")
# MySQL/MariaDB: `--` opens a comment only before a space or control character (server lexer)
MYSQL_DASHES = r"--(?=[\x00-\x20]|\Z)"


@lru_cache(maxsize=256)
def token_regex(
    dialect: str | None, delimiter: str, go: bool, keywords: bool, directive: bool
) -> re.Pattern[str]:
    """The regex that finds the next token that matters.

    Branches start with a literal character and carry no named group, so that the regex
    engine can skip to candidate characters quickly; the scanner dispatches on the first
    character. Only the rare line-anchored branches (``GO``, ``DELIMITER``) are named."""
    parts = ["'", '"', r"/\*", MYSQL_DASHES + r"|\#" if dialect == "mysql" else "--"]
    if dialect in BACKTICK_DIALECTS:
        parts.append("`")
    if dialect in _BRACKET_DIALECTS:
        parts.append(r"\[")
    if go:
        parts.append(r"(?P<go>^[ \t]*(?i:GO)[ \t]*\r?$)")
    else:
        parts.append(re.escape(delimiter))
        if directive:
            parts.append(r"(?P<directive>^[ \t]*(?i:DELIMITER)[ \t]+(?P<value>\S+)[ \t]*\r?$)")
        if delimiter == ";":
            if dialect in _DOLLAR_DIALECTS:
                parts.append(_DOLLAR_QUOTE)
            if keywords:
                parts.append(r"\b(?i:BEGIN|END|CASE)\b")
    return re.compile("|".join(parts), re.M)


# PostgreSQL dollar quote: `$$` or `$tag$`, tag letters (any non-ASCII too), digits, `_`
_DOLLAR_QUOTE = r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$"


# --- what is left open at the end of a text (section markers inside strings) -------------------

# where a dialect's strings, quoted identifiers, comments and dollar quotes may disagree
_DIALECT_HAZARD = re.compile(r"[\\#$\[`]|/\*|--(?![ \t\r\n])")
# the rules every dialect shares: `'…'`, `"…"` (no backslash escapes), `--` comments
_BALANCED = re.compile(r"""(?:[^'"-]++|'[^']*+'|"[^"]*+"|--[^\n]*+|-)*+""")
_OPEN_NAMES = {"'": "string", '"': "quoted identifier or string", "`": "quoted identifier",
               "[": "quoted identifier", "/": "block comment", "$": "dollar-quoted body"}


def open_constructs(text: str, dialects: list[str | None]) -> dict[str | None, str | None]:
    """``open_construct`` on each of ``dialects`` (one pass when their rules agree on it)."""
    if _DIALECT_HAZARD.search(text) is None:
        found = open_construct(text, None)
        return dict.fromkeys(dialects, found)
    return {dialect: open_construct(text, dialect) for dialect in dialects}


def open_construct(text: str, dialect: str | None) -> str | None:
    """What ``text`` leaves open at its end on ``dialect`` -- "string", "block comment",
    "dollar-quoted body", … -- or None when every string, identifier and comment is closed
    (so a line after it is code, where a section marker is a marker)."""
    if _DIALECT_HAZARD.search(text) is None:  # the common case: one C-speed match
        if _BALANCED.fullmatch(text):
            return None
        return "quoted identifier or string" if _unclosed_is_double(text) else "string"
    return _open_construct_scan(text, canonical_dialect(dialect.lower()) if dialect else None)


def _open_construct_scan(text: str, dialect: str | None) -> str | None:
    regex = token_regex(dialect, ";", False, False, False)
    pos, end = 0, len(text)
    while True:
        match = regex.search(text, pos)
        if match is None:
            return None
        start, pos = match.start(), match.end()
        char = text[start]
        if char in "'\"`[":
            escapes = dialect == "mysql" and char != "`" or (
                char == "'" and dialect in (None, "postgresql") and start > 0
                and text[start - 1] in "eE" and (start < 2 or not WORD_CHAR.match(text, start - 2))
            )
            pos = _closed_quote(text, pos, "]" if char == "[" else char, escapes)
        elif char == "-" or char == "#":
            newline = text.find("\n", pos)
            pos = end if newline < 0 else newline + 1
            continue
        elif char == "/":
            pos = _closed_block_comment(text, pos, dialect in ("postgresql", "mssql"))
        elif char == "$":
            if start and WORD_CHAR.match(text, start - 1):
                pos = start + 1
                continue
            close = text.find(match.group(), pos)
            pos = -1 if close < 0 else close + len(match.group())
        if pos < 0:
            return _OPEN_NAMES[char]


def _unclosed_is_double(text: str) -> bool:
    """On text ``_BALANCED`` stops short of: is the open quote a ``"``?"""
    balanced = _BALANCED.match(text)  # always matches (possibly nothing)
    stop = balanced.end() if balanced else 0
    return text.startswith('"', stop)


def _closed_quote(text: str, pos: int, closer: str, backslash: bool) -> int:
    """Position just past the closing quote of a run starting at ``pos``; -1 if none."""
    while True:
        close = text.find(closer, pos)
        if close < 0:
            return -1
        if backslash:
            escape = text.find("\\", pos, close)
            if escape >= 0:
                pos = escape + 2
                continue
        return close + 1


def _closed_block_comment(text: str, pos: int, nested: bool) -> int:
    """Position just past the ``*/`` closing a comment opened before ``pos``; -1 if none."""
    level = 1
    while level:
        close = text.find("*/", pos)
        if close < 0:
            return -1
        opener = text.find("/*", pos, close) if nested else -1
        if opener >= 0:
            level, pos = level + 1, opener + 2
        else:
            level, pos = level - 1, close + 2
    return pos
