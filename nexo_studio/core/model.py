"""Migrations as plain, frozen data: ids, versions, sections, statements and checksums."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeGuard, TypeVar

from .statement import Statement, canonical_dialect  # noqa: F401  (re-exported: callers import them from here)

VERSION_PATTERN = r"\d{4}\.\d{2}\.\d{2}\.\d{6}"
NAME_PATTERN = r"[a-z0-9_]+"
ID_RE = re.compile(rf"^(?P<version>{VERSION_PATTERN})_(?P<name>{NAME_PATTERN})$")
VERSION_RE = re.compile(rf"^{VERSION_PATTERN}$")

#: Dialects a section may be specialised for. ``mysql`` also serves MariaDB.
DIALECTS = ("sqlite", "postgresql", "mysql", "mssql")
SectionKind = Literal["up", "down", "verify"]
SECTION_KINDS: tuple[SectionKind, ...] = ("up", "down", "verify")
TransactionMode = Literal["per-migration", "none"]
_T = TypeVar("_T")


def is_section_kind(word: str) -> TypeGuard[SectionKind]:
    return word in SECTION_KINDS


_TRAILING_WS = re.compile(r"[^\S\n]+$", re.MULTILINE)
#: ASCII whitespace other than space, tab and line ends (form feed, vertical tab, separators):
#: the fast path must not skip a file whose lines end in them, or its checksum would depend on
#: whether some other line has trailing spaces
_RARE_ASCII_SPACE = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def normalise(text: str) -> str:
    """LF line endings, trailing whitespace stripped per line, outer blank lines dropped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # one-character tests first (memchr), a pair only when its first character is there
    if (not text.isascii() or _space_before_newline(text) or ("\t" in text and "\t\n" in text)
            or text.rstrip("\n")[-1:].isspace() or _has_rare_space(text)):
        text = _TRAILING_WS.sub("", text)  # the slow path, only when there may be something to strip
    return text.strip("\n")


def _space_before_newline(text: str) -> bool:
    """``" \n" in text``. The two-character search looks at every space (SQL has many: ~1.7 µs
    for a 2 KB ``up``); looking before each newline found by memchr is faster while lines are
    few, and past a few lines the plain search takes over."""
    find = text.find
    at = find("\n", 1)
    for _ in range(16):
        if at < 0:
            return False
        if text[at - 1] == " ":
            return True
        at = find("\n", at + 1)
    return at >= 0 and " \n" in text[at - 1:]


def _has_rare_space(text: str) -> bool:
    for c in _RARE_ASCII_SPACE:
        if c in text:
            return True
    return False


