"""Strict SQL headers (issue item 12) and the second-edition keys ``origin`` and ``lint``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nexo_studio.core.loader import load_file, load_project
from nexo_studio.errors import MigrationFileError

V1 = "2025.01.26.093000"
V2 = "2025.01.26.094500"
REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_at(path: Path, line: int, *words: str) -> MigrationFileError:
    with pytest.raises(MigrationFileError) as info:
        load_file(path)
    message = str(info.value)
    assert info.value.line == line and f"{path.name}:{line}:" in message, message
    for word in words:
        assert word in message, message
    return info.value


@pytest.mark.parametrize(
    "header,line,words",
    [
        # the examples: a misspelt key after a blank line, a key without its colon
        (f"-- description: b\n\n-- depnds: {V1}_a\n", 3, ["unknown header key 'depnds'", "did you mean 'depends'"]),
        (f"-- description: b\n-- depends {V1}_a\n", 2, ["'depends' without a colon"]),
        (f"-- depends {V1}_a\n", 1, ["'depends' without a colon"]),
        ("-- Description of the change\n", 1, ["'Description' without a colon"]),
        ("-- tags security\n", 1, ["'tags' without a colon"]),
        ('-- lint allow drop_table "x"\n', 1, ["'lint' without a colon"]),
        # a key after prose and a block comment
        (f"-- description: b\n-- just prose\n/* c */\n-- Depend: {V1}_a\n", 4, ["'Depend'", "'depends'"]),
        # a misspelt key without its colon still names a migration
        (f"-- description: b\n\n-- depnds {V1}_a\n", 3, ["misspelt depends"]),
        ("-- description: b\n-- author: me\n", 2, ["unknown header key 'author'"]),
    ],
)
def test_header_typos_are_errors_naming_file_and_line(tmp_path, header, line, words):
    path = write(tmp_path, f"{V2}_b.sql", header + "-- +up\nSELECT 1;\n")
    error_at(path, line, *words)


def test_prose_comments_stay_allowed(tmp_path):
    text = (
        "-- description: b\n\n-- Adds the b table. Note that it: needs a.\n-- see the wiki\n"
        "-- +up\nSELECT 1;\n"
    )
    assert load_file(write(tmp_path, f"{V2}_b.sql", text)).description == "b"


def test_a_typo_no_longer_drops_the_dependency_from_validate(tmp_path):
    """Through the real CLI: `validate` fails (exit 2) naming file and line, where it used to
    pass with 0 errors and plan b before a."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, f"{V2}_a.sql", "-- +up\nCREATE TABLE a (id INT);\n")
    write(folder, f"{V1}_b.sql", f"-- description: b\n\n-- depnds: {V2}_a\n-- +up\nSELECT 1;\n")
    result = subprocess.run(
        [sys.executable, "-m", "nexo_studio.cli.main", "--db", f"sqlite:///{tmp_path / 'x.db'}",
         "--migrations", str(folder), "validate"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{V1}_b.sql:3" in result.stdout + result.stderr


def test_origin_and_lint_headers(tmp_path):
    text = (
        "-- description: b\n"
        "-- origin: flyway V1_2__add_users checksum=12345\n"
        '-- lint: allow drop_column "unused since 2024-05"\n'
        '-- lint:   allow   truncate   "staging table, refilled nightly"  \n'
        "-- +up\nALTER TABLE t DROP COLUMN c;\n"
    )
    m = load_file(write(tmp_path, f"{V2}_b.sql", text))
    assert m.origin == "flyway V1_2__add_users checksum=12345"
    assert m.lint_allow == (
        ("drop_column", "unused since 2024-05"),
        ("truncate", "staging table, refilled nightly"),
    )
    # the same header through the slow path (a blank line and prose) gives the same values
    slow = load_file(write(tmp_path, f"{V1}_c.sql", "\n-- prose\n" + text))
    assert (slow.origin, slow.lint_allow) == (m.origin, m.lint_allow)
    plain = load_file(write(tmp_path, "2025.02.01.000000_d.sql", "-- +up\nSELECT 1;\n"))
    assert (plain.origin, plain.lint_allow) == ("", ())


@pytest.mark.parametrize(
    "lint",
    ['drop_column "x"', "allow drop_column", 'allow drop_column ""', 'allow "x"',
     'allow a b "x"', 'deny drop_column "x"', 'allow drop_column "x" extra'],
)
def test_malformed_lint_header(tmp_path, lint):
    path = write(tmp_path, f"{V2}_b.sql", f"-- description: b\n-- lint: {lint}\n-- +up\nSELECT 1;\n")
    error_at(path, 2, "malformed lint header", 'allow CODE "reason"')


def test_duplicate_origin_and_lint_rule(tmp_path):
    text = "-- origin: a\n-- origin: b\n-- +up\nSELECT 1;\n"
    error_at(write(tmp_path, f"{V2}_b.sql", text), 2, "duplicate header key 'origin'")
    text = '-- lint: allow x "a"\n-- lint: allow x "b"\n-- +up\nSELECT 1;\n'
    error_at(write(tmp_path, f"{V1}_c.sql", text), 2, "duplicate lint header for rule 'x'")


def test_python_migrations_keep_their_own_names(tmp_path):
    # `origin` and `lint` are SQL header keys: module-level names of those in a .py mean nothing
    write(tmp_path, f"{V2}_b.py", "origin = 3\nlint = None\n\ndef up(conn):\n    pass\n")
    result = load_project(tmp_path)
    assert not result.errors and list(result.migrations) == [f"{V2}_b"]
