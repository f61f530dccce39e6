"""The model's fast paths give what the plain ways give: ``has_code`` deciding on the first line
without splitting the section, and the loader's builders against the dataclasses' own
``__init__`` (status of 10,000 migrations leans on both)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.core.loader import load_file
from nexo_studio.core.model import _COMMENTS, Migration, Section, build_migration, build_section, has_code


def _has_code_reference(text: str) -> bool:
    """has_code as it was: every line of the whole text."""
    for line in text.splitlines():
        stripped = line.strip().strip(";").strip()
        if not stripped or stripped.startswith("--"):
            continue
        if "/*" in stripped:
            return bool(_COMMENTS.sub("", text))
        return True
    return False


# pieces that matter to line splitting and to comments: every line break splitlines knows
PIECES = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", " ", "\t", ";", "--", "/*", "*/",
          "/*!1 x */", "x", "SELECT 1", "'", "-"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_has_code_agrees_with_the_whole_text_reading(pieces):
    text = "".join(pieces)
    assert has_code(text) == _has_code_reference(text)


def test_has_code_looks_past_a_first_line_of_comments():
    assert has_code("-- a comment\n\nCREATE TABLE t (a int);\n")
    assert not has_code("-- only\n  \n;\n-- comments\n")
    assert has_code("\x0cSELECT 1;\n")  # a form feed splits lines too
    assert not has_code("/* a */\n-- b\n")


def _same(built, made) -> None:
    assert built == made
    assert type(built) is type(made)
    for f in fields(made):
        assert getattr(built, f.name) == getattr(made, f.name), f.name
    assert built.__dict__ == made.__dict__  # defaults and factories too


def test_builders_equal_the_dataclass_init():
    _same(build_section(kind="up", dialect=None, text="SELECT 1;\n", line=3),
          Section(kind="up", dialect=None, text="SELECT 1;\n", line=3))
    values = dict(id="2025.01.26.093000_a", version="2025.01.26.093000", name="a", path=Path("a.sql"), kind="sql",
                  description="d", depends=("x",), transaction="none", tags=("t",), source="src")
    built, made = build_migration(**values), Migration(**values)
    _same(built, made)
    # factories run per object: caches are not shared between migrations
    assert build_migration(**values)._checksums is not built._checksums
    assert build_section(kind="up", dialect=None, text="", line=1)._split is not \
        build_section(kind="up", dialect=None, text="", line=1)._split


def test_a_loaded_migration_equals_one_made_with_init(tmp_path):
    path = tmp_path / "2025.01.26.093000_a.sql"
    path.write_text("-- description: d\n-- +up\nCREATE TABLE a (x int);\n-- +down\nDROP TABLE a;\n")
    m = load_file(path)
    made = Migration(**{f.name: getattr(m, f.name) for f in fields(m) if f.name != "_checksums"})
    _same(m, made)
    assert m.checksum("sqlite") == made.checksum("sqlite")


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["\n", " ", "x", "\t", " \n", "\n\n", "SELECT 1;"]), max_size=80))
def test_space_before_newline_is_the_plain_search(pieces):
    from nexo_studio.core.model import _space_before_newline

    text = "".join(pieces)
    assert _space_before_newline(text) == (" \n" in text)


def test_section_on_each_dialect_name():
    m = Migration(id="2025.01.26.093000_a", version="2025.01.26.093000", name="a", path=Path("a.sql"), kind="sql",
                  sections=(Section("up", None, "generic;", 2), Section("up", "mysql", "mine;", 4),
                            Section("down", None, "d;", 6)))
    assert m.section("up", "mariadb").text == m.section("up", "mysql").text == "mine;"
    assert m.section("up", "sqlite").text == m.section("up", None).text == m.section("up", "").text == "generic;"
    assert m.section("verify", "mysql") is None and m.section("down", "mariadb").text == "d;"


def test_holds_code_is_has_code_found_once():
    down = Section("down", None, "-- nothing\n;\n", 5)
    assert down.holds_code is False and "holds_code" in down.__dict__  # kept on the section
    assert down == Section("down", None, "-- nothing\n;\n", 5)  # not part of its value
    m = Migration(id="2025.01.26.093000_a", version="2025.01.26.093000", name="a", path=Path("a.sql"), kind="sql",
                  sections=(Section("up", None, "SELECT 1;", 2), down))
    assert m.has("up") and not m.reversible("sqlite") and not m.reversible(None)