def checksum_of(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Section:
    """A ``-- +up``/``-- +down``/``-- +verify`` section, optionally for one dialect."""

    kind: SectionKind
    dialect: str | None
    text: str
    #: line number (1-based) of the first line after the marker
    line: int
    #: splits already made, by target dialect (see ``statements_for``)
    _split: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    @cached_property
    def holds_code(self) -> bool:
        """``has_code(self.text)``, found once: status asks for every migration's ``down``
        twice (the irreversible finding, and ``reversible`` in `--json`)."""
        return has_code(self.text)

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Split by the section's own dialect (generic rules for a generic section). What is
        sent to a database is ``statements_for(target)``: see ``Migration.statements``."""
        return self.statements_for(self.dialect)

    def statements_for(self, dialect: str | None) -> tuple[Statement, ...]:
        """Statements as the TARGET ``dialect``'s lexer reads this text (a generic section sent
        to MariaDB has ``#`` comments and backslash escapes; to PostgreSQL, nested comments).
        Split on first use per dialect, then cached: `status` of thousands never needs it."""
        key = canonical_dialect(dialect.lower()) if dialect else self.dialect
        found = self._split.get(key)
        if found is None:
            from .splitter import split_sql

            found = self._split[key] = tuple(split_sql(self.text, key, self.line))
        return found


@dataclass(frozen=True)
class Migration:
    id: str
    version: str
    name: str
    path: Path
    kind: Literal["sql", "py"]
    description: str = ""
    depends: tuple[str, ...] = ()
    transaction: TransactionMode = "per-migration"
    tags: tuple[str, ...] = ()
    #: SQL sections (empty for Python migrations)
    sections: tuple[Section, ...] = ()
    #: Python migrations: which of up/down/verify the module defines
    py_functions: frozenset[str] = field(default_factory=frozenset)
    #: whole file text (used for the checksum of Python migrations and for display)
    source: str = field(default="", repr=False, compare=False)
    _checksums: dict = field(default_factory=dict, repr=False, compare=False, hash=False)
    #: ``-- origin:`` header (free text written by ``nexo import``)
    origin: str = ""
    #: ``-- lint: allow CODE "reason"`` headers: (code, reason) pairs, in file order
    lint_allow: tuple[tuple[str, str], ...] = ()

    def section(self, kind: SectionKind, dialect: str | None) -> Section | None:
        """The section used on ``dialect``: its variant if present, else the generic one."""
        dialect = canonical_dialect(dialect) if dialect else None
        generic = None
        for s in self.sections:
            if s.kind != kind:
                continue
            if s.dialect is None:
                generic = s
            elif s.dialect == dialect:
                return s
        return generic

    def has(self, kind: SectionKind, dialect: str | None = None) -> bool:
        if self.kind == "py":
            return kind in self.py_functions
        section = self.section(kind, dialect)
        return section is not None and section.holds_code

    def reversible(self, dialect: str | None = None) -> bool:
        return self.has("down", dialect)

    def statements(self, kind: SectionKind, dialect: str | None) -> tuple[Statement, ...]:
        """The statements sent to a ``dialect`` database (split by that dialect's lexical
        rules, whether the section is generic or its variant); None: generic rules."""
        section = self.section(kind, dialect)
        return section.statements_for(dialect) if section else ()

    def checksum(self, dialect: str | None) -> str:
        """SHA-256 of the normalised ``up`` used on ``dialect`` (whole file for ``.py``)."""
        key = None if self.kind == "py" else canonical_dialect(dialect) if dialect else None
        value = self._checksums.get(key)
        if value is None:
            if self.kind == "py":
                value = checksum_of(self.source)
            else:
                section = self.section("up", dialect)
                value = checksum_of(section.text if section else "")
            self._checksums[key] = value
        return value


# MySQL/MariaDB executable comments `/*! … */`, `/*M! … */` are code, not comments
_COMMENTS = re.compile(r"--[^\n]*|/\*(?!M?!).*?(?:\*/|$)|[\s;]+", re.DOTALL)


# Text every dialect's lexer reads alike (no backslash, `#`, `$`, `[`, backtick, `/*`, and `--`
# only before a blank), with every quote closed: one C-speed fullmatch. The loader uses it to
# know, without loading the splitter, that a marker line after such text is a marker.
AGREED_AND_CLOSED = re.compile(
    r"""(?:[^'"\-\\#$\[`/]++|'[^'\\]*+'|"[^"\\]*+"|--(?=[ \t\r\n])[^\n]*+|-(?!-)|/(?!\*))*+"""
)
#: what makes ``AGREED_AND_CLOSED`` look at more than the single quotes: without any of these, a
#: text is plain characters and ``'…'`` strings (a lone ``-`` or ``/`` is fine), closed iff its
#: quotes pair up
_NOT_PLAIN = ('"', "--", "\\", "#", "$", "[", "`", "/*")


def agreed_and_closed(text: str, start: int = 0, end: int | None = None) -> bool:
    """``AGREED_AND_CLOSED.fullmatch(text, start, end)``, answered by counting quotes where the
    text holds none of ``_NOT_PLAIN`` (a generated or simple ``up``): a few C scans of the text
    instead of one regex step per token (a 3 KB ``INSERT … VALUES`` of 100 rows: ~1 µs, not ~25)."""
    if end is None:
        end = len(text)
    find = text.find
    for s in _NOT_PLAIN:  # a pair only when its first character is there (memchr is faster)
        if find(s[0], start, end) >= 0 and (len(s) == 1 or find(s, start, end) >= 0):
            return AGREED_AND_CLOSED.fullmatch(text, start, end) is not None
    return text.count("'", start, end) % 2 == 0


def has_code(text: str) -> bool:
    """Whether a section holds anything but comments, whitespace and semicolons. Cheap; a
    string that merely looks like a comment start can only make this say True, never hide code."""
    first = text.find("\n")
    if first >= 0:  # most sections start with code: the lines before the first "\n" are the
        found = _first_code(text[:first].splitlines(), text)  # text's first lines; one split of
        if found is not None:  # them, not of the whole section (a 3 KB ``up``: ~1.5 µs)
            return found
    return bool(_first_code(text.splitlines(), text))


def _first_code(lines: list[str], text: str) -> bool | None:
    """has_code decided by the first of ``lines`` (of ``text``) that is neither blank nor a
    comment; None when every one of them is."""
    for line in lines:
        stripped = line.strip().strip(";").strip()
        if not stripped or stripped.startswith("--"):
            continue
        if "/*" in stripped:
            return bool(_COMMENTS.sub("", text))
        return True
    return None


def _builder(cls: type[_T]) -> Callable[..., _T]:
    """``cls(**values)`` for a frozen dataclass, without its ``__init__``'s ``object.__setattr__``
    per field: the loader builds a Migration and its Sections per file (10,000 files: ~20 ms of
    `status`). Fields not given take their defaults (factories called per object), as there."""
    if hasattr(cls, "__post_init__"):  # it would be skipped: build such a class with cls(**values)
        raise TypeError(f"{cls.__name__} has __post_init__: _builder cannot stand in for its __init__")
    defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}  # type: ignore[arg-type]
    factories = [(f.name, f.default_factory) for f in fields(cls)  # type: ignore[arg-type]
                 if f.default_factory is not MISSING]
    new = object.__new__

    def build(**values: Any) -> _T:
        obj = new(cls)
        d = obj.__dict__
        d.update(defaults)
        for name, factory in factories:
            d[name] = factory()
        d.update(values)
        return obj

    return build


#: what the loader builds with: equal to ``Section(**values)`` / ``Migration(**values)``
build_section = _builder(Section)
build_migration = _builder(Migration)


def parse_id(stem: str) -> tuple[str, str] | None:
    """``2025.01.26.093000_initial_schema`` -> (version, name), or None when malformed."""
    m = ID_RE.match(stem)
    return (m.group("version"), m.group("name")) if m else None
