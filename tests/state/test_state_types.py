"""What `status` reads cheaply: the state tables' per-dialect column types (without importing the
other dialects' modules) and ``__Migrations`` rows whose ``metadata`` is decoded on first use."""

from __future__ import annotations

import dataclasses
import json

import pytest

from nexo_studio.core.state.store import MigrationRow

FIELDS = dict(mid="2026.01.01.000000_a", version="2026.01.01.000000", name="a", description="d", checksum="c" * 64,
              status="applied", depends=("x",), applied_at=None, applied_by="me", execution_ms=3)


def test_a_stored_row_decodes_its_metadata_when_first_read_and_equals_the_decoded_row():
    text = json.dumps({"kind": "sql", "up_text": "CREATE TABLE t (id INT);\n"})
    row = MigrationRow.stored(**FIELDS, metadata=text)
    assert "metadata" not in vars(row)
    built = MigrationRow(**{("id" if k == "mid" else k): v for k, v in FIELDS.items()}, metadata=json.loads(text))
    assert row == built and built == row and repr(row) == repr(built)
    assert row.metadata is row.metadata and row.metadata["kind"] == "sql"
    other = MigrationRow.stored(**FIELDS, metadata=text)
    other.metadata["kind"] = "changed"  # every row decodes its own dict
    assert row.metadata["kind"] == "sql"
    assert dataclasses.replace(row, status="failed").metadata == row.metadata
    assert dataclasses.asdict(row)["metadata"] == json.loads(text)
    assert MigrationRow.stored(**FIELDS, metadata=None).metadata == {}
    assert MigrationRow.stored(**FIELDS, metadata="").metadata == {}
    with pytest.raises(AttributeError, match="no attribute 'metdata'"):
        row.metdata  # noqa: B018 - a typo is still an AttributeError
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.status = "x"  # type: ignore[misc]


def test_a_stored_row_with_bad_metadata_fails_when_the_metadata_is_read_only():
    row = MigrationRow.stored(**FIELDS, metadata="{not json")
    assert row.status == "applied"
    with pytest.raises(json.JSONDecodeError):
        row.metadata  # noqa: B018
