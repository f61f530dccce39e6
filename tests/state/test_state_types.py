"""What `status` reads cheaply: the state tables' per-dialect column types (without importing the
other dialects' modules) and ``__Migrations`` rows whose ``metadata`` is decoded on first use."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from sqlalchemy.dialects import mssql, mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

from nexo_studio.core.state.store import MigrationRow
from nexo_studio.core.state.tables import make_tables

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


@pytest.mark.parametrize(("dialect", "timestamp", "long_text"), [
    (sqlite.dialect(), "DATETIME", "TEXT"),
    (postgresql.dialect(), "TIMESTAMP WITHOUT TIME ZONE", "TEXT"),
    (mysql.dialect(), "DATETIME(6)", "LONGTEXT"),
    (mssql.dialect(), "DATETIME2(6)", "TEXT"),
])
def test_each_dialect_gets_its_microsecond_timestamp_and_unbounded_text(dialect, timestamp, long_text):
    ddl = str(CreateTable(make_tables().history).compile(dialect=dialect))
    assert f"started_at {timestamp} NOT NULL" in ddl and f"details {long_text}" in ddl
    ddl = str(CreateTable(make_tables().migrations).compile(dialect=dialect))
    assert f"applied_at {timestamp}" in ddl and f"metadata {long_text}" in ddl


def test_the_state_tables_do_not_import_other_dialects():
    code = ("import sys, sqlalchemy as sa; from nexo_studio.core.state.store import StateStore; "
            "from nexo_studio.core.state.tables import make_tables; make_tables(); "
            "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.dialects.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "mysql" not in out and "mssql" not in out, out


def test_the_tamper_judge_decodes_details_only_where_they_decide_and_words_what_the_history_says():
    from nexo_studio.core.state.tamper import DecidingEvent, _judge

    applied = MigrationRow.stored(**FIELDS, metadata=None)
    repair = DecidingEvent(7, FIELDS["mid"], "repair", "ok", '{"after": "applied", "checksum": "' + "c" * 64 + '"}')
    assert _judge(applied, repair) is None
    assert _judge(None, repair) == (7, "its __Migrations row was deleted (the history, seq 7, says repair ok -> applied)")
    rolled_back = DecidingEvent(8, FIELDS["mid"], "rollback", "ok", "{not json: never read")
    assert _judge(applied, rolled_back) == (8, "__Migrations says applied, the history (seq 8) says rollback ok")
    baseline = DecidingEvent(9, FIELDS["mid"], "baseline", "ok", '{"checksum": "' + "d" * 64 + '"}')
    assert _judge(applied, baseline) == (9, "its checksum in __Migrations was changed (the history, seq 9, "
                                            "recorded dddddddddddd…)")
