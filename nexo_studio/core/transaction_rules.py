"""Validate-time checks of what a SQL migration may say about transactions (SPEC §2).

* Transaction control (``BEGIN``, ``START TRANSACTION``, ``COMMIT``, ``END``, ``ROLLBACK``,
  ``ABORT``) in a per-migration migration: the engine runs each migration in one transaction
  and commits it with its state rows, so such a statement would commit (or end) part of it and
  a later failure would be recorded ``failed`` while part of it stays in the database. Refused
  on every dialect: the same file deploys to SQLite and PostgreSQL, and on MySQL/MariaDB it
  would split the migration's data changes into separately committed pieces. ``SAVEPOINT``,
  ``RELEASE`` and ``ROLLBACK TO SAVEPOINT`` stay inside the transaction and are fine; under
  ``transaction: none`` (autocommit, statement by statement) all of them are allowed.
* ``COPY … FROM STDIN`` / ``COPY … TO STDOUT`` on PostgreSQL: they exchange data with the
  client, which a migration file cannot supply or receive.

Statements are judged by their leading keywords after the dialect's splitter has split them
(comments skipped), never by a pattern over the whole text. A section is only split when one of
the keywords may start a statement in it, so `status` of thousands of migrations stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from . import validate  # Finding; validate imports this module (the hook in static_findings)
from .model import SECTION_KINDS, Migration, Section, Statement, canonical_dialect

_COMMENTS = r"\s*(?:(?:--[^\n]*(?:\n|\Z)|/\*.*?\*/)\s*)*"
_KEYWORD = r"(?:begin|start|commit|end|rollback|abort|copy)\b"
#: a keyword where a statement can start: the section's start, or after a `;`. A cheap test
#: (the `;` lets the regex engine skip ahead) that decides whether a section is split at all.
_AT_START = re.compile(_COMMENTS + _KEYWORD, re.IGNORECASE | re.DOTALL)
_AFTER_SEMICOLON = re.compile(";" + _COMMENTS + _KEYWORD, re.IGNORECASE | re.DOTALL)
#: what must follow a `;` (after blanks) for ``_AFTER_SEMICOLON`` to match there: a comment or the
#: first two letters of a keyword. Case-sensitive, so the regex engine jumps from `;` to `;`;
#: ``_AFTER_SEMICOLON`` (case-insensitive: tried at every character) runs only when it matches.
_MAYBE_AFTER_SEMICOLON = re.compile(r";\s*(?:[bB][eE]|[sS][tT]|[cC][oO]|[eE][nN]|[rR][oO]|[aA][bB]|--|/\*)")


def _mentions(text: str, dialect: str | None) -> bool:
    """Whether a statement of ``text`` may start with one of the keywords (SQL Server batches
    are not ended by `;`: always split)."""
    return dialect == "mssql" or bool(_AT_START.match(text) or (
        _MAYBE_AFTER_SEMICOLON.search(text) and _AFTER_SEMICOLON.search(text)))


#: words, quoted text and comments; only words and parentheses matter
_TOKEN = re.compile(
    r"--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|`[^`]*`?|\[[^\]]*\]?"
    r"|(?P<dollar>\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<paren>[()])|\s+|\S",
    re.DOTALL,
)

#: the word after BEGIN / END that still makes it transaction control (BEGIN alone does too)
_BEGIN_NEXT = {"TRANSACTION", "TRAN", "WORK", "DEFERRED", "IMMEDIATE", "EXCLUSIVE", "ISOLATION", "READ",
               "NOT", "DEFERRABLE", "DISTRIBUTED"}
_END_NEXT = {"TRANSACTION", "TRAN", "WORK"}


def top_level_words(sql: str, limit: int | None = None) -> list[str]:
    """Upper-cased words of ``sql`` outside strings, quoted names, comments, ``$$`` bodies and
    parentheses, in order (at most ``limit``)."""
    words: list[str] = []
    depth = 0
    pos = 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if m is None:  # never: `\s+|\S` matches any character
            break
        pos = m.end()
        if m.group("dollar"):
            close = sql.find(m.group("dollar"), pos)
            pos = len(sql) if close < 0 else close + len(m.group("dollar"))
        elif m.group("paren"):
            depth += 1 if m.group("paren") == "(" else -1
        elif m.group("word") and depth <= 0:
            words.append(m.group("word").upper())
            if limit is not None and len(words) >= limit:
                break
    return words


def transaction_control(sql: str) -> str | None:
    """The transaction-control command ``sql`` is (``COMMIT``, ``BEGIN`` …), or None."""
    words = top_level_words(sql, 3)
    if not words:
        return None
    first, second = words[0], words[1] if len(words) > 1 else None
    if first == "COMMIT" or first == "ABORT":
        return first
    if first == "START" and second == "TRANSACTION":
        return "START TRANSACTION"
    if first == "BEGIN" and (second is None or second in _BEGIN_NEXT):
        return "BEGIN"
    if first == "END" and (second is None or second in _END_NEXT):
        return "END"
    if first == "ROLLBACK":
        rest = words[1:]
        if rest[:1] in (["WORK"], ["TRANSACTION"], ["TRAN"]):
            rest = rest[1:]
        return None if rest[:1] == ["TO"] else "ROLLBACK"
    return None


def copy_with_client(sql: str) -> str | None:
    """``COPY … FROM STDIN`` / ``COPY … TO STDOUT``: the words, else None."""
    words = top_level_words(sql)
    if not words or words[0] != "COPY":
        return None
    for a, b in zip(words, words[1:]):
        if (a, b) in (("FROM", "STDIN"), ("TO", "STDOUT")):
            return f"COPY … {a} {b}"
    return None


def _used_sections(m: Migration, dialect: str | None) -> Iterator[tuple[Section, tuple[Statement, ...]]]:
    """Each section that runs on ``dialect`` (every section when it is unknown), split with the
    target's dialect; sections whose text mentions none of the keywords are not split."""
    if dialect is None:
        chosen: Iterable[Section] = m.sections
    else:
        chosen = [s for s in (m.section(k, dialect) for k in SECTION_KINDS) if s is not None]
    for section in chosen:
        if not _mentions(section.text, dialect or section.dialect):
            continue
        yield section, (m.statements(section.kind, dialect) if dialect else section.statements)


def transaction_findings(migrations: Iterable[Migration], dialect: str | None) -> list["validate.Finding"]:
    """Errors for transaction control in per-migration SQL migrations and for COPY with the
    client on PostgreSQL; each names the file and the statement's line."""
    out: list["validate.Finding"] = []
    target = canonical_dialect(dialect) if dialect else None
    for m in migrations:
        if m.kind != "sql":
            continue
        for section, statements in _used_sections(m, target):
            on_postgresql = (target or section.dialect) == "postgresql"
            for st in statements:
                if m.transaction != "none":
                    command = transaction_control(st.sql)
                    if command:
                        out.append(validate.Finding(
                            "error", "transaction_control", (m.id,),
                            f"{m.path.name}:{st.line}: {command} in the {section.kind} section of a per-migration "
                            f"migration would commit or end part of it while the engine runs the whole migration "
                            f"in one transaction; remove it, or add `-- transaction: none` to the header "
                            f"(autocommit, statement by statement)", m.path, st.line))
                copy = copy_with_client(st.sql) if on_postgresql else None
                if copy:
                    out.append(validate.Finding(
                        "error", "copy_stdin", (m.id,),
                        f"{m.path.name}:{st.line}: {copy} needs a client to send or receive the data, "
                        f"which a migration cannot do; use INSERT … VALUES, or COPY from a file the "
                        f"server can read", m.path, st.line))
    return out
