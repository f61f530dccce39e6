"""Flyway: its state table is written exactly as Flyway's createMetaDataTable.sql defines it (Flyway
itself cannot be installed here), with the CRC32 its ChecksumCalculator computes, checked
against java.util.zip.CRC32 fed line by line by BufferedReader.readLine(), as Flyway does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nexo_studio.core.adopt.checksums import flyway_crc32
from tests.adopt.helpers import new_on_top_and_roll_back, nexo, run_sql, same_schema_as_fresh_nexo, take_over
from tests.conftest import DIALECTS

# version -> (description, up, undo)
PROJECT = [
    ("1", "init", "CREATE TABLE fw_users (id INTEGER PRIMARY KEY, name VARCHAR(50))", "DROP TABLE fw_users"),
    ("1.1", "add roles", "CREATE TABLE fw_roles (id INTEGER PRIMARY KEY)", "DROP TABLE fw_roles"),
    ("1.2", "seed roles", "INSERT INTO fw_roles (id) VALUES (1);\nINSERT INTO fw_roles (id) VALUES (2)",
     "DELETE FROM fw_roles"),
    ("1.10", "add email", "ALTER TABLE fw_users ADD email VARCHAR(100)", "ALTER TABLE fw_users DROP COLUMN email"),
    ("2", "orders", "CREATE TABLE fw_orders (id INTEGER PRIMARY KEY, user_id INTEGER)", "DROP TABLE fw_orders"),
    ("2.0.1", "orders view", "CREATE VIEW fw_orders_v AS SELECT id, user_id FROM fw_orders", "DROP VIEW fw_orders_v"),
    ("2.1", "items", "CREATE TABLE fw_items (id INTEGER PRIMARY KEY)", "DROP TABLE fw_items"),
    ("3", "tags", "CREATE TABLE fw_tags (id INTEGER PRIMARY KEY, label VARCHAR(20))", "DROP TABLE fw_tags"),
    ("3.1", "seed tags", "INSERT INTO fw_tags (id, label) VALUES (1, 'a;b')", "DELETE FROM fw_tags"),
    ("4", "audit", "CREATE TABLE fw_audit (id INTEGER PRIMARY KEY)", "DROP TABLE fw_audit"),
    ("10", "late", "CREATE TABLE fw_late (id INTEGER PRIMARY KEY)", "DROP TABLE fw_late"),
]

DDL = {
    "postgresql": """CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50),
 "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,
 "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
 "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")""",
    "mysql": """CREATE TABLE `flyway_schema_history` (`installed_rank` INT NOT NULL, `version` VARCHAR(50),
 `description` VARCHAR(200) NOT NULL, `type` VARCHAR(20) NOT NULL, `script` VARCHAR(1000) NOT NULL,
 `checksum` INT, `installed_by` VARCHAR(100) NOT NULL, `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
 `execution_time` INT NOT NULL, `success` BOOL NOT NULL,
 CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)) ENGINE=InnoDB;
CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`)""",
    "sqlite": """CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY,
 "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
 "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL,
 "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
 "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL);
CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")""",
}

JAVA = """
import java.io.*; import java.nio.charset.StandardCharsets; import java.util.zip.CRC32;
public class FlywayCrc { public static void main(String[] a) throws Exception { for (String f : a) {
  BufferedReader r = new BufferedReader(new InputStreamReader(new FileInputStream(f), StandardCharsets.UTF_8));
  CRC32 crc = new CRC32(); String line; boolean first = true;
  while ((line = r.readLine()) != null) { if (first && line.startsWith("\\uFEFF")) line = line.substring(1);
    first = false; crc.update(line.getBytes(StandardCharsets.UTF_8)); }
  System.out.println((int) crc.getValue()); } } }
"""


def write_project(root: Path) -> Path:
    loc = root / "flyway" / "sql"
    loc.mkdir(parents=True)
    for version, desc, up, undo in PROJECT:
        stem = f"{version}__{desc.replace(' ', '_')}"
        (loc / f"V{stem}.sql").write_bytes((up + ";\r\n").encode())  # CRLF: Flyway's CRC ignores line ends
        (loc / f"U{stem}.sql").write_text(undo + ";\n")
    (loc / "R__refresh_view.sql").write_text("SELECT 1;\n")
    return loc


def flyway_migrate(url: str, dialect: str, loc: Path, fail_last: bool = False) -> None:
    """What `flyway migrate` leaves: the migrations run, one history row each."""
    run_sql(url, DDL[dialect])
    for rank, (version, desc, up, _undo) in enumerate(PROJECT, 1):
        path = loc / f"V{version}__{desc.replace(' ', '_')}.sql"
        ok = not (fail_last and rank == len(PROJECT))
        if ok:
            run_sql(url, up)
        crc = flyway_crc32(path.read_bytes())
        run_sql(url, "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
                     f"checksum, installed_by, execution_time, success) VALUES ({rank}, '{version}', '{desc}', "
                     f"'SQL', '{path.name}', {crc}, 'flyway', 5, {'TRUE' if ok else 'FALSE'})")


