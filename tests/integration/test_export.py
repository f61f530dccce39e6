"""Audit report export end to end: a real history made by the engine, on SQLite and PostgreSQL.

The history holds deploys, a failed deploy (auto rollback), a targeted rollback, a backup and a
repair. Each format is exported and its content checked; the PostgreSQL URL carries a password
marker that must appear in no format. Then the database history is tampered with (an edited row,
a deleted row) and the reports must say so, naming the first bad seq.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nexo_studio.pdf  # noqa: F401  (registers the pdf renderer, as the front ends do)

import pytest
from sqlalchemy.engine import make_url

from nexo_studio.cli.main import main
from nexo_studio.core.backup.operations import backup
from nexo_studio.core.events import run
from nexo_studio.core.operations import repair
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback
from nexo_studio.core.project import Project
from nexo_studio.core.reports import ReportFilters, export_report, verify_report
from nexo_studio.core.target import Target

PASSWORD = "NexoPwMarker7731"
BROKEN = "2025.04.01.100000_broken"
API_TOKENS = "2025.03.18.150000_api_tokens"
ROLLBACK_TO = "2025.02.11.140000_projects"
ERROR_TEXT = "no_such_table_xyz"
HAVE_POPPLER = bool(shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo"))


@dataclass
class History:
    url: str
    target: Target
    project: Project
    directory: Path
    tmp: Path
    rows: int


def _with_password(url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return url
    return u.set(password=PASSWORD).render_as_string(hide_password=False)


def build_history(url: str, sample_dir: Path, tmp: Path) -> History:
    directory = tmp / "project"
    shutil.copytree(sample_dir, directory)
    target = Target(url)
    project = Project.load(directory)
    assert run(deploy(project, target, DeployOptions(backup=False))).status == "deployed"
    run(backup(target, out=tmp / "manual.backup"))
    assert run(rollback(project, target, RollbackOptions(to=ROLLBACK_TO))).status == "rolled_back"
    broken = directory / f"{BROKEN}.sql"
    broken.write_text(f"-- description: fails on purpose\n-- +up\nCREATE TABLE half_done (id INTEGER);\n"
                      f"SELECT * FROM {ERROR_TEXT};\n-- +down\nDROP TABLE half_done;\n", encoding="utf-8")
    project = Project.load(directory)
    failed = run(deploy(project, target, DeployOptions(backup=False)))
    assert not failed.ok and failed.failed == BROKEN
    broken.unlink()
    project = Project.load(directory)
    assert run(deploy(project, target, DeployOptions(backup=False))).status == "deployed"
    # drift an applied file (every dialect's up section), then accept it with repair
    f = directory / f"{API_TOKENS}.sql"
    f.write_text(f.read_text(encoding="utf-8").replace(
        "CREATE INDEX ix_api_tokens_user_revoked ON api_tokens (user_id, revoked);",
        "CREATE INDEX ix_api_tokens_user_revoked ON api_tokens (user_id, revoked); -- reviewed"), encoding="utf-8")
    project = Project.load(directory)
    run(repair(project, target, API_TOKENS, accept_checksum=True))
    with target.connect() as conn:
        rows = sum(1 for _ in target.store.history(conn))
    return History(url, target, project, directory, tmp, rows)


@pytest.fixture(params=["sqlite", "postgresql"])
def history(request, make_db, sample_dir, tmp_path) -> History:
    h = build_history(_with_password(make_db(request.param)), sample_dir, tmp_path)
    yield h
    h.target.dispose()


def _db_counts(h: History) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with h.target.connect() as conn:
        for r in h.target.store.history(conn):
            out.setdefault(r.action, {}).setdefault(r.status, 0)
            out[r.action][r.status] += 1
    return out


def _pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.replace("\u200b", "")


def _assert_no_password(*paths: Path) -> None:
    for p in paths:
        assert PASSWORD.encode() not in p.read_bytes(), f"password in {p.name}"


# -- every format from one history --------------------------------------------------------------


def test_every_format_from_a_real_history(history):
    h, out = history, history.tmp
    counts = _db_counts(h)
    assert counts["apply"]["failed"] == 1 and counts["backup"]["ok"] >= 1 and counts["repair"]["ok"] == 1
    assert counts["rollback"]["ok"] >= 5 and counts["deploy_start"]["ok"] == 3

    # CSV ---------------------------------------------------------------------------------------
    path = export_report(h.target, h.project, "csv", out / "r.csv")
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == h.rows
    assert [int(r["seq"]) for r in rows] == list(range(1, h.rows + 1))
    failed = [r for r in rows if r["status"] == "failed"]
    assert failed[0]["migration_id"] == BROKEN and ERROR_TEXT in failed[0]["error"]
    assert all(r["started_at"].endswith("Z") and "T" in r["started_at"] for r in rows)
    assert (out / "r.csv.sha256").read_text().split()[0] == hashlib.sha256(raw).hexdigest()

    # JSON --------------------------------------------------------------------------------------
    path = export_report(h.target, h.project, "json", out / "r.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == "nexo-report/1"
    header = doc["header"]
    assert header["dialect"] == h.target.dialect
    assert header["history"]["rows"] == h.rows and header["schema_version"] == "2025.03.18.150000"
    assert header["server_version"].split()[0] in ("SQLite", "PostgreSQL")
    summary = doc["summary"]
    assert summary["events"] == h.rows and summary["by_action"] == counts
    outcomes = [d["outcome"] for d in summary["deployments"]]
    assert outcomes == ["deployed", "rolled_back", "deployed"]
    assert summary["deployments"][1]["failed"] == BROKEN and ERROR_TEXT in summary["deployments"][1]["error"]
    assert any(f["migration_id"] == BROKEN and ERROR_TEXT in f["error"] for f in summary["failures"])
    assert API_TOKENS in summary["migrations"]["applied"] and len(summary["migrations"]["applied"]) == 9
    assert {d["migration_id"] for d in summary["apply_durations"]} >= {API_TOKENS}
    assert len(doc["state"]) == 9 and all(s["status"] == "applied" for s in doc["state"])
    assert doc["verdict"]["ok"] is True and doc["verdict"]["rows"] == h.rows
    assert len(doc["events"]) == h.rows
    assert [e["action"] for e in doc["events"] if e["action"] == "repair"] == ["repair"]
    v = verify_report(path)
    assert v.ok and v.complete and v.rows == h.rows, str(v)

    # HTML --------------------------------------------------------------------------------------
    path = export_report(h.target, h.project, "html", out / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "History chain intact" in text and BROKEN in text and API_TOKENS in text and ERROR_TEXT in text
    assert "Deployments per day" in text and "<svg" in text

    # PDF ---------------------------------------------------------------------------------------
    path = export_report(h.target, h.project, "pdf", out / "r.pdf")
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    if HAVE_POPPLER:
        info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= 2 and "A4" in info
        pdf_text = _pdf_text(path)
        assert "History chain intact" in pdf_text and f"Page 1 of {pages}" in pdf_text
        assert BROKEN in pdf_text and ERROR_TEXT in pdf_text
        assert f"Page {pages} of {pages}" in pdf_text
        # the event table's header row is repeated on every page the table continues on
        page_texts = pdf_text.split("\f")
        first_events = next(i for i, t in enumerate(page_texts) if "Every event in the report" in t)
        for t in page_texts[first_events:pages]:
            assert "Details / error" in t and "Started (UTC)" in t
        assert PASSWORD not in pdf_text
        # turn the pages into images (looked at by eye when the renderer changes)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(out / "page")], check=True)
        assert len(list(out.glob("page-*.png"))) == pages

    _assert_no_password(out / "r.csv", out / "r.csv.sha256", out / "r.json", out / "r.html", out / "r.pdf")
    if make_url(h.url).password:
        assert "***" in header["database"]


# -- tampered history ---------------------------------------------------------------------------


def _tamper(h: History, stmt_for) -> None:
    """Change the history behind the tool's back (what an attacker with SQL access could do)."""
    with h.target.engine.begin() as conn:
        conn.execute(stmt_for(h.target.store.t.history))


