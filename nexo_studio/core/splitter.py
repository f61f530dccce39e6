"""Split the body of a migration section into the statements sent to the database.

Why not sqlparse (installed, 0.6.1)?  It was tried on every case this module must handle
(see ``tests/core/test_splitter.py``). It gets strings, quoted identifiers, comments, ``$$``
bodies and most trigger/procedure bodies right, but it:

- swallows the rest of a section after a PostgreSQL ``BEGIN ISOLATION LEVEL …;`` or
  ``BEGIN READ WRITE;`` (it takes that ``BEGIN`` for a block that never ends);
- ends a MySQL procedure early at ``END REPEAT``;
- treats ``GO`` as a keyword rather than a line of its own: lowercase ``go`` does not split,
  ``GO`` comes back as a statement, and there is no "split on GO only" mode for T-SQL batches;
- knows no ``DELIMITER`` directive, ends PostgreSQL nested comments at the first ``*/``;
- gives no positions, so statement line numbers would need a second pass;
- is slow for this job: 0.6-2 ms per 100-byte section (30-75 times this module), i.e.
  seconds for 10,000 files, against a budget of well under 0.3 s for loading them all.

So this is a small hand-rolled scanner (``_scan``): one compiled regular expression per
(dialect, delimiter, mode) jumps to the next token that matters -- a quote, a comment opener,
a dollar quote, the delimiter, a ``GO``/``DELIMITER`` line, or one of the words ``BEGIN``/
``END``/``CASE`` -- and a loop keeps the little state there is (block depth, where the
current statement's code starts). Everything between those tokens is skipped by the regex
engine. Two fast paths give the same result on the commonest sections (property tests check
it): text without quotes, comments or those words is split on ``;`` (``_split_plain``);
text whose only hazards are quotes and ``--`` comments is split by one regex per statement
(``_split_chunks``).

The ``dialect`` is the one the SQL is SENT to (``Migration.statements(kind, target)`` splits a
generic section by the target's rules): each dialect's lexer decides what a comment or a
string is, so a generic section splits differently on MariaDB (``#``, ``\'``) and PostgreSQL
(nested ``/* /* */ */``). ``None`` (no target: a generic section read on its own) keeps the
permissive union of the rules below. ``tests/reliability/test_splitter_differential.py`` checks
the split against psql, the mariadb client and sqlite3 on generated SQL.

Known limits: a ``;`` inside parentheses (PostgreSQL ``CREATE RULE … DO (…; …)``) splits;
inside a routine body, a column named ``end`` without quotes closes the body; ``GO n``
(repeat the batch) is not a separator; MySQL's ``NO_BACKSLASH_ESCAPES`` and ``ANSI_QUOTES``
sql modes are not known (the default sql_mode sets neither); a ``;`` inside a MySQL
``/*! … */`` comment does not split (the mysql client would split there).

Rules, in short:

- Strings ``'…'`` (``''`` escapes; backslash escapes in ``'…'`` and ``"…"`` on ``mysql``, and
  in PostgreSQL ``E'…'``), identifiers ``"…"`` (strings on mysql), ```…``` (sqlite, mysql,
  generic), ``[…]`` (sqlite, mssql, generic); comments ``-- …`` (on mysql only before a space
  or control character: ``1--1`` is arithmetic), ``/* … */`` (nested on postgresql/mssql),
  ``# …`` on mysql; dollar quotes ``$$ … $$``/``$tag$ … $tag$`` on postgresql and generic: a
  ``;`` inside never splits.
- ``BEGIN … END`` bodies: ``BEGIN`` opens a block inside ``CREATE``/``ALTER`` of a trigger,
  procedure, function or event, in a statement starting with ``BEGIN``/``IF``/``WHILE``
  (T-SQL), or inside another block -- except a transaction ``BEGIN`` (``BEGIN;``, ``BEGIN
  TRANSACTION``/``WORK``/``TRAN``/``DEFERRED``/``ISOLATION LEVEL``/``READ …``). ``CASE``
  opens too; ``END`` closes one level, ``END CASE`` closes the ``CASE``, and ``END IF``/
  ``END LOOP``/``END WHILE``/``END REPEAT``/``END FOR`` (which close constructs never
  counted) are skipped. A ``;`` splits only at depth 0.
- ``DELIMITER xx`` is supported, as the mysql client does it, on mysql/mariadb and generic
  text: on a line of its own at the start of a statement it switches the delimiter; blocks
  are then not tracked. Elsewhere (PostgreSQL, SQLite, SQL Server) it is plain text, which
  those servers reject with a syntax error naming the statement's line.
- On ``mssql``, a line holding only ``GO`` (any case) separates batches; when a section has
  such a line, it splits on ``GO`` only and each batch is one statement sent as written. A
  section without ``GO`` splits on ``;`` like every other dialect.
- Statements keep their text verbatim (``%``, ``?``, ``:name`` are plain text) minus the
  delimiter, leading comments and surrounding whitespace; comment-only pieces are dropped.
  MySQL ``/*! … */`` and MariaDB ``/*M! … */`` comments are code, not comments.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nexo_studio.core.lexer import BACKTICK_DIALECTS, MYSQL_DASHES, WORD_CHAR, token_regex
from nexo_studio.core.statement import Statement, canonical_dialect

__all__ = ["split_sql"]

_NON_SPACE = re.compile(r"\S")
# whitespace and comments, matched possessively: no backtracking into `-- ----` lines
_SKIP = r"(?:\s|--[^\n]*+|/\*.*?\*/)*+"
# after BEGIN: a transaction start, not a block
_BEGIN_TRANSACTION = re.compile(
    _SKIP +
    r"(?:;|\Z|(?:TRANSACTION|TRAN|WORK|DISTRIBUTED|DEFERRED|IMMEDIATE|EXCLUSIVE|ISOLATION"
    r"|READ|DEFERRABLE|NOT\s+DEFERRABLE)\b)",
    re.I | re.S,
)
# after END: the end of a construct that was never counted (MySQL/MariaDB compound statements)
_END_UNCOUNTED = re.compile(r"\s+(?:IF|LOOP|WHILE|REPEAT|FOR)(?:\s+[A-Za-z_]\w*)?\s*(?:;|\Z)", re.I)
_END_CASE = re.compile(r"\s+CASE\b", re.I)
# what a statement must start with (or contain before BEGIN) for BEGIN to open a block
_FIRST_WORD = re.compile(_SKIP + r"([A-Za-z_]\w*)", re.S)
_ROUTINE_WORD = re.compile(r"(?<![\w$])(?:TRIGGER|PROCEDURE|PROC|FUNCTION|EVENT)(?![\w$])", re.I)
_BLOCK_FIRST_WORDS = frozenset({"BEGIN", "IF", "WHILE"})
_ROUTINE_FIRST_WORDS = frozenset({"CREATE", "ALTER"})
_GO_LINE = re.compile(r"^[ \t]*GO[ \t]*\r?$", re.I | re.M)


def split_sql(text: str, dialect: str | None, first_line: int = 1) -> list[Statement]:
    """Statements of ``text`` on ``dialect`` (None: a generic section), lines counted from
    ``first_line`` (the file line of ``text``'s first line)."""
    dialect = canonical_dialect(dialect.lower()) if dialect else None
    # cheap presence tests (C-speed substring searches) pick the cheapest way to split
    lowered = text.lower()
    keywords = "begin" in lowered or "end" in lowered or "case" in lowered
    directive = dialect in (None, "mysql") and "delimiter" in lowered
    if dialect == "mssql" and _GO_LINE.search(text):
        statements, found_go = _scan(text, dialect, first_line, True, keywords, directive)
        if found_go:
            return statements
    elif not (keywords or directive or "$" in text or "[" in text or "/*" in text or "#" in text):
        if not ("'" in text or '"' in text or "`" in text or "--" in text):
            return _split_plain(text, first_line)
        if "\\" not in text:
            return _split_chunks(text, first_line, dialect)
    return _scan(text, dialect, first_line, False, keywords, directive)[0]


def _split_plain(text: str, first_line: int) -> list[Statement]:
    """The same result as ``_scan`` for text with no quote, comment or keyword: split on
    every ``;``."""
    statements = []
    line = first_line
    for piece in text.split(";"):
        body = piece.lstrip()
        if body:
            lead = len(piece) - len(body)
            line += piece.count("\n", 0, lead)
            statements.append(Statement(body.rstrip(), line))
            line += piece.count("\n", lead)
        else:
            line += piece.count("\n")
    return statements


# Fast path for the common case -- quotes and `--` comments, but no block comment, bracket,
# dollar, backslash, `#` or BEGIN/END/CASE: one regex consumes a whole statement, quotes and
# comments included. Same results as `_scan` on such text (a property test checks it).
@lru_cache(maxsize=8)
def _chunk_regexes(dialect: str | None) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(one statement, leading blanks and comments) on ``dialect``: backticks quote only where
    that dialect's lexer says so, and MySQL's ``--`` needs a space or control character after."""
    dashes = MYSQL_DASHES if dialect == "mysql" else "--"
    if dialect in BACKTICK_DIALECTS:
        chunk = r"""(?:[^;'"`-]++|'[^']*+(?:'|\Z)|"[^"]*+(?:"|\Z)|`[^`]*+(?:`|\Z)|"""
    else:
        chunk = r"""(?:[^;'"-]++|'[^']*+(?:'|\Z)|"[^"]*+(?:"|\Z)|"""
    return (
        re.compile(chunk + dashes + r"[^\n]*+|-)*+"),
        re.compile(r"(?:\s++|" + dashes + r"[^\n]*+)*+"),
    )


def _end(match: re.Match[str] | None, pos: int) -> int:
    return match.end() if match is not None else pos


def _split_chunks(text: str, first_line: int, dialect: str | None) -> list[Statement]:
    chunk, lead = _chunk_regexes(dialect)
    statements = []
    end_of_text = len(text)
    pos, line, line_pos = 0, first_line, 0
    while pos < end_of_text:
        # both patterns match the empty string: never None
        code = _end(lead.match(text, pos), pos)  # past blanks and comments
        end = _end(chunk.match(text, code), code)  # at the `;` or the end of the text
        if code < end:
            line += text.count("\n", line_pos, code)
            line_pos = code
            statements.append(Statement(text[code:end].rstrip(), line))
        pos = end + 1
    return statements


# longer than 80 lines: the statement scanner is one loop over tokens whose state (position,
# nesting depth, current delimiter, line count) lives in locals; split into functions it would
# pass that state around on every token, and it runs on every statement of every deploy
# (benchmarks/engine.py).
def _scan(
    text: str, dialect: str | None, first_line: int, go: bool, keywords: bool, directive: bool
) -> tuple[list[Statement], bool]:
    statements: list[Statement] = []
    backslash = dialect == "mysql"
    e_strings = dialect in (None, "postgresql")
    nested_comments = dialect in ("postgresql", "mssql")
    bang_is_code = dialect in (None, "mysql")  # `/*!…*/`, MariaDB `/*M!…*/`: code
    delimiter = ";"
    regex = token_regex(dialect, delimiter, go, keywords, directive)
    end_of_text = len(text)
    pos = 0  # scanning position
    code = -1  # where the current statement's code starts (-1: nothing but comments yet)
    depth = 0  # BEGIN/CASE nesting
    line, line_pos = first_line, 0  # line number of position line_pos
    found_go = False

    while True:
        match = regex.search(text, pos)
        start = match.start() if match else end_of_text
        if code < 0 and start > pos:
            gap = _NON_SPACE.search(text, pos, start)
            if gap:
                code = gap.start()
        if match is None:
            break
        pos = match.end()
        kind = match.lastgroup
        char = text[start]

        if kind == "go" or (kind is None and text.startswith(delimiter, start)):
            if kind == "go":
                found_go = True
            elif depth:
                continue
            if code >= 0:
                line += text.count("\n", line_pos, code)
                line_pos = code
                statements.append(Statement(text[code:start].rstrip(), line))
            code, depth = -1, 0
        elif kind == "directive":
            if code >= 0:  # DELIMITER in the middle of a statement (e.g. COPY … DELIMITER ',')
                pos = match.start("value")
                continue
            delimiter = match.group("value")
            regex = token_regex(dialect, delimiter, go, keywords, directive)
            depth = 0
        elif char == "'":
            if code < 0:
                code = start
            escapes = backslash or (
                e_strings and start > 0 and text[start - 1] in "eE"
                and (start < 2 or not WORD_CHAR.match(text, start - 2))
            )
            pos = _end_of_quoted(text, pos, "'", escapes)
        elif char == '"' or char == "`" or char == "[":
            if code < 0:
                code = start
            closer = "]" if char == "[" else char
            pos = _end_of_quoted(text, pos, closer, backslash and char == '"')
        elif char == "-" or char == "#":
            newline = text.find("\n", pos)
            pos = end_of_text if newline < 0 else newline + 1
        elif char == "/":
            if code < 0 and bang_is_code and (
                text.startswith("!", pos) or text.startswith("M!", pos)
            ):
                code = start
            pos = _end_of_block_comment(text, pos, nested_comments)
        elif char == "$":
            if start and WORD_CHAR.match(text, start - 1):  # part of a name such as a$b$
                pos = start + 1
                continue
            if code < 0:
                code = start
            close = text.find(match.group(), pos)
            pos = end_of_text if close < 0 else close + len(match.group())
        else:  # BEGIN, END or CASE
            if start and text[start - 1] in "$@.":  # a $name, @variable or t.end column
                continue
            if code < 0:
                code = start
            word = match.group().upper()
            if word == "CASE":
                depth += 1
            elif word == "END":
                if _END_UNCOUNTED.match(text, pos):
                    continue
                after_case = _END_CASE.match(text, pos)
                if after_case:
                    pos = after_case.end()
                depth = max(0, depth - 1)
            elif not _BEGIN_TRANSACTION.match(text, pos) and (
                depth or _begins_block(text, code, start)
            ):
                depth += 1
    if code >= 0:
        statements.append(Statement(text[code:].rstrip(), line + text.count("\n", line_pos, code)))
    return statements, found_go


def _begins_block(text: str, code: int, begin: int) -> bool:
    """At depth 0: does the BEGIN at ``begin`` open a block in the statement starting at
    ``code``? (So that a column named ``begin`` in a CREATE TABLE does not.)"""
    if code == begin:
        return True
    first = _FIRST_WORD.match(text, code)
    word = first.group(1).upper() if first else ""
    if word in _BLOCK_FIRST_WORDS:
        return True
    return word in _ROUTINE_FIRST_WORDS and _ROUTINE_WORD.search(text, code, begin) is not None


def _end_of_quoted(text: str, pos: int, closer: str, backslash: bool) -> int:
    """Position just past the quote that closes a quoted run starting at ``pos``.

    A doubled closer (``''``, ``""``, ``]]``) needs no special case: the scanner sees it as
    the end of one quoted run and the start of the next."""
    if not backslash:
        close = text.find(closer, pos)
        return len(text) if close < 0 else close + 1
    while True:
        close = text.find(closer, pos)
        if close < 0:
            return len(text)
        escape = text.find("\\", pos, close)
        if escape < 0:
            return close + 1
        pos = escape + 2


def _end_of_block_comment(text: str, pos: int, nested: bool) -> int:
    if not nested:
        close = text.find("*/", pos)
        return len(text) if close < 0 else close + 2
    level = 1
    while level:
        close = text.find("*/", pos)
        if close < 0:
            return len(text)
        opener = text.find("/*", pos, close)
        if opener >= 0:
            level += 1
            pos = opener + 2
        else:
            level -= 1
            pos = close + 2
    return pos
