"""Hostile input for `nexo repair` and `nexo adopt`: ids that do not exist, ids of another
project on the same database, a foreign state table with garbage rows (NULL versions, a
version recorded twice, huge text, versions that are not versions) or a failed row. Each is
refused with an error naming the id or the row, and changes nothing: nexo's tables, the
user's and the foreign tool's are as they were (and an SQLite file is not created).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.projects import table_project
from tests.reliability.harness import execute, run_cli
from tests.reliability.killsteps import dump, view
from tests.reliability.test_kill_steps import B, flyway_database, project

OTHER = "2025.01.09.000001_create_o1"


def test_repair_of_ids_that_do_not_exist_or_belong_to_another_project(db_url, tmp_path):
    base = ["--db", db_url, *project(tmp_path / "m")]
    if db_url.startswith("sqlite"):  # a database that does not exist yet is not created
        code, out, err = run_cli(*base, "repair", "nope", "--mark", "applied", "--yes")
        assert code == 2 and "'nope'" in err, out + err
        assert not Path(db_url.removeprefix("sqlite:///")).exists()
    assert run_cli(*base, "deploy", "--no-backup")[0] == 0
    table_project(tmp_path / "other", 1, prefix="o", day=9)
    assert run_cli("--db", db_url, "--migrations", str(tmp_path / "other"), "deploy", "--no-backup")[0] == 0
    before = view(dump(db_url))
    cases = [
        (["nope", "--mark", "applied"], "'nope'"),
        (["--forget-missing", "nope"], "'nope'"),
        (["nope", "--accept-checksum"], "'nope'"),
        (["2025.06.01.000009_nope", "--mark", "rolled-back", "--override-healthy"], "2025.06.01.000009_nope"),
        ([OTHER, "--mark", "applied"], "another project"),
        ([OTHER, "--mark", "rolled-back"], "another project"),
        ([OTHER, "--accept-checksum"], "missing, not drifted"),
        ([B, "--forget-missing", B], "its file exists"),
    ]
    for args, said in cases:
        code, out, err = run_cli(*base, "repair", *args, "--yes")
        assert code == 2, (args, out + err)
        assert said in err and (args[0] in err or args[-1] in err), (args, err)
        assert view(dump(db_url)) == before, f"repair {args} changed the database"
    assert run_cli("--db", db_url, "audit", "verify")[0] == 0


INSERT = ("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
          "installed_by, execution_time, success) VALUES ")
#: garbage -> (exit code, what the error must say)
GARBAGE = {
    "failed-row": ("(9, '2', 'roles', 'SQL', 'V2__roles.sql', 1, 'f', 1, FALSE)", 3,
                   "2: flyway records it failed (installed_rank 9)"),
    "failed-unknown-row": ("(9, '7', 'x', 'SQL', 'V7__x.sql', 1, 'f', 1, FALSE)", 3,
                           "7: flyway records it failed (installed_rank 9)"),
    "version-twice": ("(9, '1', 'users', 'SQL', 'V1__users.sql', 123, 'f', 1, TRUE)", 3,
                      "installed_rank 9: version '1' is recorded applied again (first at installed_rank 1"),
    "bad-baseline": ("(9, 'x.y', 'b', 'BASELINE', 'b', NULL, 'f', 1, TRUE)", 3,
                     "installed_rank 9: baseline version 'x.y' is not a Flyway version"),
    "not-a-version": ("(9, 'abc', 'x', 'SQL', 'Vabc__x.sql', 1, 'f', 1, TRUE)", 2, "abc (applied-without-file)"),
    "huge-text": ("(9, '7', :huge, 'SQL', 'V7__x.sql', 1, 'f', 1, TRUE)", 2, "7 (applied-without-file)"),
}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_adopt_from_a_flyway_table_with_garbage_rows_changes_nothing(make_db, dialect, tmp_path):
    url = make_db(dialect)
    base = flyway_database(url, dialect, tmp_path, applied=2)
    huge = "x" * (60_000 if dialect == "mysql" else 1_000_000)  # a TEXT holds 64 KiB on MariaDB
    if dialect != "sqlite":  # a table widened by hand, to hold the huge text
        execute(url, {"postgresql": "ALTER TABLE flyway_schema_history ALTER COLUMN description TYPE TEXT",
                      "mysql": "ALTER TABLE flyway_schema_history MODIFY description TEXT NOT NULL"}[dialect])
    for case, (values, code_expected, said) in GARBAGE.items():
        execute(url, INSERT + values, params={"huge": huge} if ":huge" in values else None)
        before = view(dump(url))
        code, out, err = run_cli(*base, "adopt", "--from", "flyway", "--yes")
        assert code == code_expected and said in err, (case, out + err)
        assert len(out) + len(err) < 5000, (case, "the huge row was echoed")
        assert view(dump(url)) == before, f"{case}: adopt changed the database"
        assert not any(t.startswith("__") for t in before) and not any(t.startswith("__") for t in view(dump(url)))
        execute(url, "DELETE FROM flyway_schema_history WHERE installed_rank = 9")
    code, out, err = run_cli(*base, "adopt", "--from", "flyway", "--yes")  # the clean table: adopted
    assert code == 0, out + err


def test_golang_migrate_table_with_a_null_version_is_refused_naming_it(make_db, tmp_path):
    url = make_db("sqlite")
    src = tmp_path / "gm"
    src.mkdir()
    (src / "1_a.up.sql").write_text("CREATE TABLE gm_a (id INTEGER);\n")
    (src / "1_a.down.sql").write_text("DROP TABLE gm_a;\n")
    base = ["--db", url, "--migrations", str(tmp_path / "m")]
    assert run_cli(*base, "import", "--from", "golang-migrate", str(src))[0] == 0
    execute(url, "CREATE TABLE gm_a (id INTEGER)", "CREATE TABLE schema_migrations (version bigint, dirty boolean)",
            "INSERT INTO schema_migrations VALUES (NULL, 0)")
    before = view(dump(url))
    code, out, err = run_cli(*base, "adopt", "--from", "golang-migrate", "--yes")
    assert code == 3 and "schema_migrations: version None is not a golang-migrate version" in err, out + err
    assert view(dump(url)) == before
