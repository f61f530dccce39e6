"""`nexo validate`: every error and warning of SPEC §2, with the ids in the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexo_studio.cli.main import main
from tests.helpers.projects import table_project, write_sql


def validate(tmp_path: Path, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "--migrations", str(tmp_path / "m"), "validate",
                 "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def codes(doc: dict, level: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for f in doc["findings"]:
        if f["level"] == level:
            out.setdefault(f["code"], []).append(f["ids"])
    return out


def test_clean_project_passes(tmp_path, capsys):
    table_project(tmp_path / "m", 3)
    code, doc = validate(tmp_path, capsys)
    assert code == 0 and doc["ok"] and doc["errors"] == 0


def test_cycle_is_an_error_with_its_path(tmp_path, capsys):
    m = tmp_path / "m"
    write_sql(m, "2025.01.01.000001_a", "SELECT 1;", "SELECT 1;", depends=["2025.01.01.000002_b"])
    write_sql(m, "2025.01.01.000002_b", "SELECT 1;", "SELECT 1;", depends=["2025.01.01.000001_a"])
    code, doc = validate(tmp_path, capsys)
    assert code == 2 and not doc["ok"]
    (cycle,) = [f for f in doc["findings"] if f["code"] == "cycle"]
    assert "2025.01.01.000001_a -> 2025.01.01.000002_b -> 2025.01.01.000001_a" in cycle["message"] or \
        "2025.01.01.000002_b -> 2025.01.01.000001_a -> 2025.01.01.000002_b" in cycle["message"]


def test_missing_dependency(tmp_path, capsys):
    write_sql(tmp_path / "m", "2025.01.01.000001_a", "SELECT 1;", "SELECT 1;", depends=["2024.01.01.000000_gone"])
    code, doc = validate(tmp_path, capsys)
    assert code == 2
    assert codes(doc, "error")["missing_dependency"] == [["2025.01.01.000001_a", "2024.01.01.000000_gone"]]


def test_two_files_with_one_version(tmp_path, capsys):
    write_sql(tmp_path / "m", "2025.01.01.000001_a", "SELECT 1;", "SELECT 1;")
    write_sql(tmp_path / "m", "2025.01.01.000001_b", "SELECT 1;", "SELECT 1;")
    code, doc = validate(tmp_path, capsys)
    assert code == 2
    (ids,) = codes(doc, "error")["duplicate_version"]
    assert set(ids) == {"2025.01.01.000001_a", "2025.01.01.000001_b"}


@pytest.mark.parametrize("name, text, expect", [
    ("2025.1.1.1_bad.sql", "-- +up\nSELECT 1;\n", "2025.1.1.1_bad.sql"),
    ("2025.01.01.000001_Bad-Name.sql", "-- +up\nSELECT 1;\n", "2025.01.01.000001_Bad-Name.sql"),
    ("2025.01.01.000001_hdr.sql", "-- description: x\n-- colour: blue\n-- +up\nSELECT 1;\n", "colour"),
    ("2025.01.01.000001_dia.sql", "-- +up\nSELECT 1;\n-- +up oracle\nSELECT 1 FROM dual;\n", "oracle"),
    ("2025.01.01.000001_empty.sql", "-- description: nothing\n-- +up\n\n-- +down\nSELECT 1;\n", "up"),
])
def test_malformed_files_are_errors_naming_the_file(tmp_path, capsys, name, text, expect):
    m = tmp_path / "m"
    m.mkdir()
    (m / name).write_text(text)
    code, doc = validate(tmp_path, capsys)
    assert code == 2
    errors = [f for f in doc["findings"] if f["level"] == "error"]
    assert errors and any(name in f["message"] for f in errors), errors
    assert any(expect in f["message"] for f in errors)


def test_warnings_version_conflict_and_irreversible(tmp_path, capsys):
    m = tmp_path / "m"
    write_sql(m, "2025.01.01.000001_old", "SELECT 1;", "SELECT 1;", depends=["2025.01.01.000002_new"])
    write_sql(m, "2025.01.01.000002_new", "SELECT 1;")
    code, doc = validate(tmp_path, capsys)
    assert code == 0
    w = codes(doc, "warning")
    assert w["version_conflict"] == [["2025.01.01.000001_old", "2025.01.01.000002_new"]]
    assert w["irreversible"] == [["2025.01.01.000002_new"]]


def test_state_warnings_drift_missing_out_of_order(tmp_path, capsys):
    m = tmp_path / "m"
    ids = table_project(m, 3)
    db = ["--db", f"sqlite:///{tmp_path / 'v.db'}", "--migrations", str(m)]
    assert main([*db, "deploy", "--no-backup"]) == 0
    capsys.readouterr()
    p = m / f"{ids[0]}.sql"
    p.write_text(p.read_text().replace("VARCHAR(20)", "VARCHAR(21)"))
    (m / f"{ids[2]}.sql").unlink()
    write_sql(m, "2025.01.01.000000_early", "SELECT 1;", "SELECT 1;")
    code, doc = validate(tmp_path, capsys)
    assert code == 0
    w = codes(doc, "warning")
    assert w["drift"] == [[ids[0]]]
    assert w["missing"] == [[ids[2]]]
    assert w["out_of_order"] == [["2025.01.01.000000_early"]]


def test_human_output_lists_findings(tmp_path, capsys):
    write_sql(tmp_path / "m", "2025.01.01.000001_a", "SELECT 1;", "SELECT 1;", depends=["2024.01.01.000000_gone"])
    code = main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "--migrations", str(tmp_path / "m"), "validate"])
    out = capsys.readouterr().out
    assert code == 2
    assert "missing_dependency" in out and "2024.01.01.000000_gone" in out
    assert not (tmp_path / "v.db").exists() or (tmp_path / "v.db").stat().st_size == 0
