"""Migration files -> :class:`~nexo_studio.core.model.Migration` objects (SPEC §1).

``load_file`` reads one ``.sql`` or ``.py`` file and raises :class:`MigrationFileError` (path,
line, reason) on the first problem; ``load_project`` loads a folder, collecting one error per
bad file and reporting (not rejecting) files that share a version -- the validator turns those
into findings.

SQL files: a header of ``-- key: value`` lines (see :mod:`nexo_studio.core.header`: every
``-- word:`` line before the first marker is a header line, an unknown key an error), then
sections opened by marker lines ``-- +up``/``-- +down``/``-- +verify``, each optionally
followed by a dialect (a marker-looking line inside a string, quoted identifier, block comment
or dollar body of the section before it is text: ``_real_markers``). Before the first marker
only the header, blank lines and comments may appear. ``up`` must exist for every dialect (a generic ``-- +up`` or one variant per dialect)
and no ``up`` may be empty.

Python files: metadata is read with :mod:`ast`; the module is never imported here.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nexo_studio.core.model import (
    DIALECTS,
    ID_RE,
    NAME_PATTERN,
    SECTION_KINDS,
    VERSION_PATTERN,
    Migration,
    Section,
    SectionKind,
    agreed_and_closed,
    build_migration,
    build_section,
    canonical_dialect,
    has_code,
    is_section_kind,
)
from nexo_studio.core.header import HEADER_KEYS, TRANSACTION_MODES
from nexo_studio.core.header import parse_header as _parse_header
from nexo_studio.errors import MigrationFileError

__all__ = [
    "HEADER_KEYS",
    "MAX_FILE_SIZE",
    "TRANSACTION_MODES",
    "LoadResult",
    "load_file",
    "load_project",
]

MAX_FILE_SIZE = 16 * 1024 * 1024
#: module-level names read from a Python migration (SQL headers: ``header.HEADER_KEYS``)
PY_KEYS = ("description", "depends", "transaction", "tags")
PY_FUNCTIONS = ("up", "down", "verify")

_BOM = b"\xef\xbb\xbf"
_FILE_NAME = re.compile(rf"({VERSION_PATTERN})_({NAME_PATTERN})\.(sql|py)\Z", re.ASCII)
_MONTH_DAYS = frozenset(
    f"{month:02d}.{day:02d}"
    for month, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1)
    for day in range(1, days + 1)
)
_FILE_NAME_HINT = "expected <YYYY.MM.DD.HHMMSS>_<name>.sql or .py, name in [a-z0-9_]"
# a line that looks like a section marker: `-- +word ...` (`--+up`, extra spaces tolerated);
# searched in "\n" + text, so that a literal "\n" starts the regex (fast) and marks the line start
_MARKER = re.compile(r"\n[ \t]*--[ \t]*\+(?=[A-Za-z])([^\n]*)")
_MARKER_BODY = re.compile(r"([A-Za-z]\w*)(?:[ \t]+(\S+))?")
_PLAIN_MARKERS: dict[str, tuple[SectionKind, str | None]] = {kind: (kind, None) for kind in SECTION_KINDS}


@dataclass(frozen=True)
class LoadResult:
    """Everything ``load_project`` found.

    ``duplicates`` are ``(version, id_kept, id_other)`` for files sharing a version; the first
    file by name is kept in ``migrations``."""

    migrations: dict[str, Migration]
    errors: list[MigrationFileError]
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)


# --- files and folders --------------------------------------------------------------------------


def load_project(directory: Path) -> LoadResult:
    """Load every ``*.sql``/``*.py`` directly in ``directory`` (not recursive), in name order.

    Raises ``MigrationFileError(directory, None, "migrations folder not found")`` when the
    folder does not exist; problems with single files are collected in ``errors``."""
    directory = Path(directory)
    try:
        # iterdir builds child paths cheaply (no re-parsing); directories named like a
        # migration are kept and reported as unreadable files
        named = [(path.name, path) for path in directory.iterdir()]
        files = sorted(
            (name, path)
            for name, path in named
            if (name.endswith(".sql") or name.endswith(".py"))
            and not name.startswith(".")
            and name != "__init__.py"
        )
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise MigrationFileError(directory, None, "migrations folder not found") from exc
    except OSError as exc:
        raise MigrationFileError(
            directory, None, f"cannot read migrations folder: {exc.strerror or exc}"
        ) from exc

    migrations: dict[str, Migration] = {}
    errors: list[MigrationFileError] = []
    duplicates: list[tuple[str, str, str]] = []
    by_version: dict[str, str] = {}
    # each file opened by its name joined as text (what str(path) would give, without pathlib
    # formatting 10,000 paths); the Path is what migrations and errors keep
    base = os.path.join(directory, "")  # ends in one separator
    for file_name, path in files:
        try:
            migration = _load(path, file_name, base + file_name)
        except MigrationFileError as exc:
            errors.append(exc)
            continue
        kept = by_version.get(migration.version)
        if kept is not None:
            duplicates.append((migration.version, kept, migration.id))
            continue
        by_version[migration.version] = migration.id
        migrations[migration.id] = migration
    return LoadResult(migrations, errors, duplicates)


def load_file(path: Path) -> Migration:
    """Read one migration file; raise ``MigrationFileError`` on the first problem."""
    if not isinstance(path, Path):
        path = Path(path)
    return _load(path, path.name, os.fspath(path))


def _load(path: Path, file_name: str, where: str) -> Migration:
    """``where``: the file's path as text, to open it."""
    kind, version, name = _parse_file_name(path, file_name)
    text = _decode(path, _read(path, where))
    if kind == "sql":
        return _parse_sql(path, version, name, text)
    return _parse_py(path, version, name, text)


