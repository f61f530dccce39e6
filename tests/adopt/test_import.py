"""`nexo import` on its own: re-importing, never overwriting, unsupported items, versions."""

from __future__ import annotations

import json
from pathlib import Path

from tests.adopt.helpers import nexo


def gm_project(root: Path) -> Path:
    src = root / "gm"
    src.mkdir()
    for i in range(1, 4):
        (src / f"{i}_t{i}.up.sql").write_text(f"CREATE TABLE t{i} (id INTEGER);\n")
        (src / f"{i}_t{i}.down.sql").write_text(f"DROP TABLE t{i};\n")
    return src


def test_reimport_is_a_no_op_and_a_differing_file_is_never_overwritten(tmp_path):
    src = gm_project(tmp_path)
    mig = tmp_path / "m"
    r = nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(src), "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["written"]) == 3, r.stderr
    r = nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(src), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["written"] == []
    victim = sorted(mig.iterdir())[1]
    victim.write_text(victim.read_text() + "-- my edit\n")
    (src / "4_t4.up.sql").write_text("CREATE TABLE t4 (id INTEGER);\n")
    r = nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(src))
    assert r.returncode == 2 and victim.name in r.stderr, r.stderr
    assert victim.read_text().endswith("-- my edit\n") and len(list(mig.iterdir())) == 3  # nothing written


def test_dry_run_writes_nothing_and_validates_the_import(tmp_path):
    src = gm_project(tmp_path)
    mig = tmp_path / "m"
    r = nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(src), "--dry-run")
    assert r.returncode == 0 and "would write 3" in r.stdout and not mig.exists()
    assert nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(src)).returncode == 0
    r = nexo("--migrations", str(mig), "validate")
    assert r.returncode == 0, r.stdout + r.stderr  # origin is an accepted header key


def test_sqitch_rework_is_unsupported_and_same_second_changes_keep_their_order(tmp_path):
    src = tmp_path / "sq"
    (src / "deploy").mkdir(parents=True)
    who = "T <t@example.com>"
    (src / "sqitch.plan").write_text(f"%project=p\n\na 2024-01-01T00:00:00Z {who} # a\nb [a] 2024-01-01T00:00:00Z "
                                     f"{who} # b\n@v1 2024-01-01T00:00:00Z {who}\na [a@v1] 2024-01-02T00:00:00Z {who}\n")
    for n in ("a", "b"):
        (src / "deploy" / f"{n}.sql").write_text(f"BEGIN;\nCREATE TABLE {n} (id INTEGER);\nCOMMIT;\n")
    r = nexo("--migrations", str(tmp_path / "m"), "import", "--from", "sqitch", str(src))
    assert r.returncode == 2 and "reworked" in r.stderr
    r = nexo("--migrations", str(tmp_path / "m"), "import", "--from", "sqitch", str(src), "--skip-unsupported",
             "--json")
    ids = [m["migration_id"] for m in json.loads(r.stdout)["mapping"]]
    assert ids == ["2024.01.01.000000_a", "2024.01.01.000001_b"]


def test_adopt_without_the_foreign_table_exits_2_and_creates_nothing(tmp_path, make_db):
    url = make_db("sqlite")
    mig = tmp_path / "m"
    assert nexo("--migrations", str(mig), "import", "--from", "golang-migrate", str(gm_project(tmp_path))).returncode == 0
    r = nexo("--db", url, "--migrations", str(mig), "status", "--from", "golang-migrate", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["found"] is False and doc["counts"] == {"pending": 3}
    r = nexo("--db", url, "--migrations", str(mig), "adopt", "--from", "golang-migrate", "--yes")
    assert r.returncode == 2 and "schema_migrations" in r.stderr
    r = nexo("--db", url, "--migrations", str(mig), "adopt", "--from", "golang-migrate")  # no terminal, no --yes
    assert r.returncode == 2
    assert not Path(url.removeprefix("sqlite:///")).exists()  # read-only: not even the file was created


def test_flyway_placeholders_are_refused_and_script_config_disables_the_transaction(tmp_path):
    src = tmp_path / "fw"
    src.mkdir()
    (src / "V1__init.sql").write_text("CREATE TABLE t (id INTEGER);\n")
    (src / "V2__idx.sql").write_text("CREATE INDEX CONCURRENTLY t_id ON t (id);\n")
    (src / "V2__idx.sql.conf").write_text("executeInTransaction=false\n")
    (src / "V3__grant.sql").write_text("GRANT SELECT ON t TO ${app_user};\n")
    r = nexo("--migrations", str(tmp_path / "m"), "import", "--from", "flyway", str(src))
    assert r.returncode == 2 and "V3__grant.sql" in r.stderr and "placeholders" in r.stderr
    r = nexo("--migrations", str(tmp_path / "m"), "import", "--from", "flyway", str(src), "--skip-unsupported",
             "--json")
    mapping = json.loads(r.stdout)["mapping"]
    assert [(m["foreign_id"], m["transaction"]) for m in mapping] == [("1", "per-migration"), ("2", "none")]