def test_edited_history_row_is_reported_with_its_seq(history):
    h = history
    bad = h.rows // 2
    _tamper(h, lambda t: t.update().where(t.c.seq == bad).values(error="covered up"))
    path = export_report(h.target, h.project, "json", h.tmp / "t.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["verdict"]["ok"] is False and doc["verdict"]["bad_seq"] == bad
    assert "edited" in doc["verdict"]["reason"]
    v = verify_report(path)
    assert not v.ok and v.bad_seq == bad
    html = export_report(h.target, h.project, "html", h.tmp / "t.html").read_text(encoding="utf-8")
    assert f"History chain BROKEN at seq {bad}" in html
    if HAVE_POPPLER:
        pdf = export_report(h.target, h.project, "pdf", h.tmp / "t.pdf")
        assert f"History chain BROKEN at seq {bad}" in _pdf_text(pdf)


def test_deleted_history_row_is_reported_with_the_next_seq(history):
    h = history
    gone = 5
    _tamper(h, lambda t: t.delete().where(t.c.seq == gone))
    path = export_report(h.target, h.project, "json", h.tmp / "d.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["verdict"]["ok"] is False and doc["verdict"]["bad_seq"] == gone + 1
    assert "missing" in doc["verdict"]["reason"]
    v = verify_report(path)
    assert not v.ok and v.bad_seq == gone + 1
    csv_rows = list(csv.DictReader(export_report(h.target, h.project, "csv", h.tmp / "d.csv")
                                   .read_text(encoding="utf-8-sig").splitlines()))
    assert gone not in [int(r["seq"]) for r in csv_rows] and len(csv_rows) == h.rows - 1


def test_edited_json_report_is_caught_by_verify_report(history):
    h = history
    path = export_report(h.target, h.project, "json", h.tmp / "r.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    target = next(e for e in doc["events"] if e["status"] == "failed")
    target["error"] = None
    target["status"] = "ok"
    edited = h.tmp / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    v = verify_report(edited)
    assert not v.ok and v.bad_seq == target["seq"] and "edited" in v.reason


# -- filters, CLI -------------------------------------------------------------------------------


def test_filtered_reports(history):
    h = history
    f = ReportFilters.parse(migration_id=API_TOKENS)
    path = export_report(h.target, h.project, "json", h.tmp / "f.json", f)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["header"]["filtered"] is True and doc["header"]["filters"]["migration_id"] == API_TOKENS
    assert doc["events"] and all(e["migration_id"] == API_TOKENS for e in doc["events"])
    assert doc["summary"]["events"] == len(doc["events"])
    assert doc["verdict"]["rows"] == h.rows  # the verdict always covers the whole history
    # deployments that touched the migration, and the repair (not a deployment) is an event
    assert len(doc["summary"]["deployments"]) == 3
    assert "repair" in doc["summary"]["by_action"]
    v = verify_report(path)
    assert v.ok and not v.complete and v.checked

    only_failed = ReportFilters.parse(status="failed", action="apply")
    doc = json.loads(export_report(h.target, h.project, "json", h.tmp / "g.json", only_failed)
                     .read_text(encoding="utf-8"))
    assert [e["migration_id"] for e in doc["events"]] == [BROKEN]

    # with its file back, the migration whose last attempt failed is listed as failed
    (h.directory / f"{BROKEN}.sql").write_text("-- description: again\n-- +up\nSELECT 1;\n", encoding="utf-8")
    doc = json.loads(export_report(h.target, Project.load(h.directory), "json", h.tmp / "s.json")
                     .read_text(encoding="utf-8"))
    assert doc["summary"]["migrations"]["failed"] == [BROKEN]
    assert next(s["status"] for s in doc["state"] if s["id"] == BROKEN) == "failed"

    future = ReportFilters.parse(since="2999-01-01")
    doc = json.loads(export_report(h.target, h.project, "json", h.tmp / "e.json", future)
                     .read_text(encoding="utf-8"))
    assert doc["events"] == [] and doc["summary"]["deployments"] == [] and doc["verdict"]["ok"]
    assert verify_report(h.tmp / "e.json").ok


def test_cli_export_and_audit_verify(make_db, sample_dir, tmp_path, capsys):
    h = build_history(make_db("sqlite"), sample_dir, tmp_path)
    try:
        base = ["--db", h.url, "--migrations", str(h.directory)]
        for fmt in ("csv", "json", "html"):
            out = tmp_path / f"cli.{fmt}"
            assert main([*base, "export", "--format", fmt, "--out", str(out)]) == 0
            assert out.is_file()
        assert main([*base, "export", "--format", "json", "--out", str(tmp_path / "x.json"),
                     "--since", "not-a-date"]) == 2
        assert "not-a-date" in capsys.readouterr().err
        assert main(["audit", "verify", str(tmp_path / "cli.json")]) == 0
        assert "report intact" in capsys.readouterr().out
        doc = json.loads((tmp_path / "cli.json").read_text(encoding="utf-8"))
        doc["events"][2]["operator"] = "mallory"
        (tmp_path / "bad.json").write_text(json.dumps(doc), encoding="utf-8")
        assert main(["audit", "verify", str(tmp_path / "bad.json")]) == 1
        assert "seq 3" in capsys.readouterr().out
        assert main(["audit", "verify", str(tmp_path / "cli.csv")]) == 2
    finally:
        h.target.dispose()


def test_empty_database_exports_an_empty_report(make_db, tmp_path):
    target = Target(make_db("sqlite"))
    try:
        for fmt in ("csv", "json", "html"):
            export_report(target, None, fmt, tmp_path / f"e.{fmt}")
        doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
        assert doc["events"] == [] and doc["verdict"]["ok"] and doc["header"]["history"]["head_seq"] == 0
        assert verify_report(tmp_path / "e.json").ok
        with target.connect() as conn:
            assert not target.store.exists(conn)  # read-only: nothing created
    finally:
        target.dispose()


def test_cli_pdf_export_works_without_a_screen(make_db, sample_dir, tmp_path):
    """`nexo export --format pdf` in a process with no display and no Qt platform set."""
    directory = tmp_path / "project"
    shutil.copytree(sample_dir, directory)
    url = make_db("sqlite")
    target = Target(url)
    run(deploy(Project.load(directory), target, DeployOptions(backup=False)))
    target.dispose()
    out = tmp_path / "headless.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    code = "import sys; from nexo_studio.cli.main import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", code, "--db", url, "--migrations", str(directory), "export",
                    "--format", "pdf", "--out", str(out)], env=env, check=True, timeout=300,
                   cwd=Path(__file__).resolve().parents[2])
    assert out.read_bytes().startswith(b"%PDF-")
    if HAVE_POPPLER:
        assert "History chain intact" in _pdf_text(out)


# -- PDF page planning (pure geometry, no Qt) ----------------------------------------------------


def _flow(height, cuts=None, **kw):
    from nexo_studio.pdf import Flowable

    return Flowable(None, height, cuts or [height], **kw)


def test_pdf_planner_cuts_tables_between_rows_and_repeats_headers():
    from nexo_studio.pdf import BODY_H, plan

    row = 37.0
    rows = 60
    cuts = [20 + row * i for i in range(2, rows + 1)]  # header 20 high, then rows; never header alone
    table = _flow(cuts[-1], cuts, header=20.0, is_table=True)
    heading = _flow(30.0, keep_with_next=True)
    pages = plan([_flow(BODY_H - 60), heading, table])
    # the heading does not fit with the header and first row under the first block: both move on
    assert [s.flow for s in pages[0]] == [pages[0][0].flow]
    assert pages[1][0].flow is heading
    for page in pages[1:]:
        for s in page:
            if s.flow is table:
                assert s.bottom in table.cuts or s.bottom == 20.0  # ends between rows
        last = page[-1]
        assert last.y + (last.bottom - last.top) <= BODY_H + 0.01
    for page in pages[2:]:  # continued pages start with the repeated header
        assert page[0].flow is table and (page[0].top, page[0].bottom) == (0.0, 20.0)
        assert page[1].rule_below or page is pages[-1]
    body = sorted((s.top, s.bottom) for p in pages for s in p
                  if s.flow is table and (s.top, s.bottom) != (0.0, 20.0))  # all but repeated headers
    assert body[0][0] == 0.0 and body[-1][1] == table.height
    assert all(a[1] == b[0] for a, b in zip(body, body[1:]))  # every row drawn exactly once


def test_pdf_planner_new_page_and_oversize_rows():
    from nexo_studio.pdf import BODY_H, plan

    first, second = _flow(100.0), _flow(50.0, new_page=True)
    pages = plan([first, second])
    assert len(pages) == 2 and pages[1][0].flow is second and pages[1][0].y == 0.0
    huge = _flow(BODY_H * 2.5)  # taller than a page even alone: split at the page height
    pages = plan([huge])
    assert len(pages) == 3 and pages[0][0].bottom == BODY_H


# -- what every format says about a tampered history --------------------------------------------


class _HtmlText(HTMLParser):
    """The text of the verdict banner and of the History integrity table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.banner: list[str] = []
        self.integrity: list[list[str]] = []
        self._where: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag == "div" and "banner" in cls:
            self._where.append("banner")
        elif tag == "table" and "integrity" in cls.split():
            self._where.append("integrity")
        elif tag == "tr" and self._where[-1:] == ["integrity"]:
            self.integrity.append([])
        elif tag in ("div", "table"):
            self._where.append("")

    def handle_endtag(self, tag):
        if tag in ("div", "table") and self._where:
            self._where.pop()

    def handle_data(self, data):
        if "banner" in self._where:
            self.banner.append(data)
        elif self._where[-1:] == ["integrity"] and self.integrity:
            self.integrity[-1].append(data)


@pytest.fixture
def sqlite_history(make_db, sample_dir, tmp_path) -> History:
    h = build_history(make_db("sqlite"), sample_dir, tmp_path)
    yield h
    h.target.dispose()


TAMPERING = {
    # name: (statement on __MigrationHistory, the seqs `nexo audit verify` must name)
    "edited row": (lambda t, rows: t.update().where(t.c.seq == rows // 2).values(error="covered up"),
                   lambda rows: [rows // 2]),
    "deleted middle row": (lambda t, rows: t.delete().where(t.c.seq == 5), lambda rows: [6]),
    "deleted last row": (lambda t, rows: t.delete().where(t.c.seq == rows), lambda rows: [rows]),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_every_format_states_a_tampered_history_as_audit_verify_does(sqlite_history, case):
    from nexo_studio.core.operations import audit_verify

    h, out = sqlite_history, sqlite_history.tmp
    stmt, named = TAMPERING[case]
    _tamper(h, lambda t: stmt(t, h.rows))
    expected = audit_verify(h.target)
    assert not expected.ok and set(named(h.rows)) <= set(expected.seqs), str(expected)
    seqs = list(expected.seqs)

    # JSON: the verdict as `nexo audit verify` gives it; old members kept, new ones added
    doc = json.loads(export_report(h.target, h.project, "json", out / "t.json").read_text(encoding="utf-8"))
    v = doc["verdict"]
    assert {"ok", "rows", "bad_seq", "reason", "scope", "text"} <= set(v)
    assert v["ok"] is False and v["status"] == "tampered" and v["reason"]
    assert v["bad_seq"] == expected.bad_seq and v["seqs"] == seqs and v["text"] == str(expected)
    assert [b["seq"] for b in v["breaks"]] == [b.seq for b in expected.breaks]
    assert [p["text"] for p in v["problems"]] == list(getattr(expected, "problems", ()))
    assert not verify_report(out / "t.json").ok

    # CSV: every history column as before, then `audit` naming what is wrong with each row
    rows = list(csv.DictReader(export_report(h.target, h.project, "csv", out / "t.csv")
                               .read_text(encoding="utf-8-sig").splitlines()))
    marked = {int(r["seq"]): r["audit"] for r in rows if r["audit"] != "ok"}
    for b in expected.breaks:
        assert marked[b.seq].startswith("TAMPERED: ") and b.reason in marked[b.seq]
    if case == "deleted last row":  # nothing left to carry it but the last row: said there, for the history
        assert f"TAMPERED (history): __MigrationHistory ends at seq {h.rows - 1} but seq {h.rows} was written" \
            in rows[-1]["audit"]
    assert all(r["audit"] == "ok" for r in rows if int(r["seq"]) not in marked)

    # HTML: the banner and the History integrity table name the seqs
    parser = _HtmlText()
    parser.feed(export_report(h.target, h.project, "html", out / "t.html").read_text(encoding="utf-8"))
    banner = " ".join(parser.banner)
    title = (f"History chain BROKEN at seq {expected.bad_seq}" if expected.breaks
             else f"History TAMPERED (seq {', '.join(map(str, seqs))})")
    assert title in banner and f"Seq concerned: {', '.join(map(str, seqs))}" in banner
    lines = [" ".join(cells) for cells in parser.integrity[1:]]  # after the header row
    for b in expected.breaks:
        assert any(line.startswith(f"{b.seq} TAMPERED: {b.reason}") for line in lines), lines
    for problem in getattr(expected, "problems", ()):
        assert any(problem in line for line in lines), (problem, lines)

    # PDF: the same words (checked in the text poppler extracts)
    if HAVE_POPPLER:
        text = " ".join(_pdf_text(export_report(h.target, h.project, "pdf", out / "t.pdf")).split())
        assert title in text and "History integrity" in text and "TAMPERED" in text
        for b in expected.breaks:
            assert b.reason in text
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out / "t.pdf"), str(out / "t")],
                       check=True)


def test_an_accepted_history_is_reported_as_accepted_in_every_format(sqlite_history):
    from nexo_studio.core.operations import audit_verify

    h, out = sqlite_history, sqlite_history.tmp
    bad = h.rows // 2
    _tamper(h, lambda t: t.update().where(t.c.seq == bad).values(operator="mallory"))
    accepted = run(repair(h.project, h.target, None, accept_history=True))
    assert audit_verify(h.target).ok

    doc = json.loads(export_report(h.target, h.project, "json", out / "a.json").read_text(encoding="utf-8"))
    v = doc["verdict"]
    assert v["ok"] is True and v["status"] == "accepted" and v["seqs"] == []
    assert [(b["seq"], b["accepted_at"]) for b in v["accepted"]] == [(bad, accepted.seq)]
    assert verify_report(out / "a.json").ok  # the report holds the acceptance row too
    rows = {int(r["seq"]): r["audit"] for r in csv.DictReader(
        export_report(h.target, h.project, "csv", out / "a.csv").read_text(encoding="utf-8-sig").splitlines())}
    assert rows[bad].startswith(f"tampered, accepted at seq {accepted.seq}")
    assert rows[accepted.seq] == f"accepts the tampered row seq {bad}"
    parser = _HtmlText()
    parser.feed(export_report(h.target, h.project, "html", out / "a.html").read_text(encoding="utf-8"))
    banner = " ".join(parser.banner)
    assert "History chain intact, with changes accepted on record" in banner
    assert f"seq {bad}" in banner and f"accepted at seq {accepted.seq}" in banner
    if HAVE_POPPLER:
        text = " ".join(_pdf_text(export_report(h.target, h.project, "pdf", out / "a.pdf")).split())
        assert "with changes accepted on record" in text and f"accepted at seq {accepted.seq}" in text


# -- the schema drift verdict in every format (SPEC §10) ---------------------------------------

HAND_INDEX = "ix_hand_made_drift"


def test_every_format_carries_the_drift_verdict(history):
    """Clean after the engine's own operations; an index added by hand is named in every format."""
    h = history
    clean = export_report(h.target, h.project, "csv", h.tmp / "clean.csv").read_text(encoding="utf-8-sig")
    assert list(csv.DictReader(clean.splitlines()))[-1]["schema_drift"].startswith("none (matches snapshot #")
    assert "No schema drift" in export_report(h.target, h.project, "html", h.tmp / "clean.html").read_text("utf-8")
    with h.target.engine.begin() as conn:  # after the history's last row, a repair --accept-checksum
        conn.exec_driver_sql(f"CREATE INDEX {HAND_INDEX} ON users (display_name, email)")
    doc = json.loads(export_report(h.target, h.project, "json", h.tmp / "d.json").read_text(encoding="utf-8"))
    assert doc["drift"]["status"] == "drift"
    assert [(c["kind"], c["object_type"]) for c in doc["drift"]["changes"]] == [("added", "index")]
    rows = list(csv.DictReader(export_report(h.target, h.project, "csv", h.tmp / "d.csv")
                               .read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == h.rows  # the verdict rides on the last event's line, no line of its own
    assert rows[-1]["schema_drift"].startswith("DRIFT: 1 change(s) since snapshot #")
    assert f"added index users.{HAND_INDEX}" in rows[-1]["schema_drift"]
    assert all(r["schema_drift"] == "" for r in rows[:-1])
    html = export_report(h.target, h.project, "html", h.tmp / "d.html").read_text(encoding="utf-8")
    assert "Schema DRIFT: 1 change(s) made outside Nexo" in html and f"users.{HAND_INDEX}" in html
    assert html.index("Schema drift") < html.index("<h2>Report</h2>")  # up front, under the audit verdict
    if HAVE_POPPLER:
        text = _pdf_text(export_report(h.target, h.project, "pdf", h.tmp / "d.pdf"))
        assert "Schema DRIFT: 1 change(s) made outside Nexo" in text and HAND_INDEX in text
    _assert_no_password(h.tmp / "d.json", h.tmp / "d.csv", h.tmp / "d.html")


def test_a_database_without_a_snapshot_says_so_in_every_format(make_db, tmp_path):
    target = Target(make_db("sqlite"))
    try:
        with target.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER)")
        out = {fmt: export_report(target, None, fmt, tmp_path / f"n.{fmt}") for fmt in ("csv", "json", "html")}
        assert json.loads(out["json"].read_text(encoding="utf-8"))["drift"]["status"] == "no_snapshot"
        rows = list(csv.DictReader(out["csv"].read_text(encoding="utf-8-sig").splitlines()))
        assert [r["schema_drift"] for r in rows] == ["no snapshot (drift cannot be checked; `nexo snapshot` records one)"]
        assert "No schema snapshot yet" in out["html"].read_text(encoding="utf-8")
    finally:
        target.dispose()
