"""The header of a SQL migration: the ``-- key: value`` lines before the first section marker.

Keys: ``description``, ``depends`` and ``tags`` (those two repeatable, their lists add up),
``transaction``, ``origin`` (free text, written by ``nexo import``) and ``lint`` (repeatable,
one rule per line: ``-- lint: allow CODE "reason"``).

Strict, because a typo here silently drops a dependency: anywhere in the header region (after
blank lines and prose too), a comment line that looks like a key -- ``-- word:`` -- must be a
known key, and a comment line that starts with a known key but lacks the colon (``-- depends
2025…``), or that names a migration id outside a ``depends`` line, is an error naming the file
and line. Other comments are prose and may say anything that does not start ``word:``.
"""

from __future__ import annotations

import re
from pathlib import Path

from nexo_studio.core.model import ID_RE, NAME_PATTERN, VERSION_PATTERN
from nexo_studio.errors import MigrationFileError

HEADER_KEYS = ("description", "depends", "transaction", "tags", "origin", "lint")
TRANSACTION_MODES = ("per-migration", "none")
_REPEATABLE = ("depends", "tags", "lint")

_KEYS = "|".join(HEADER_KEYS)
# a header of nothing but `-- key: value` lines with known keys, and blank lines
_PLAIN_HEADER = re.compile(rf"(?:[ \t]*--[ \t]*(?:{_KEYS})[ \t]*:[^\n]*\n|[ \t]*\n)*+\Z")
_PLAIN_HEADER_ITEM = re.compile(rf"^[ \t]*--[ \t]*({_KEYS})[ \t]*:([^\n]*)", re.M)
_ID_PATTERN = rf"{VERSION_PATTERN}_{NAME_PATTERN}"
_ID_IN_TEXT = re.compile(_ID_PATTERN)
_VERSION_IN_TEXT = re.compile(VERSION_PATTERN)
# a whole well-formed `depends` value: ids separated by commas, or nothing
_DEPENDS_VALUE = re.compile(rf"[ \t]*(?:{_ID_PATTERN}[ \t]*(?:,[ \t]*{_ID_PATTERN}[ \t]*)*)?\r?")
_HEADER = re.compile(r"--[ \t]*([A-Za-z][\w-]*)[ \t]*:(.*)")
_FIRST_WORD = re.compile(r"--[ \t]*([A-Za-z][\w-]*)")
_SQL_TEXT = re.compile(r"^[ \t]*+(?!--|\r?$)", re.M)  # a line that is neither blank nor `--`
_LINT_VALUE = re.compile(r'allow[ \t]+([A-Za-z][\w-]*)[ \t]+"([^"]*[^"\s][^"]*)"[ \t]*\r?')
_LINT_FORM = '-- lint: allow CODE "reason"'


def parse_header(path: Path, text: str) -> dict:
    """Header values from the text before the first marker (file line 1 onwards); anything
    there that is not a header line, a prose comment or blank is an error naming the line."""
    # the common case: every line a well-formed `-- key: value` with a known key (one line
    # per item when there are as many items as lines), or those and blank lines
    items = _PLAIN_HEADER_ITEM.findall(text)
    if len(items) == text.count("\n") or _PLAIN_HEADER.match(text):
        plain = _plain_header_values(items)
        if plain is not None:
            return plain
    if _SQL_TEXT.search(text):  # something other than `--` lines: block comments, or SQL
        from nexo_studio.core.splitter import split_sql  # rare: not loaded for plain headers

        stray = split_sql(text, None)
        if stray:
            raise MigrationFileError(
                path, stray[0].line, "SQL before the first section marker (-- +up)"
            )
    values: dict = {}
    lists: dict[str, list] = {key: [] for key in _REPEATABLE}
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if not stripped.startswith("--"):
            continue
        match = _HEADER.match(stripped)
        if match is None:
            _check_prose(path, number, stripped)
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key not in HEADER_KEYS:
            raise MigrationFileError(path, number, _unknown_key(match.group(1)))
        if key in _REPEATABLE:
            lists[key].extend(_list_value(path, number, key, value, lists[key]))
        elif key in values:
            raise MigrationFileError(path, number, f"duplicate header key '{key}'")
        elif key == "transaction":
            mode = value.lower()
            if mode not in TRANSACTION_MODES:
                raise MigrationFileError(
                    path, number,
                    f"bad transaction value '{value}' (allowed: {', '.join(TRANSACTION_MODES)})",
                )
            values[key] = mode
        else:
            values[key] = value
    for key, found in lists.items():
        if found:
            values[key] = tuple(dict.fromkeys(found))
    return values