def _parse_file_name(path: Path, file_name: str) -> tuple[str, str, str]:
    """(kind, version, name) from ``<version>_<name>.sql|.py``; the version must be a real
    date and time."""
    match = _FILE_NAME.match(file_name)
    if match is None:
        raise MigrationFileError(path, None, f"malformed file name: {_FILE_NAME_HINT}")
    version, name, kind = match.groups()
    if not _real_timestamp(version):
        raise MigrationFileError(
            path, None, f"malformed file name: version {version} is not a real date and time"
        )
    return kind, version, name


def _real_timestamp(version: str) -> bool:
    """``YYYY.MM.DD.HHMMSS`` (ASCII digits) names a real date and time: string comparisons
    and a set lookup, as this runs for every file."""
    month_day = version[5:10]
    if month_day not in _MONTH_DAYS or version[:4] == "0000":
        return False
    if month_day == "02.29":
        year = int(version[:4])
        if year % 4 or (year % 100 == 0 and year % 400):
            return False
    return version[11:13] < "24" and version[13:15] < "60" and version[15:17] < "60"


def _read(path: Path, where: str) -> bytes:
    """The file's bytes (opened as ``where``; ``path`` names it in errors); its size is
    checked (fstat) before reading."""
    try:
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            size = os.fstat(fd).st_size
            if size > MAX_FILE_SIZE:
                raise MigrationFileError(
                    path, None, f"file too large: {size} bytes (the limit is 16 MB)"
                )
            data = os.read(fd, size + 1)
            if len(data) != size:  # a short read, or the file changed after the stat
                chunks = [data]
                total = len(data)
                while total <= MAX_FILE_SIZE:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
                data = b"".join(chunks)
        finally:
            os.close(fd)
    except OSError as exc:
        raise MigrationFileError(path, None, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_SIZE:
        raise MigrationFileError(path, None, "file too large (the limit is 16 MB)")
    return data


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    nul = data.find(b"\0")
    if nul >= 0:
        raise MigrationFileError(
            path, data.count(b"\n", 0, nul) + 1,
            "not a UTF-8 text file: contains NUL bytes (binary, or UTF-16?)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationFileError(
            path, data.count(b"\n", 0, exc.start) + 1,
            f"not UTF-8: invalid byte 0x{data[exc.start]:02x}",
        ) from exc


# --- SQL migrations ------------------------------------------------------------------------------


def _parse_sql(path: Path, version: str, name: str, source: str) -> Migration:
    text = source.replace("\r\n", "\n") if "\r" in source else source
    # (start of the marker line, end of the marker line, marker text after the `+`)
    markers = [(m.start(), m.end() - 1, m.group(1)) for m in _MARKER.finditer("\n" + text)]
    if not markers:
        raise MigrationFileError(path, None, "no -- +up section")
    if len(markers) > 1:
        markers = _real_markers(path, text, markers)

    header = _parse_header(path, text[: markers[0][0]])

    sections: list[Section] = []
    first_seen: dict[tuple[str, str | None], int] = {}
    line, counted = 1, 0
    for index, (marker_start, marker_end, marker) in enumerate(markers):
        line += text.count("\n", counted, marker_start)
        counted = marker_start
        kind, dialect = _parse_marker(path, line, marker.rstrip())
        if (kind, dialect) in first_seen:
            raise MigrationFileError(
                path, line,
                f"duplicate section -- +{kind}{' ' + dialect if dialect else ''}"
                f" (first at line {first_seen[kind, dialect]})",
            )
        first_seen[kind, dialect] = line
        body_start = marker_end + 1  # past the marker line's newline
        body_end = markers[index + 1][0] if index + 1 < len(markers) else len(text)
        body = text[body_start:body_end] if body_start < body_end else ""
        if kind == "up" and not has_code(body):
            raise MigrationFileError(
                path, line, f"empty up section -- +up{' ' + dialect if dialect else ''}"
            )
        sections.append(
            build_section(kind=kind, dialect=dialect, text=body, line=line + 1)
        )

    if ("up", None) not in first_seen:
        lacking = [d for d in DIALECTS if ("up", d) not in first_seen]
        if lacking:
            raise MigrationFileError(
                path, None,
                "missing -- +up section"
                + (
                    f" (no generic -- +up, and none for {', '.join(lacking)})"
                    if len(lacking) < len(DIALECTS)
                    else ""
                ),
            )

    return build_migration(
        id=f"{version}_{name}",
        version=version,
        name=name,
        path=path,
        kind="sql",
        description=header.get("description", ""),
        depends=header.get("depends", ()),
        transaction=header.get("transaction", "per-migration"),
        tags=header.get("tags", ()),
        origin=header.get("origin", ""),
        lint_allow=header.get("lint", ()),
        sections=tuple(sections),
        py_functions=frozenset(),
        source=source,
    )


def _real_markers(path: Path, text: str, markers: list) -> list:
    """The marker lines that are markers: not inside a string, quoted identifier, block comment
    or dollar-quoted body of the section before them, by the lexical rules of the dialects
    that section is sent to (a generic one: every dialect without its own variant). Where
    those dialects disagree, the file is ambiguous: an error naming the line."""
    if len(markers) == 2:  # the common case: up and down, every dialect reading up alike
        if agreed_and_closed(text, markers[0][1] + 1, markers[1][0]):
            return markers
    elif all(agreed_and_closed(text, markers[i][1] + 1, markers[i + 1][0])
             for i in range(len(markers) - 1)):
        return markers

    from nexo_studio.core.lexer import open_constructs  # rare: not loaded while every section is plain text

    loose = [_loose_marker(marker) for _, _, marker in markers]
    variants = set(loose)
    kept = [0]
    for index in range(1, len(markers)):
        current = kept[-1]
        kind, dialect = loose[current]
        dialects: list[str | None] = (
            [dialect] if dialect else [d for d in DIALECTS if (kind, d) not in variants] or [None]
        )
        found = open_constructs(text[markers[current][1] + 1: markers[index][0]], dialects)
        inside = [str(d) for d in dialects if found[d]]
        if not inside:
            kept.append(index)
        elif len(inside) < len(dialects):
            outside = [str(d) for d in dialects if not found[d]]
            construct = next(c for c in found.values() if c)
            raise MigrationFileError(
                path, text.count("\n", 0, markers[index][0]) + 1,
                f"'-- +{markers[index][2].strip()}' is inside a {construct} on"
                f" {', '.join(inside)} but a section marker on {', '.join(outside)}: close the"
                f" {construct} unambiguously, or give {', '.join(inside)} a section of its own",
            )
    return [markers[index] for index in kept]


def _loose_marker(marker: str) -> tuple[str, str | None]:
    """(kind, dialect) of a marker line, or ("", None): `_parse_marker` reports it later."""
    match = _MARKER_BODY.fullmatch(marker.rstrip())
    if match is None:
        return "", None
    dialect = match.group(2)
    return match.group(1).lower(), canonical_dialect(dialect.lower()) if dialect else None


def _parse_marker(path: Path, line: int, body: str) -> tuple[SectionKind, str | None]:
    simple = _PLAIN_MARKERS.get(body)
    if simple is not None:
        return simple
    match = _MARKER_BODY.fullmatch(body)
    kind = match.group(1).lower() if match else ""
    if match is None or not is_section_kind(kind):
        raise MigrationFileError(
            path, line,
            f"unknown section marker '-- +{body}' (expected -- +up, -- +down or -- +verify,"
            " optionally followed by a dialect)",
        )
    if match.group(2) is None:
        return kind, None
    dialect = canonical_dialect(match.group(2).lower())
    if dialect not in DIALECTS:
        raise MigrationFileError(
            path, line,
            f"unknown dialect '{match.group(2)}' in -- +{kind} (known: {', '.join(DIALECTS)})",
        )
    return kind, dialect


# --- Python migrations ---------------------------------------------------------------------------


def _parse_py(path: Path, version: str, name: str, source: str) -> Migration:
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise MigrationFileError(path, exc.lineno, f"syntax error: {exc.msg}") from exc

    values: dict = {}
    functions: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in PY_FUNCTIONS:
            _check_signature(path, node)
            functions.add(node.name)
        elif isinstance(node, ast.AsyncFunctionDef) and node.name in PY_FUNCTIONS:
            raise MigrationFileError(
                path, node.lineno, f"{node.name} must be a plain function, not async"
            )
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for bound in _bound_names(target):
                    if bound in PY_FUNCTIONS:
                        raise MigrationFileError(
                            path, node.lineno, f"{bound} must be defined with `def {bound}(conn):`"
                        )
                    if bound in PY_KEYS:
                        if not isinstance(target, ast.Name) or isinstance(node, ast.AugAssign):
                            raise MigrationFileError(
                                path, node.lineno, f"{bound} must be assigned a literal value"
                            )
                        if node.value is not None:
                            values[bound] = _py_value(path, bound, node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in PY_FUNCTIONS or bound in PY_KEYS:
                    raise MigrationFileError(
                        path, node.lineno, f"{bound} must be defined in the migration itself"
                    )
    if "up" not in functions:
        raise MigrationFileError(path, None, "no up(conn) function")
    return Migration(
        id=f"{version}_{name}",
        version=version,
        name=name,
        path=path,
        kind="py",
        description=values.get("description", ""),
        depends=values.get("depends", ()),
        transaction=values.get("transaction", "per-migration"),
        tags=values.get("tags", ()),
        py_functions=frozenset(functions),
        source=source,
    )


def _bound_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _py_value(path: Path, key: str, node: ast.expr) -> object:
    line = node.lineno
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise MigrationFileError(
            path, line, f"{key} must be a literal value (it is read without importing the file)"
        ) from None
    if key == "description":
        if not isinstance(value, str):
            raise MigrationFileError(path, line, "description must be a string")
        return value.strip()
    if key == "transaction":
        if value not in TRANSACTION_MODES:
            raise MigrationFileError(
                path, line,
                f"bad transaction value {value!r} (allowed: {', '.join(TRANSACTION_MODES)})",
            )
        return value
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise MigrationFileError(path, line, f"{key} must be a list of strings")
    if key == "depends":
        for entry in value:
            if not ID_RE.match(entry.strip()):
                raise MigrationFileError(
                    path, line,
                    f"malformed depends entry '{entry}' (expected a migration id such as"
                    " 2025.01.26.093000_initial_schema)",
                )
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def _check_signature(path: Path, node: ast.FunctionDef) -> None:
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    if (positional < 1 and args.vararg is None) or required > 1:
        raise MigrationFileError(
            path, node.lineno,
            f"{node.name} must take one argument, the connection: def {node.name}(conn)",
        )