def test_crc32_is_javas_line_by_line_crc(tmp_path):
    java = subprocess.run(["which", "java"], capture_output=True, text=True).stdout.strip()
    if not java:
        pytest.skip("java is not installed")
    files = {"crlf.sql": b"CREATE TABLE a (id int);\r\nSELECT 1;\r\n", "bom.sql": b"\xef\xbb\xbfSELECT 1;\n",
             "cr.sql": b"a\rb\r", "plain.sql": b"SELECT 'x\xc3\xa9';\n\n-- end", "empty.sql": b""}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "FlywayCrc.java").write_text(JAVA)
    out = subprocess.run(["java", str(tmp_path / "FlywayCrc.java"), *[str(tmp_path / n) for n in files]],
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert [flyway_crc32(d) for d in files.values()] == [int(x) for x in out]
    assert flyway_crc32(b"SELECT 1;\r\n") == flyway_crc32(b"SELECT 1;\n")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_flyway_database_taken_over(tmp_path, make_db, dialect):
    url = make_db(dialect)
    loc = write_project(tmp_path)
    flyway_migrate(url, dialect, loc)
    r = nexo("--migrations", str(tmp_path / "x"), "import", "--from", "flyway", str(loc))
    assert r.returncode == 2 and "R__refresh_view.sql" in r.stderr and "repeatable" in r.stderr
    assert not (tmp_path / "x").exists()  # nothing half-written
    got = take_over(tmp_path, url, "flyway", loc, "flyway_schema_history", extra_import=("--skip-unsupported",))
    ids = [m["migration_id"] for m in got["import"]["mapping"]]
    assert [m["foreign_id"] for m in got["import"]["mapping"]] == [v for v, *_ in PROJECT]  # 1.2 < 1.10 < 2
    assert ids[3].endswith("_v1_10_add_email")
    if dialect == "postgresql":
        same_schema_as_fresh_nexo(tmp_path, make_db, url, got["mig"], ("flyway_schema_history",))
    new_on_top_and_roll_back(got["base"], got["mig"], url, ids[3], "fw_late")


def test_flyway_edited_file_is_a_mismatch_and_failed_row_refuses(tmp_path, make_db):
    url = make_db("sqlite")
    loc = write_project(tmp_path)
    flyway_migrate(url, "sqlite", loc)
    (loc / "V2__orders.sql").write_text("CREATE TABLE fw_orders (id INTEGER PRIMARY KEY, user_id BIGINT);\n")
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "flyway", str(loc), "--skip-unsupported").returncode == 0
    r = nexo(*base, "adopt", "--from", "flyway", "--yes", "--json")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "checksum-mismatch" in r.stdout or "ForeignMismatch" in r.stdout
    r = nexo(*base, "status", "--from", "flyway", "--json")
    lines = {x["foreign_id"]: x["kind"] for x in json.loads(r.stdout)["migrations"]}
    assert lines["2"] == "checksum-mismatch" and lines["1"] == "matched-applied"
    assert "__Migrations" not in {t for t in __import__("tests.adopt.helpers", fromlist=["tables"]).tables(url)}
    r = nexo(*base, "adopt", "--from", "flyway", "--yes", "--accept-mismatch")
    assert r.returncode == 0, r.stdout + r.stderr

    url2 = make_db("sqlite")
    flyway_migrate(url2, "sqlite", write_project(tmp_path / "b"), fail_last=True)
    r = nexo("--db", url2, "--migrations", str(mig), "adopt", "--from", "flyway", "--yes")
    assert r.returncode == 3 and "10" in r.stderr, r.stdout + r.stderr


def test_flyway_baseline_schema_and_undo_rows(tmp_path, make_db):
    """A BASELINE row marks every version up to it applied; a successful UNDO_SQL row unapplies
    its version; the SCHEMA row and repeatables are not migrations."""
    url = make_db("sqlite")
    loc = write_project(tmp_path)
    run_sql(url, DDL["sqlite"])
    rows = [(1, "0", "<< Flyway Schema Creation >>", "SCHEMA", '"public"', "NULL", 1),
            (2, "1.2", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", "NULL", 1)]
    rank = 3
    for version, desc, _up, _undo in PROJECT[3:]:
        path = loc / f"V{version}__{desc.replace(' ', '_')}.sql"
        rows.append((rank, version, desc, "SQL", path.name, str(flyway_crc32(path.read_bytes())), 1))
        rank += 1
    rows.append((rank, "10", "late", "UNDO_SQL", "U10__late.sql", "123", 1))
    rows.append((rank + 1, None, "refresh view", "SQL", "R__refresh_view.sql", "42", 1))
    for r in rows:
        version = "NULL" if r[1] is None else f"'{r[1]}'"
        run_sql(url, "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
                     f"checksum, installed_by, execution_time, success) VALUES ({r[0]}, {version}, '{r[2]}', "
                     f"'{r[3]}', '{r[4]}', {r[5]}, 'flyway', 0, {r[6]})")
    mig = tmp_path / "m"
    base = ["--db", url, "--migrations", str(mig)]
    assert nexo(*base, "import", "--from", "flyway", str(loc), "--skip-unsupported").returncode == 0
    doc = json.loads(nexo(*base, "status", "--from", "flyway", "--json").stdout)
    kinds = {x["foreign_id"]: x["kind"] for x in doc["migrations"]}
    assert kinds == {**{v: "matched-applied" for v, *_ in PROJECT[:-1]}, "10": "pending"}, kinds
