"""Output details a new user tripped over (issue item 16)."""

from __future__ import annotations

from tests.cli.test_cli import nexo
from tests.helpers.projects import table_project, write_sql


def test_rollback_prints_each_stage_once(tmp_path):
    m = tmp_path / "m"
    table_project(m, 2)
    base = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m)]
    assert nexo(*base, "deploy", "--no-backup").returncode == 0
    r = nexo(*base, "rollback", "--to", "0", "--yes")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("== validate") == 1 and r.stderr.count("== rollback") == 1, r.stderr
    r = nexo(*base, "rollback", "--to", "0", "--dry-run")  # the preview is the run: still shown
    assert r.stderr.count("== validate") == 1, r.stderr


def _rows_column(out: str) -> dict[tuple[str, str], str]:
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("ACTION"))
    col = lines[head].index("ROWS")
    rows = {}
    for ln in lines[head + 1:]:
        if not ln.strip():
            break
        action, _status, mid = ln.split()[:3]
        rows[(action, mid)] = ln[col:].strip()
    return rows


def test_rows_is_blank_for_ddl_on_every_dialect(tmp_path, make_db, dialect):
    m = tmp_path / "m"
    ids = table_project(m, 1)
    fill = "2025.02.01.000000_fill"
    write_sql(m, fill, "INSERT INTO t1 (id, v) VALUES (1, 'a');\nINSERT INTO t1 (id, v) VALUES (2, 'b');",
              "DELETE FROM t1;", depends=ids)
    base = ["--db", make_db(dialect), "--migrations", str(m)]
    r = nexo(*base, "deploy", "--no-backup", "--no-verify")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = _rows_column(r.stdout)
    assert rows[("apply", ids[0])] == "", r.stdout  # CREATE TABLE: no row count
    assert rows[("apply", fill)] == "2", r.stdout
    r = nexo(*base, "rollback", "--to", "0", "--yes")
    rows = _rows_column(r.stdout)
    assert rows[("rollback", ids[0])] == "" and rows[("rollback", fill)] == "2", r.stdout


def test_validation_failure_says_error_once_per_finding(tmp_path):
    m = tmp_path / "m"
    write_sql(m, "2025.01.01.000001_a", "SELECT 1;", depends=["2024.01.01.000000_gone"])
    r = nexo("--db", f"sqlite:///{tmp_path / 'x.db'}", "--migrations", str(m), "deploy")
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("nexo: validation failed with 1 error(s): missing_dependency: "), r.stderr
    assert "error: missing_dependency" not in last
