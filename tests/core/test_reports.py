"""Audit reports without a database server: the model, the writers and verify_report.

Reports here are built in memory (``Report.in_memory``) over a synthetic, correctly chained
history, so every writer and the verifier are tested on exact, known data.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nexo_studio.core.reports import HISTORY_COLUMNS, ReportFilters, verify_report
from nexo_studio.core.reports.charts import deployment_buckets, deployments_chart, durations_chart
from nexo_studio.core.reports.csv_report import write_csv
from nexo_studio.core.reports.html_report import FOOTER_MARKER, write_html
from nexo_studio.core.reports.json_report import SCHEMA, body_digest, write_json
from nexo_studio.core.reports.model import (
    ApplyDuration,
    Deployment,
    Header,
    Report,
    StateRow,
    Summary,
)
from nexo_studio.core.state.chain import GENESIS, ChainVerdict, row_hash, verify_chain
from nexo_studio.core.state.store import HistoryRow
from nexo_studio.errors import InvalidInput

T0 = datetime(2025, 3, 1, 9, 0, 0, 123456)
HOSTILE = '<script>alert("x")</script> & "quotes"'


def chained(specs: list[dict]) -> list[HistoryRow]:
    """History rows with a real hash chain. Each spec gives action/status and optional fields."""
    rows, prev = [], GENESIS
    for i, spec in enumerate(specs, 1):
        started = T0 + timedelta(minutes=i)
        row = {
            "seq": i, "deployment_id": spec.get("deployment_id"), "migration_id": spec.get("migration_id"),
            "action": spec["action"], "status": spec.get("status", "ok"), "started_at": started,
            "finished_at": started + timedelta(milliseconds=spec.get("ms", 5)), "duration_ms": spec.get("ms", 5),
            "operator": "alice", "host": "db-admin-1", "tool_version": "0.1.0",
            "details": spec.get("details"), "error": spec.get("error"), "prev_hash": prev,
        }
        row["hash"] = row_hash(row)
        prev = row["hash"]
        rows.append(HistoryRow(**row))
    return rows


DEP = "11111111-2222-3333-4444-555555555555"
SPECS = [
    {"action": "deploy_start", "deployment_id": DEP, "details": '{"plan":["2025.01.01.000000_a"]}'},
    {"action": "backup", "deployment_id": DEP, "details": '{"path":"/b/x.bak","sha256":"ab"}'},
    {"action": "apply", "deployment_id": DEP, "migration_id": "2025.01.01.000000_a", "ms": 40,
     "details": '{"statements":2}'},
    {"action": "apply", "deployment_id": DEP, "migration_id": "2025.01.02.000000_b", "status": "failed",
     "error": "syntax error near " + HOSTILE, "details": '{"statement":"CREATE TABLE b (","line":3}'},
    {"action": "rollback", "deployment_id": DEP, "migration_id": "2025.01.01.000000_a"},
    {"action": "deploy_end", "deployment_id": DEP, "status": "rolled_back", "ms": 120,
     "details": '{"applied":["2025.01.01.000000_a"],"rolled_back":["2025.01.01.000000_a"],'
                '"failed":"2025.01.02.000000_b","outcome":"rolled_back"}',
     "error": "apply of 2025.01.02.000000_b failed"},
    {"action": "repair", "migration_id": "2025.01.02.000000_b", "details": '{"repair":"mark-rolled-back"}'},
]


def make_report(rows: list[HistoryRow] | None = None, filters: ReportFilters | None = None,
                verdict: ChainVerdict | None = None) -> Report:
    rows = chained(SPECS) if rows is None else rows
    filters = filters or ReportFilters()
    by_action: dict[str, dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for r in rows:
        by_action.setdefault(r.action, {}).setdefault(r.status, 0)
        by_action[r.action][r.status] += 1
        by_status[r.status] = by_status.get(r.status, 0) + 1
    header = Header(
        database="postgresql+psycopg://admin:***@db.example:5432/app", dialect="postgresql",
        server_version="PostgreSQL 15.2", schema_version="2025.01.01.000000", project="/srv/migrations",
        generated_at=datetime(2025, 3, 2, 12, 0, tzinfo=timezone.utc), generated_by="auditor@laptop",
        tool_version="0.1.0", filters=filters, history_rows=len(SPECS), head_seq=len(SPECS),
        head_hash=chained(SPECS)[-1].hash,
    )
    summary = Summary(len(rows), by_action, by_status,
                      {"applied": ("2025.01.01.000000_a",), "pending": ("2025.01.02.000000_b",)},
                      (ApplyDuration("2025.01.01.000000_a", 1, 40, 40, 40),))
    state = (StateRow("2025.01.01.000000_a", "2025.01.01.000000", "a", "applied", "applied", HOSTILE,
                      T0, "alice", 40, "f" * 64, "ok", (), True),)
    deployment = Deployment(DEP, T0, T0 + timedelta(seconds=1), 1000, "rolled_back", "rolled_back",
                            ("2025.01.01.000000_a",), ("2025.01.01.000000_a",), ("2025.01.01.000000_a",),
                            "2025.01.02.000000_b", None, "apply failed", "alice", "db-admin-1", 1, 6)
    return Report.in_memory(header, summary, state, verdict or verify_chain(r.__dict__ for r in chained(SPECS)),
                            rows, [deployment])


# -- filters ------------------------------------------------------------------------------------


def test_filters_parse_dates_as_utc_days_and_times():
    f = ReportFilters.parse(since="2025-01-31", until="2025-02-01")
    assert f.since == datetime(2025, 1, 31, tzinfo=timezone.utc)
    assert f.until == datetime(2025, 2, 1, 23, 59, 59, 999999, tzinfo=timezone.utc)  # the whole day
    g = ReportFilters.parse(since="2025-01-31T14:00:00+02:00", until="2025-01-31T13:00:00Z")
    assert g.since == datetime(2025, 1, 31, 12, tzinfo=timezone.utc)
    assert g.as_dict()["until"] == "2025-01-31T13:00:00.000000Z"
    assert ReportFilters.parse().is_empty and not g.is_empty


@pytest.mark.parametrize("kwargs, needle", [
    ({"since": "31/01/2025"}, "31/01/2025"),
    ({"until": "2025-13-01"}, "2025-13-01"),
    ({"since": "2025-02-02", "until": "2025-02-01"}, "after"),
    ({"action": "deploy"}, "deploy"),
    ({"status": "okay"}, "okay"),
])
def test_bad_filters_are_invalid_input_naming_the_value(kwargs, needle):
    with pytest.raises(InvalidInput) as exc:
        ReportFilters.parse(**kwargs)
    assert needle in str(exc.value)


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_has_every_history_column_in_order_and_a_sha256_sidecar(tmp_path):
    out = tmp_path / "r.csv"
    digest = write_csv(make_report(), out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets detect UTF-8
    assert hashlib.sha256(raw).hexdigest() == digest
    assert (tmp_path / "r.csv.sha256").read_text() == f"{digest}  r.csv\n"
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    # every history column in order, then the audit verdict and the schema drift verdict
    assert tuple(rows[0]) == (*HISTORY_COLUMNS, "audit", "schema_drift")
    assert len(rows) == 1 + len(SPECS)
    assert {line[-2] for line in rows[1:]} == {"ok"}
    assert {line[-1] for line in rows[1:]} == {""}  # a report without a drift verdict (no database)
    first = dict(zip(rows[0], rows[1]))
    assert first["started_at"] == "2025-03-01T09:01:00.123456Z"
    failed = dict(zip(rows[0], rows[4]))
    assert failed["status"] == "failed" and HOSTILE in failed["error"]
    # the CSV holds the hashed text exactly: the chain can be recomputed from it
    for line in rows[1:]:
        rec = {k: (v if v != "" else None) for k, v in zip(HISTORY_COLUMNS, line)}
        rec["seq"] = int(rec["seq"])
        rec["duration_ms"] = int(rec["duration_ms"])
        assert row_hash(rec) == rec["hash"]


# -- JSON and verify_report ---------------------------------------------------------------------


def test_json_report_shape_and_body_digest(tmp_path):
    report = make_report()
    out = tmp_path / "r.json"
    digest = write_json(report, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc) == ["schema", "header", "summary", "state", "events", "verdict", "body_sha256"]
    assert doc["schema"] == SCHEMA == "nexo-report/1"
    assert doc["body_sha256"] == digest == body_digest(report)
    body = {k: v for k, v in doc.items() if k != "body_sha256"}
    canonical = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == digest
    assert [list(e) for e in doc["events"]] == [list(HISTORY_COLUMNS)] * len(SPECS)
    assert doc["summary"]["by_action"]["apply"] == {"ok": 1, "failed": 1}
    assert doc["summary"]["deployments"][0]["outcome"] == "rolled_back"
    assert doc["summary"]["failures"][0]["statement"] == "CREATE TABLE b ("
    assert doc["verdict"]["ok"] is True and doc["verdict"]["scope"] == "whole history"
    assert doc["header"]["filtered"] is False


def test_verify_report_intact_and_reformatted(tmp_path):
    out = tmp_path / "r.json"
    write_json(make_report(), out)
    v = verify_report(out)
    assert v.ok and v.complete and v.rows == len(SPECS) and v.checked == ((1, len(SPECS)),)
    assert "complete history" in str(v)
    # whitespace is not part of the body: a pretty-printed copy still verifies
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(out.read_text()), indent=2, ensure_ascii=False), encoding="utf-8")
    assert verify_report(pretty).ok


def _edit(path: Path, fn) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    fn(doc)
    edited = path.with_name("edited.json")
    edited.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return edited


def _refresh_digest(doc: dict) -> None:
    """What a careful forger does: recompute body_sha256 after the edit."""
    body = {k: v for k, v in doc.items() if k != "body_sha256"}
    doc["body_sha256"] = hashlib.sha256(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


@pytest.mark.parametrize("refresh", [False, True])
def test_verify_report_names_the_edited_event(tmp_path, refresh):
    out = tmp_path / "r.json"
    write_json(make_report(), out)

    def tamper(doc):
        doc["events"][3]["error"] = "nothing to see here"
        if refresh:
            _refresh_digest(doc)

    v = verify_report(_edit(out, tamper))
    assert not v.ok and v.bad_seq == 4
    assert "edited" in v.reason and "seq 4" in str(v)


def test_verify_report_finds_a_deleted_event_in_a_complete_report(tmp_path):
    out = tmp_path / "r.json"
    write_json(make_report(), out)

    def drop(doc):
        del doc["events"][2]  # seq 3
        _refresh_digest(doc)

    v = verify_report(_edit(out, drop))
    assert not v.ok and v.bad_seq == 4 and "missing" in v.reason

    def drop_last(doc):
        doc["events"].pop()
        _refresh_digest(doc)

    v = verify_report(_edit(out, drop_last))
    assert not v.ok and v.bad_seq == len(SPECS) and "missing at the end" in v.reason


def test_verify_report_outside_the_events_is_the_body_digest(tmp_path):
    out = tmp_path / "r.json"
    write_json(make_report(), out)
    v = verify_report(_edit(out, lambda d: d["header"].update(database="sqlite:///other.db")))
    assert not v.ok and v.bad_seq is None and "body_sha256" in v.reason


def test_filtered_report_checks_links_inside_runs_only(tmp_path):
    rows = chained(SPECS)
    kept = [r for r in rows if r.seq in (1, 2, 3, 5, 7)]
    report = make_report(kept, ReportFilters.parse(since="2025-03-01"))
    out = tmp_path / "r.json"
    write_json(report, out)
    v = verify_report(out)
    assert v.ok and not v.complete
    assert v.checked == ((1, 3), (5, 5), (7, 7))
    assert "1-3, 5, 7" in str(v)

    def tamper(doc):
        doc["events"][3]["duration_ms"] = 1  # seq 5
        _refresh_digest(doc)

    v = verify_report(_edit(out, tamper))
    assert not v.ok and v.bad_seq == 5


def test_report_recording_a_broken_chain_does_not_verify(tmp_path):
    broken = ChainVerdict(False, 7, 4, "row content does not match its hash (edited)")
    out = tmp_path / "r.json"
    write_json(make_report(verdict=broken), out)
    v = verify_report(out)
    assert not v.ok and v.bad_seq == 4 and "already broken" in v.reason


@pytest.mark.parametrize("content", [
    b"", b"seq,action\n1,apply\n", b"[1, 2, 3]", b'{"schema": "something-else/1", "events": []}',
    b'{"schema": "nexo-report/1", "events": [', b"\xff\xfe\x00garbage",
])
def test_verify_report_refuses_what_is_not_a_report(tmp_path, content):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as exc:
        verify_report(path)
    assert str(path) in str(exc.value)


def test_verify_report_missing_file_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput):
        verify_report(tmp_path / "nope.json")


def test_verify_report_streams_large_reports(tmp_path):
    """Many events through the chunked reader (values straddle read boundaries)."""
    specs = [{"action": "apply", "migration_id": f"2025.01.01.{i:06d}_m", "details": '{"x":"' + "y" * 300 + '"}'}
             for i in range(3000)]
    rows = chained(specs)
    report = make_report(rows)
    header = dataclasses.replace(report.header, history_rows=len(rows), head_seq=len(rows), head_hash=rows[-1].hash)
    report = Report(header, report.summary, report.state, ChainVerdict(True, len(rows)), lambda: iter(rows))
    out = tmp_path / "big.json"
    write_json(report, out)
    assert out.stat().st_size > 1 << 20
    v = verify_report(out)
    assert v.ok and v.complete and v.rows == 3000


# -- HTML ---------------------------------------------------------------------------------------


def test_html_is_self_contained_escaped_and_carries_its_body_digest(tmp_path):
    out = tmp_path / "r.html"
    digest = write_html(make_report(), out)
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in text
    assert "<svg" in text and "@media print" in text
    for external in ("<link", 'src="http', "url(http", "@import"):
        assert external not in text
    body = raw.split(("\n" + FOOTER_MARKER + "\n").encode(), 1)[0] + b"\n"
    assert hashlib.sha256(body).hexdigest() == digest
    assert f"Report body SHA-256: <code>{digest}</code>" in text
    assert "History chain intact" in text
    assert "2025.01.02.000000_b" in text and DEP in text


def test_html_says_when_the_chain_is_broken(tmp_path):
    out = tmp_path / "r.html"
    write_html(make_report(verdict=ChainVerdict(False, 7, 5, "prev_hash does not match the previous row")), out)
    text = out.read_text(encoding="utf-8")
    assert "History chain BROKEN at seq 5" in text and "prev_hash does not match" in text


# -- charts -------------------------------------------------------------------------------------


def _dep(day: datetime, outcome: str = "deployed", status: str = "ok") -> Deployment:
    return Deployment("d", day, day, 1, outcome, status, (), (), (), None, None, None, None, None, 1, 2)


def test_deployment_buckets_by_day_week_month():
    base = datetime(2025, 1, 1)
    buckets, unit = deployment_buckets([_dep(base), _dep(base + timedelta(days=2), "rolled_back", "rolled_back")])
    assert unit == "day" and [b.total for b in buckets] == [1, 0, 1]
    assert (buckets[0].ok, buckets[2].failed) == (1, 1)
    _, unit = deployment_buckets([_dep(base), _dep(base + timedelta(days=100))])
    assert unit == "week"
    buckets, unit = deployment_buckets([_dep(base), _dep(base + timedelta(days=800))])
    assert unit == "month" and buckets[0].label == "2025-01" and len(buckets) == 27


def test_charts_escape_labels_and_handle_empty_data():
    svg = durations_chart([ApplyDuration("<b>&", 2, 10, 20, 5)]).svg
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg
    assert "no deployments" in deployments_chart([], "day").svg
    assert "no successful applies" in durations_chart([]).svg
    many = durations_chart([ApplyDuration(f"m{i}", 1, i, i, i) for i in range(60)])
    assert "the 30 slowest of 60" in many.svg and many.height > 30 * 20


@pytest.mark.parametrize("vmax, step, top", [(1, 1, 1), (3, 1, 3), (7, 2, 8), (10, 5, 10), (233, 100, 300),
                                             (90, 25, 100), (1000, 250, 1000)])
def test_chart_axis_has_round_ticks(vmax, step, top):
    from nexo_studio.core.reports.charts import _axis

    assert _axis(vmax) == (step, top)


# -- architecture -------------------------------------------------------------------------------


def test_history_columns_match_the_table_and_the_store_row():
    from nexo_studio.core.state.tables import make_tables

    assert HISTORY_COLUMNS == tuple(c.name for c in make_tables().history.columns)
    assert HISTORY_COLUMNS == tuple(f.name for f in dataclasses.fields(HistoryRow))


def test_core_reports_never_import_qt(tmp_path):
    code = (
        "import sys\n"
        "from nexo_studio.core.reports import export_report, verify_report\n"
        "from nexo_studio.core.reports import csv_report, json_report, html_report, layout, charts, source\n"
        "from nexo_studio.core.target import Target\n"
        f"t = Target('sqlite:///{tmp_path / 'x.db'}')\n"
        f"for fmt in ('csv', 'json', 'html'):\n"
        f"    export_report(t, None, fmt, r'{tmp_path}/r.' + fmt)\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
    assert verify_report(tmp_path / "r.json").ok


# -- the schema drift verdict (SPEC §10) ---------------------------------------------------------

DRIFT = {"status": "drift", "snapshot": {"id": 3, "taken_at": "2025-03-02T11:00:00+00:00", "history_seq": 7,
                                         "sha256": "ab" * 32},
         "live_sha256": "cd" * 32,
         "changes": [{"kind": "added", "object_type": "index", "name": "users.ix_<hand>", "before": None,
                      "after": "CREATE INDEX ix_<hand> ON users (email)", "note": ""},
                     {"kind": "changed", "object_type": "column", "name": "users.email", "note": "",
                      "before": "users.email VARCHAR(255) NULL", "after": "users.email VARCHAR(255) NOT NULL"}]}


@pytest.mark.parametrize("drift, html_says, csv_says", [
    (DRIFT, "Schema DRIFT: 2 change(s) made outside Nexo",
     "DRIFT: 2 change(s) since snapshot #3, taken 2025-03-02 11:00:00 UTC, history seq 7"),
    ({**DRIFT, "status": "none", "changes": []}, "No schema drift", "none (matches snapshot #3"),
    ({"status": "no_snapshot", "snapshot": None, "changes": []}, "No schema snapshot yet", "no snapshot ("),
    ({"status": "unknown", "reason": "NotImplementedError: mssql", "changes": []},
     "Schema drift not checked: NotImplementedError: mssql", "unknown: NotImplementedError: mssql"),
])
def test_html_and_csv_carry_the_drift_verdict(tmp_path, drift, html_says, csv_says):
    report = make_report()
    report.drift = drift
    html = (tmp_path / "r.html")
    write_html(report, html)
    text = html.read_text(encoding="utf-8")
    assert html_says in text
    assert "<hand>" not in text  # escaped like every value from the database
    if drift["status"] == "drift":
        assert "users.ix_&lt;hand&gt;" in text and "users.email VARCHAR(255) NOT NULL" in text
    write_csv(report, tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[-1]["schema_drift"].startswith(csv_says) and rows[-1]["audit"] == "ok"
    assert {r["schema_drift"] for r in rows[:-1]} == {""}
    if drift["status"] == "drift":
        assert "added index users.ix_<hand>: + CREATE INDEX ix_<hand> ON users (email)" in rows[-1]["schema_drift"]


def test_csv_without_events_has_a_line_for_the_drift_verdict(tmp_path):
    report = make_report(rows=[])
    report.drift = {"status": "no_snapshot", "snapshot": None, "changes": []}
    write_csv(report, tmp_path / "e.csv")
    rows = list(csv.DictReader((tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 1 and rows[0]["seq"] == "" and rows[0]["schema_drift"].startswith("no snapshot")
