"""The CLI's faster text writers give exactly the text of what they replace: ``json.dumps(doc,
indent=2, default=str)``, ``strftime`` and ``ljust``-padded tables."""

from __future__ import annotations

import enum
import io
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.cli.context import iso, seconds
from nexo_studio.cli.jsontext import dumps
from nexo_studio.cli.render import table


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 7


class Opaque:
    def __str__(self) -> str:
        return 'opaque "thing"\n'


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(),
    st.sampled_from([Colour.RED, Size.BIG, Path("/tmp/a b"), Opaque(), datetime(2026, 1, 2, 3, 4, 5), "é\u2028\x00"]),
)
KEYS = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False), st.just(Colour.RED))
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25)


@settings(max_examples=800, deadline=None)
@given(DOCS)
def test_property_dumps_is_json_dumps_with_indent_two(doc):
    assert dumps(doc) == json.dumps(doc, indent=2, default=str)


def test_dumps_of_a_status_like_document_and_its_errors():
    doc = {"ok": True, "counts": {}, "migrations": [{"id": "a", "depends": [], "reversible": False, "ms": None,
                                                     "at": 1.5, "tags": ("x", "y")}], "findings": [],
           "nan": math.nan, 3: -math.inf}
    assert dumps(doc) == json.dumps(doc, indent=2, default=str)
    with pytest.raises(TypeError):
        json.dumps({(1, 2): 1}, indent=2, default=str)
    with pytest.raises(TypeError):
        dumps({(1, 2): 1})


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)),
       st.sampled_from([None, timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]))
def test_property_iso_and_seconds_are_the_strftime_text(dt, tz):
    if tz is not None:
        dt = dt.replace(tzinfo=tz)
        if dt.astimezone(timezone.utc).year < 1 or dt.year > 9998:
            return
    utc = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    assert iso(dt) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert seconds(dt) == dt.strftime("%Y-%m-%d %H:%M:%S")
    assert iso(None) is None


def _reference_table(rows, headers) -> str:
    widths = [len(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join([*lines, ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from("ab %é\x1b[0m"), max_size=6), min_size=3, max_size=3),
                max_size=8))
def test_property_table_pads_as_ljust(rows):
    out = io.StringIO()  # not a terminal: no colour
    table(rows, ["STATUS", "A", "NAME"], colour_col=0, stream=out)
    assert out.getvalue() == _reference_table(rows, ["STATUS", "A", "NAME"])


def test_table_with_rows_shorter_than_the_headers_pads_what_they_have():
    out = io.StringIO()
    table([["a", "b"], ["ccc"]], ["X", "Y", "Z"], stream=out)
    assert out.getvalue() == "X    Y  Z\na    b\nccc\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=4), max_size=4, unique=True).map(tuple), st.data())
def test_property_records_are_written_as_their_list_of_dicts(keys, data):
    from nexo_studio.cli.jsontext import Records

    rows = data.draw(st.lists(st.tuples(*(DOCS for _ in keys)), max_size=4))
    records = Records(keys, rows)
    assert dumps({"migrations": records}) == json.dumps({"migrations": records.as_list()}, indent=2, default=str)


def test_status_json_is_the_document_of_state_dicts(tmp_path):
    from nexo_studio.cli.json_shapes import state_dict, state_records
    from nexo_studio.core.operations import status
    from nexo_studio.core.project import Project
    from nexo_studio.core.target import Target

    project = Project.load(Path(__file__).resolve().parents[2] / "migrations")
    target = Target(f"sqlite:///{tmp_path / 's.db'}")
    try:
        states = status(project, target).states
    finally:
        target.dispose()
    assert dumps(state_records(states)) == json.dumps([state_dict(s) for s in states], indent=2, default=str)