def _list_value(path: Path, line: int, key: str, value: str, seen: list) -> list:
    if key == "depends":
        return _parse_depends(path, line, value)
    if key == "tags":
        return [t.strip() for t in value.split(",") if t.strip()]
    rule = _parse_lint(value)
    if rule is None:
        raise MigrationFileError(
            path, line, f"malformed lint header '{value}' (expected {_LINT_FORM}, one rule a line)"
        )
    if any(code == rule[0] for code, _ in seen):
        raise MigrationFileError(path, line, f"duplicate lint header for rule '{rule[0]}'")
    return [rule]


def _parse_lint(value: str) -> tuple[str, str] | None:
    match = _LINT_VALUE.fullmatch(value.strip())
    return (match.group(1), match.group(2).strip()) if match else None


def _check_prose(path: Path, line: int, comment: str) -> None:
    """A comment that is not ``-- word:`` may still be a header line with a typo."""
    first = _FIRST_WORD.match(comment)
    word = first.group(1) if first else ""
    if word.lower() in HEADER_KEYS:
        raise MigrationFileError(
            path, line,
            f"header key '{word}' without a colon (write '-- {word.lower()}: …'; a comment"
            " before the first section marker must not start with a header key)",
        )
    if _VERSION_IN_TEXT.search(comment):
        raise MigrationFileError(
            path, line,
            "a comment naming a migration version in the header: a misspelt depends line?"
            " (write '-- depends: <id>, …', or move the comment below the first section marker)",
        )


def _unknown_key(key: str) -> str:
    import difflib  # only for the error: loading a project need not import it

    close = difflib.get_close_matches(key.lower(), HEADER_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (
        f"unknown header key '{key}' ({hint}allowed: {', '.join(HEADER_KEYS)}; a prose comment"
        " before the first section marker must not start with 'word:')"
    )


def _plain_header_values(items: list[tuple[str, str]]) -> dict | None:
    """Values of header items, or None when one needs the slow path (which finds its line)."""
    values: dict = {}
    for key, value in items:
        if key == "depends":
            if _DEPENDS_VALUE.fullmatch(value) is None:
                return None
            values["depends"] = values.get("depends", []) + _ID_IN_TEXT.findall(value)
        elif key == "tags":
            values["tags"] = values.get("tags", []) + [
                t for t in (t.strip() for t in value.split(",")) if t
            ]
        elif key == "lint":
            rule = _parse_lint(value)
            if rule is None or any(code == rule[0] for code, _ in values.get("lint", ())):
                return None
            values["lint"] = values.get("lint", []) + [rule]
        elif key in values:
            return None
        else:
            value = value.strip()
            if key == "transaction" and value not in TRANSACTION_MODES:
                return None
            values[key] = value
    for key in _REPEATABLE:
        if key in values:
            if values[key]:
                values[key] = tuple(dict.fromkeys(values[key]))
            else:
                del values[key]
    return values


def _parse_depends(path: Path, line: int | None, value: str) -> list[str]:
    if not value.strip():
        return []
    entries = [entry.strip() for entry in value.split(",")]
    for entry in entries:
        if not ID_RE.match(entry):
            raise MigrationFileError(
                path, line,
                f"malformed depends entry '{entry}' (expected migration ids such as"
                " 2025.01.26.093000_initial_schema, separated by commas)",
            )
    return entries
