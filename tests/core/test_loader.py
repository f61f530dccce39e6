"""Loading migration files (SPEC §1): SQL and Python files, errors with file and line, checksums,
and whole folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.core.loader import (
    MAX_FILE_SIZE,
    LoadResult,
    _parse_header,
    _real_timestamp,
    load_file,
    load_project,
)
from nexo_studio.core.model import Statement, checksum_of, normalise
from nexo_studio.errors import InvalidInput, MigrationFileError

V1 = "2025.01.26.093000"
V2 = "2025.01.26.094500"
V3 = "2025.02.01.120000"

FULL = f"""\
-- description: Users and roles
-- depends: {V1}_initial_schema,{V2}_audit_columns ,  {V1}_initial_schema
-- transaction: none
-- tags: security, users
-- tags: admin

-- A plain comment after the header; note: prose may hold colons after its first word.
/* a block comment; also fine */
-- +up
CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);
INSERT INTO roles (name) VALUES ('admin; root'), ('50%'), (:name);
-- +down
DROP TABLE roles;
-- +verify
SELECT id, name FROM roles WHERE 1 = 0;
--  +up   mssql
CREATE TABLE roles (id INT IDENTITY PRIMARY KEY, name NVARCHAR(50) NOT NULL UNIQUE);
GO
INSERT INTO roles (name) VALUES (N'admin');
--+down postgresql
DROP TABLE roles CASCADE;
-- +up mariadb
CREATE TABLE roles (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);
"""

SIMPLE = "-- description: simple\n-- +up\nCREATE TABLE t (id INT);\n-- +down\nDROP TABLE t;\n"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error_of(path: Path) -> MigrationFileError:
    with pytest.raises(MigrationFileError) as info:
        load_file(path)
    error = info.value
    assert error.path == path
    assert path.name in str(error)
    assert isinstance(error, InvalidInput)
    return error


def assert_error(path: Path, line: int | None, *words: str) -> MigrationFileError:
    error = error_of(path)
    assert error.line == line, str(error)
    if line is not None:
        assert f"{path.name}:{line}:" in str(error)
    for word in words:
        assert word in str(error), str(error)
    return error


# --- good SQL files -----------------------------------------------------------------------------


def test_full_sql_file(tmp_path):
    path = write(tmp_path, f"{V3}_users_and_roles.sql", FULL)
    m = load_file(path)
    assert (m.id, m.version, m.name, m.kind, m.path) == (
        f"{V3}_users_and_roles", V3, "users_and_roles", "sql", path,
    )
    assert m.description == "Users and roles"
    assert m.depends == (f"{V1}_initial_schema", f"{V2}_audit_columns")
    assert m.transaction == "none"
    assert m.tags == ("security", "users", "admin")
    assert [(s.kind, s.dialect, s.line) for s in m.sections] == [
        ("up", None, 10),
        ("down", None, 13),
        ("verify", None, 15),
        ("up", "mssql", 17),
        ("down", "postgresql", 21),
        ("up", "mysql", 23),
    ]
    assert m.statements("up", "sqlite") == (
        Statement("CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE)", 10),
        Statement("INSERT INTO roles (name) VALUES ('admin; root'), ('50%'), (:name)", 11),
    )
    # the mssql variant is split on GO, the generic sections are not
    assert [s.line for s in m.statements("up", "mssql")] == [17, 19]
    assert m.statements("down", "postgresql") == (Statement("DROP TABLE roles CASCADE", 21),)
    assert m.statements("down", "mssql") == (Statement("DROP TABLE roles", 13),)
    # `mariadb` in a marker is `mysql`, and serves both
    assert m.section("up", "mariadb") is m.section("up", "mysql")
    assert m.section("up", "mysql").dialect == "mysql"
    assert m.section("up", None).text.startswith("CREATE TABLE roles (id INTEGER")
    assert m.reversible("sqlite") and m.has("verify", "postgresql")
    assert m.source == FULL


def test_defaults_and_minimal_file(tmp_path):
    m = load_file(write(tmp_path, f"{V1}_x.sql", "-- +up\nSELECT 1"))
    assert (m.description, m.depends, m.transaction, m.tags) == ("", (), "per-migration", ())
    assert [s.kind for s in m.sections] == ["up"]
    assert not m.reversible()


def test_accepts_str_path(tmp_path):
    path = write(tmp_path, f"{V1}_x.sql", SIMPLE)
    assert load_file(str(path)).path == path


def test_bom_is_accepted_and_stripped(tmp_path):
    path = write(tmp_path, f"{V1}_bom.sql", b"\xef\xbb\xbf" + SIMPLE.encode())
    m = load_file(path)
    assert m.description == "simple"
    assert m.source == SIMPLE
    assert m.statements("up", None) == (Statement("CREATE TABLE t (id INT)", 3),)


def test_crlf_file(tmp_path):
    path = write(tmp_path, f"{V1}_crlf.sql", FULL.replace("\n", "\r\n"))
    m = load_file(path)
    lf = load_file(write(tmp_path, f"{V2}_lf.sql", FULL))
    assert m.sections == lf.sections  # same text, lines and statements; no stray \r
    assert m.description == "Users and roles" and m.transaction == "none"


def test_empty_header_values_and_case(tmp_path):
    text = "-- Description:   \n-- depends:\n-- TRANSACTION: Per-Migration\n-- tags: , \n-- +UP\nSELECT 1;"
    m = load_file(write(tmp_path, f"{V1}_x.sql", text))
    assert (m.description, m.depends, m.transaction, m.tags) == ("", (), "per-migration", ())


def test_marker_looking_text_inside_a_line_is_not_a_marker(tmp_path):
    text = "-- +up\nSELECT 1; -- +down is not a marker here\n  -- +down\nSELECT 2;"
    m = load_file(write(tmp_path, f"{V1}_x.sql", text))
    assert [s.sql for s in m.statements("up", None)] == ["SELECT 1"]
    assert [s.sql for s in m.statements("down", None)] == ["SELECT 2"]


def test_empty_down_section_means_irreversible(tmp_path):
    m = load_file(write(tmp_path, f"{V1}_x.sql", "-- +up\nSELECT 1;\n-- +down\n-- nothing to undo\n"))
    assert not m.reversible()


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "initial.sql",
        "2025.01.26_initial.sql",
        "2025.01.26.093000.sql",
        "2025.01.26.093000_Initial.sql",
        "2025.01.26.093000_with-dash.sql",
        "2025.1.26.093000_x.sql",
        "2025.01.26.093000_x.SQL",
        "2025.01.26.093000_x.txt",
    ],
)
def test_malformed_file_names(tmp_path, name):
    assert_error(write(tmp_path, name, SIMPLE), None, "malformed file name")


@pytest.mark.parametrize(
    "version",
    ["2025.13.01.000000", "2025.00.10.000000", "2025.02.30.000000", "2023.02.29.000000",
     "2025.01.01.240000", "2025.01.01.006000", "2025.01.01.000060", "0000.01.01.000000"],
)
def test_versions_that_are_not_real_dates(tmp_path, version):
    assert_error(write(tmp_path, f"{version}_x.sql", SIMPLE), None, "malformed file name", version)


@settings(max_examples=1000, deadline=None)
@given(
    st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
)
def test_property_timestamp_check_agrees_with_datetime(year, month, day, hour, minute, second):
    from datetime import datetime

    version = f"{year:04d}.{month:02d}.{day:02d}.{hour:02d}{minute:02d}{second:02d}"
    try:
        datetime(year, month, day, hour, minute, second)
        real = True
    except ValueError:
        real = False
    assert _real_timestamp(version) is real


def test_leap_day_is_a_real_date(tmp_path):
    assert load_file(write(tmp_path, "2024.02.29.235959_leap.sql", SIMPLE)).version == "2024.02.29.235959"


def test_not_utf8(tmp_path):
    path = write(tmp_path, f"{V1}_latin1.sql", "-- description: caf\xe9\n-- +up\nSELECT 1;".encode("latin-1"))
    assert_error(path, 1, "not UTF-8", "0xe9")
    path = write(tmp_path, f"{V2}_late.sql", b"-- +up\nSELECT 1;\nSELECT '\xff';\n")
    assert_error(path, 3, "not UTF-8")


def test_binary_and_utf16_files(tmp_path):
    assert_error(write(tmp_path, f"{V1}_bin.sql", b"-- +up\nSELECT 1;\n\x00\x01\x02"), 3, "NUL")
    assert_error(write(tmp_path, f"{V2}_utf16.sql", SIMPLE.encode("utf-16")), 1, "NUL")


def test_file_over_16_mb_is_refused_by_size(tmp_path):
    path = tmp_path / f"{V1}_big.sql"
    with open(path, "wb") as file:
        file.truncate(MAX_FILE_SIZE + 1)  # sparse: nothing to read
    assert_error(path, None, "too large", str(MAX_FILE_SIZE + 1))


def test_file_of_exactly_16_mb_passes_the_size_check(tmp_path):
    path = tmp_path / f"{V1}_edge.sql"
    with open(path, "wb") as file:
        file.write(SIMPLE.encode())
        file.truncate(MAX_FILE_SIZE)  # the rest is NUL bytes: the next check fails, not the size
    error = error_of(path)
    assert "NUL" in error.reason


_header_line = st.one_of(
    st.builds(lambda d: f"-- description: {d}", st.text("abc ;:'-", max_size=12)),
    st.builds(
        lambda ids: "-- depends: " + " , ".join(f"{V1}_{i}" for i in ids),
        st.lists(st.sampled_from(["a", "b", "c_1"]), max_size=3),
    ),
    st.builds(lambda t: f"--   transaction :{t}", st.sampled_from(["none", " per-migration "])),
    st.builds(lambda t: f"-- tags: {t}", st.text("ab, ", max_size=8)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_header_line, max_size=4, unique_by=lambda line: line.split(":")[0].split()[1]))
def test_property_header_fast_path_agrees_with_full_parser(lines):
    text = "".join(line + "\n" for line in lines)
    # a blank line and a prose comment send the same header through the full parser
    slow = text + "\n-- prose, not a header line\n"
    assert _parse_header(Path("x.sql"), text) == _parse_header(Path("x.sql"), slow)


def test_unknown_header_key(tmp_path):
    text = "-- description: x\n-- author: me\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 2, "unknown header key 'author'", "depends")


def test_unknown_key_after_the_header_block_is_an_error_too(tmp_path):
    # (until 2026-12 a `-- word:` line after a blank line was prose, so typos went unseen)
    text = "-- description: x\n\n-- Note: this is prose\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 3, "unknown header key 'Note'")
    text = "-- description: x\n\n-- this is prose: fine\n-- +up\nSELECT 1;"
    assert load_file(write(tmp_path, f"{V2}_x.sql", text)).description == "x"


@pytest.mark.parametrize("value", ["always", "per_migration", "", "none please"])
def test_bad_transaction_value(tmp_path, value):
    text = f"-- description: x\n-- transaction: {value}\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 2, "transaction", "per-migration")


def test_duplicate_header_key(tmp_path):
    text = "-- description: a\n-- description: b\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 2, "duplicate header key")


@pytest.mark.parametrize(
    "depends",
    [
        "initial_schema",
        f"{V1}_ok {V2}_other",
        f"{V1}_ok,,{V2}_other",
        f"{V1}_ok;{V2}_other",
        f"{V1}_Upper",
        f"{V1}_ok,",
    ],
)
def test_malformed_depends(tmp_path, depends):
    text = f"-- description: x\n-- tags: a\n-- depends: {depends}\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V3}_x.sql", text), 3, "malformed depends entry")


def test_self_dependency_is_left_to_validation(tmp_path):
    text = f"-- depends: {V1}_x\n-- +up\nSELECT 1;"
    assert load_file(write(tmp_path, f"{V1}_x.sql", text)).depends == (f"{V1}_x",)


@pytest.mark.parametrize("marker", ["-- +upp", "-- +migrate Up", "-- +up postgresql extra", "--+Down:"])
def test_unknown_section_marker(tmp_path, marker):
    text = f"-- +up\nSELECT 1;\n\n{marker}\nSELECT 2;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 4, "unknown section marker")


def test_unknown_dialect(tmp_path):
    text = "-- +up\nSELECT 1;\n-- +up oracle\nSELECT 2 FROM dual;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 3, "unknown dialect 'oracle'")


@pytest.mark.parametrize(
    "text,line",
    [
        ("-- +up\nSELECT 1;\n-- +down\nSELECT 2;\n-- +up\nSELECT 3;", 5),
        ("-- +up\nSELECT 1;\n-- +up postgresql\nSELECT 2;\n--+up   PostgreSQL\nSELECT 3;", 5),
        ("-- +up\nSELECT 1;\n-- +up mysql\nSELECT 2;\n-- +up mariadb\nSELECT 3;", 5),
    ],
)
def test_duplicate_section(tmp_path, text, line):
    assert_error(write(tmp_path, f"{V1}_x.sql", text), line, "duplicate section", "first at line")


def test_missing_up(tmp_path):
    assert_error(write(tmp_path, f"{V1}_a.sql", "-- +down\nDROP TABLE t;"), None, "missing -- +up")
    text = "-- +up postgresql\nSELECT 1;\n-- +up mysql\nSELECT 1;"
    assert_error(write(tmp_path, f"{V2}_b.sql", text), None, "missing -- +up", "sqlite, mssql")


def test_up_variants_for_every_dialect_need_no_generic_up(tmp_path):
    text = "".join(f"-- +up {d}\nSELECT 1;\n" for d in ("sqlite", "postgresql", "mysql", "mssql"))
    m = load_file(write(tmp_path, f"{V1}_x.sql", text))
    assert m.section("up", None) is None and m.has("up", "mssql")


def test_no_marker_at_all(tmp_path):
    assert_error(write(tmp_path, f"{V1}_x.sql", "CREATE TABLE t (id INT);"), None, "no -- +up")


@pytest.mark.parametrize(
    "text,line",
    [
        ("-- description: x\n-- +up\n-- only a comment\n\n-- +down\nSELECT 1;", 2),
        ("-- +up\n/* nothing */ ;\n-- +down\nSELECT 1;", 1),
        ("-- +up\nSELECT 1;\n-- +up sqlite\n\n", 3),
    ],
)
def test_empty_up(tmp_path, text, line):
    assert_error(write(tmp_path, f"{V1}_x.sql", text), line, "empty up")


def test_sql_before_the_first_marker(tmp_path):
    text = "-- description: x\n\n/* note */\nCREATE TABLE t (id INT);\n-- +up\nSELECT 1;"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 4, "SQL before the first section marker")


# --- Python migrations --------------------------------------------------------------------------

PY = f'''\
"""Backfill names."""
import sqlalchemy as sa

description = "Backfill names"
depends = ["{V1}_initial_schema", "{V2}_audit_columns"]
transaction = "none"
tags: tuple = ("data",)

raise RuntimeError("the loader must not import migration modules")


def helper():
    return 1


def up(conn):
    conn.execute(sa.text("UPDATE users SET name = 'x'"))


def down(conn, dry_run=False):
    pass
'''


def test_python_migration_read_without_importing(tmp_path):
    path = write(tmp_path, f"{V3}_backfill.py", PY)
    modules = set(sys.modules)
    m = load_file(path)
    assert set(sys.modules) - modules == set()
    assert (m.id, m.kind, m.path) == (f"{V3}_backfill", "py", path)
    assert m.description == "Backfill names"
    assert m.depends == (f"{V1}_initial_schema", f"{V2}_audit_columns")
    assert m.transaction == "none"
    assert m.tags == ("data",)
    assert m.py_functions == frozenset({"up", "down"})
    assert m.sections == ()
    assert m.reversible() and not m.has("verify")
    assert m.source == PY


def test_python_migration_defaults(tmp_path):
    m = load_file(write(tmp_path, f"{V1}_p.py", "def up(conn):\n    pass\n"))
    assert (m.description, m.depends, m.transaction, m.tags) == ("", (), "per-migration", ())
    assert m.py_functions == frozenset({"up"})


def test_python_syntax_error(tmp_path):
    path = write(tmp_path, f"{V1}_p.py", "description = 'x'\n\ndef up(conn)\n    pass\n")
    assert_error(path, 3, "syntax error")


def test_python_missing_up(tmp_path):
    assert_error(write(tmp_path, f"{V1}_p.py", "def down(conn):\n    pass\n"), None, "no up(conn)")


@pytest.mark.parametrize(
    "body,line,words",
    [
        ("description = 'a' + 'b'\n", 1, ["description", "literal"]),
        ("import os\ndescription = os.environ['X']\n", 2, ["description", "literal"]),
        ("description = 3\n", 1, ["description must be a string"]),
        ("depends = 'x'\n", 1, ["depends must be a list"]),
        (f"depends = ['{V1}_ok', 'bad id']\n", 1, ["malformed depends entry 'bad id'"]),
        ("depends = [x for x in ()]\n", 1, ["literal"]),
        ("transaction = 'maybe'\n", 1, ["transaction", "per-migration"]),
        ("tags = [1, 2]\n", 1, ["tags must be a list of strings"]),
        ("description, depends = 'a', []\n", 1, ["literal"]),
        ("depends = []\ndepends += ['x']\n", 2, ["literal"]),
        ("up = print\n", 1, ["def up(conn)"]),
        ("from helpers import verify\n", 1, ["verify"]),
        ("async def down(conn):\n    pass\n", 1, ["not async"]),
        ("def verify():\n    pass\n", 1, ["one argument"]),
        ("def down(conn, other):\n    pass\n", 1, ["one argument"]),
    ],
)
def test_python_metadata_errors(tmp_path, body, line, words):
    text = body + "\n\ndef up(conn):\n    pass\n"
    assert_error(write(tmp_path, f"{V1}_p.py", text), line, *words)


def test_python_bom_and_crlf(tmp_path):
    path = write(tmp_path, f"{V1}_p.py", b"\xef\xbb\xbf" + PY.replace("\n", "\r\n").encode())
    m = load_file(path)
    assert m.description == "Backfill names" and not m.source.startswith("\ufeff")


# --- checksums ----------------------------------------------------------------------------------


def test_checksum_ignores_line_endings_trailing_whitespace_and_outer_blank_lines(tmp_path):
    base = load_file(write(tmp_path, f"{V1}_a.sql", FULL))
    crlf = load_file(write(tmp_path, f"{V1}_b.sql", FULL.replace("\n", "\r\n")))
    spaces = load_file(write(tmp_path, f"{V1}_c.sql", FULL.replace(";\n", ";   \t\n")))
    blank = load_file(
        write(tmp_path, f"{V1}_d.sql", FULL.replace("-- +up\n", "-- +up\n\n\n").replace("-- +down\n", "\n\n-- +down\n"))
    )
    for dialect in ("sqlite", "postgresql", "mysql", "mssql"):
        assert base.checksum(dialect) == crlf.checksum(dialect) == spaces.checksum(dialect)
        assert base.checksum(dialect) == blank.checksum(dialect)
    expected = checksum_of(
        "CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);\n"
        "INSERT INTO roles (name) VALUES ('admin; root'), ('50%'), (:name);"
    )
    assert base.checksum("sqlite") == expected


def _normalised_by_definition(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["select 1;", "x", " ", "\t", "\x0c", "\x0b", "\x1c", "\n", "\r\n", "é", "\u3000"]),
                max_size=25).map("".join))
def test_normalise_is_its_definition_whatever_else_the_file_holds(text):
    """A fast path must not change the result: a line ending in a form feed is stripped whether or
    not another line has trailing spaces (it once was not), so its checksum cannot drift."""
    assert normalise(text) == _normalised_by_definition(text)


def test_checksum_changes_with_the_up_used_on_that_dialect_only(tmp_path):
    before = load_file(write(tmp_path, f"{V1}_a.sql", FULL))
    changed_variant = FULL.replace("NVARCHAR(50)", "NVARCHAR(80)")
    after = load_file(write(tmp_path, f"{V1}_b.sql", changed_variant))
    assert after.checksum("mssql") != before.checksum("mssql")
    for dialect in ("sqlite", "postgresql", "mysql", "mariadb"):
        assert after.checksum(dialect) == before.checksum(dialect)
    # header, down and verify are not part of the checksum
    other_header = FULL.replace("Users and roles", "Roles").replace("DROP TABLE roles;", "DROP TABLE r;")
    assert load_file(write(tmp_path, f"{V1}_c.sql", other_header)).checksum("sqlite") == before.checksum("sqlite")
    # the generic up changes every dialect without a variant
    generic = load_file(write(tmp_path, f"{V1}_d.sql", FULL.replace("('50%')", "('51%')")))
    assert generic.checksum("sqlite") != before.checksum("sqlite")
    assert generic.checksum("postgresql") != before.checksum("postgresql")
    assert generic.checksum("mssql") == before.checksum("mssql")
    assert generic.checksum("mysql") == before.checksum("mysql")


def test_python_checksum_is_the_whole_normalised_file(tmp_path):
    lf = load_file(write(tmp_path, f"{V1}_a.py", PY))
    crlf = load_file(write(tmp_path, f"{V1}_b.py", PY.replace("\n", "  \r\n") + "\n\n"))
    assert lf.checksum("sqlite") == crlf.checksum("postgresql") == checksum_of(PY)
    edited = load_file(write(tmp_path, f"{V1}_c.py", PY.replace("def helper", "def helper2")))
    assert edited.checksum("sqlite") != lf.checksum("sqlite")


# --- folders ------------------------------------------------------------------------------------


def test_load_project_collects_errors_duplicates_and_ignores_other_files(tmp_path):
    write(tmp_path, f"{V1}_initial_schema.sql", SIMPLE)
    write(tmp_path, f"{V1}_same_version.sql", SIMPLE)  # duplicate version
    write(tmp_path, f"{V2}_audit.sql", SIMPLE)
    write(tmp_path, f"{V2}_audit.py", "def up(conn):\n    pass\n")  # same id, other kind
    write(tmp_path, f"{V3}_bad_header.sql", "-- author: me\n-- +up\nSELECT 1;")
    write(tmp_path, "2025.13.01.000000_bad_month.sql", SIMPLE)
    write(tmp_path, "notes.sql", "SELECT 1;")
    write(tmp_path, "2025.03.01.000000_empty.py", "description = 'no up'\n")
    # ignored: other suffixes, hidden files, editor backups, __init__.py, sub folders
    write(tmp_path, "README.md", "# migrations")
    write(tmp_path, f".{V3}_hidden.sql", "garbage")
    write(tmp_path, f"{V3}_backup.sql~", "garbage")
    write(tmp_path, "__init__.py", "raise SystemExit")
    (tmp_path / "__pycache__").mkdir()
    write(tmp_path / "__pycache__", f"{V3}_cached.py", "garbage")
    (tmp_path / "archive").mkdir()
    write(tmp_path / "archive", f"{V3}_old.sql", SIMPLE)

    result = load_project(tmp_path)
    assert isinstance(result, LoadResult)
    assert list(result.migrations) == [f"{V1}_initial_schema", f"{V2}_audit"]
    assert result.migrations[f"{V2}_audit"].kind == "py"  # `.py` sorts before `.sql`
    assert result.duplicates == [
        (V1, f"{V1}_initial_schema", f"{V1}_same_version"),
        (V2, f"{V2}_audit", f"{V2}_audit"),
    ]
    failed = sorted((e.path.name, e.line) for e in result.errors)
    assert failed == [
        (f"{V3}_bad_header.sql", 1),
        ("2025.03.01.000000_empty.py", None),
        ("2025.13.01.000000_bad_month.sql", None),
        ("notes.sql", None),
    ]


def test_load_project_of_an_empty_folder(tmp_path):
    assert load_project(tmp_path) == LoadResult({}, [], [])


def test_load_project_missing_folder(tmp_path):
    with pytest.raises(MigrationFileError, match="migrations folder not found") as info:
        load_project(tmp_path / "nope")
    assert info.value.path == tmp_path / "nope" and info.value.line is None
    with pytest.raises(MigrationFileError, match="migrations folder not found"):
        load_project(write(tmp_path, "file.txt", "x"))


def test_load_project_reports_unreadable_entries(tmp_path):
    write(tmp_path, f"{V1}_ok.sql", SIMPLE)
    os.symlink(tmp_path / f"{V2}_loop.sql", tmp_path / f"{V2}_loop.sql")  # a symlink loop
    os.symlink(tmp_path / "missing.sql", tmp_path / f"{V3}_dangling.sql")
    (tmp_path / "2025.03.01.000000_folder.sql").mkdir()
    result = load_project(tmp_path)
    assert list(result.migrations) == [f"{V1}_ok"]
    assert sorted(e.path.name for e in result.errors) == [
        f"{V2}_loop.sql", f"{V3}_dangling.sql", "2025.03.01.000000_folder.sql",
    ]
    assert all("cannot read file" in e.reason for e in result.errors)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_load_project_reports_permission_denied(tmp_path):
    path = write(tmp_path, f"{V1}_secret.sql", SIMPLE)
    path.chmod(0)
    try:
        result = load_project(tmp_path)
    finally:
        path.chmod(0o644)
    assert [e.path for e in result.errors] == [path]


def test_load_project_accepts_str(tmp_path):
    write(tmp_path, f"{V1}_ok.sql", SIMPLE)
    assert list(load_project(str(tmp_path)).migrations) == [f"{V1}_ok"]


# --- marker-looking lines inside strings, comments and dollar bodies (issue item 13) ----------

IN_STRING = """\
-- +up
CREATE TABLE docs (body TEXT);
INSERT INTO docs VALUES ('A migration file:
-- +down
DROP TABLE docs;
');
-- +down
DROP TABLE docs;
"""


def test_marker_inside_a_multi_line_string_is_text(tmp_path):
    m = load_file(write(tmp_path, f"{V1}_x.sql", IN_STRING))
    for dialect in ("sqlite", "postgresql", "mysql", "mssql", None):
        up = m.statements("up", dialect)
        assert [s.line for s in up] == [2, 3]
        assert up[1].sql == "INSERT INTO docs VALUES ('A migration file:\n-- +down\nDROP TABLE docs;\n')"
        assert m.statements("down", dialect) == (Statement("DROP TABLE docs", 8),)


@pytest.mark.parametrize(
    "text,down_line",
    [
        ("-- +up\nSELECT 1; /* disabled:\n-- +down\nSELECT 2; */\nSELECT 3;\n-- +down\nSELECT 4;\n", 7),
        ("-- +up\nSELECT \"odd\n-- +down\nname\" FROM t;\n-- +down\nSELECT 4;\n", 6),
        (
            "-- +up postgresql\nCREATE FUNCTION f() RETURNS text AS $body$\n-- +down\nSELECT 1;\n"
            "$body$ LANGUAGE sql;\n-- +up\nSELECT 1;\n-- +down\nSELECT 4;\n", 9,
        ),
        (
            "-- +up postgresql\nSELECT 1 /* a /* b */\n-- +down\n*/;\n-- +up\nSELECT 1;\n-- +down\nSELECT 4;\n",
            8,
        ),
        ("-- +up mysql\nSELECT 'it\\'s\n-- +down\n';\n-- +up\nSELECT 1;\n-- +down\nSELECT 4;\n", 8),
    ],
)
def test_marker_inside_comments_identifiers_and_dollar_bodies_is_text(tmp_path, text, down_line):
    m = load_file(write(tmp_path, f"{V1}_x.sql", text))
    downs = [s for s in m.sections if s.kind == "down"]
    assert len(downs) == 1 and downs[0].line == down_line


def test_marker_inside_a_string_on_some_dialects_only_is_an_error(tmp_path):
    # `'C:\'` is closed on PostgreSQL, SQLite, SQL Server; on MySQL the string runs on
    text = "-- +up\nINSERT INTO t VALUES ('C:\\');\n-- +down\nDELETE FROM t;\n"
    assert_error(write(tmp_path, f"{V1}_x.sql", text), 3, "inside a string on mysql", "sqlite")
    # with a MySQL variant the generic section is not sent to MySQL: no ambiguity
    text += "-- +up mysql\nINSERT INTO t VALUES ('C:\\\\');\n"
    m = load_file(write(tmp_path, f"{V2}_x.sql", text))
    assert m.statements("down", "mysql") == (Statement("DELETE FROM t", 4),)
