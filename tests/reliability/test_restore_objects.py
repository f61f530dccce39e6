"""Restore under faults for the two schemas that used to defeat it (docs/reliability.md):

- PostgreSQL with extensions: citext in ``public``, hstore in a schema of its own (both in the
  backup, both moved along when their schemas are set aside), pg_trgm created after the backup
  (only the database has it), and a table created after the backup that uses citext (what makes
  ``pg_restore --clean`` fail: its DROP EXTENSION has a dependent).
- MariaDB with a view ``WITH CHECK OPTION`` over a view that mariadb-dump writes after it (the
  load of the backup and of the safety dump both failed with ERROR 1368).

Killed (SIGKILL) and failing at every step: the database ends exactly as before the restore or
as in the backup -- extensions, their schemas, check options and rows included -- with every
history row kept and nothing of the restore left over (``assert_whole`` of test_restore_faults).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import ForkedCli, execute, run_cli, user_tables
from tests.reliability.test_restore_faults import (
    A,
    B,
    KILLED_ENDS,
    POINTS,
    SUFFIX,
    assert_whole,
    history_pairs,
    next_command,
    rows_of_a,
)
from tests.reliability.test_restore_faults import data_dir  # noqa: F401  (fixture)

BEFORE_BACKUP = {
    "postgresql": ["CREATE EXTENSION citext", "CREATE SCHEMA ext", "CREATE EXTENSION hstore WITH SCHEMA ext",
                   "CREATE TABLE people (id INTEGER PRIMARY KEY, email citext NOT NULL, tags ext.hstore)",
                   "INSERT INTO people VALUES (1, 'Ann@Example.org', 'k=>backup')"],
    "mysql": ["CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)",
              "CREATE VIEW v_inner AS SELECT id, v FROM t",  # mariadb-dump writes it after v_checked
              "CREATE VIEW v_checked AS SELECT id, v FROM v_inner WHERE v > 0 WITH CASCADED CHECK OPTION",
              "INSERT INTO v_checked VALUES (1, 10)"],
}
AFTER_BACKUP = {
    "postgresql": ["CREATE EXTENSION pg_trgm", "CREATE TABLE later (e citext)", "INSERT INTO later VALUES ('x')",
                   "INSERT INTO people VALUES (2, 'bob@example.org', 'k=>after')"],
    "mysql": ["CREATE VIEW v_late AS SELECT id, v FROM v_inner WHERE v > 5 WITH LOCAL CHECK OPTION",
              "INSERT INTO v_checked VALUES (2, 20)"],
}


def objects(url: str, dialect: str) -> dict:
    """What the two cases are about, read back from the database."""
    if dialect == "postgresql":
        return {
            "extensions": execute(url, "SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n"
                                       " ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1"),
            "people": execute(url, "SELECT id, email, ext.fetchval(tags, 'k'), pg_typeof(email)::text FROM people"
                                   " WHERE email = 'ANN@EXAMPLE.ORG' OR id > 1 ORDER BY id"),
            "later": execute(url, "SELECT count(*) FROM pg_class WHERE relname = 'later'"),
        }
    return {
        "views": execute(url, "SELECT TABLE_NAME, CHECK_OPTION FROM information_schema.VIEWS"
                              " WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1"),
        "t": execute(url, "SELECT id, v FROM t ORDER BY id"),
    }


def state(url: str, dialect: str) -> dict:
    return {"tables": user_tables(url), "a": rows_of_a(url), **objects(url, dialect)}


def prepared(url: str, dialect: str, tmp_path: Path) -> dict:
    """As test_restore_faults.prepared, with the dialect's objects before and after the backup."""
    execute(url, *BEFORE_BACKUP[dialect])
    mdir = tmp_path / "m"
    write_sql(mdir, A, "CREATE TABLE a (v VARCHAR(40));", "DROP TABLE a;")
    base = ["--db", url, "--migrations", str(mdir)]
    code, out, err = run_cli(*base, "deploy", "--to", A, "--no-backup")
    assert code == 0, out + err
    execute(url, "INSERT INTO a (v) VALUES ('before the backup')")
    snap = tmp_path / "b" / f"snap{SUFFIX[dialect]}"
    code, out, err = run_cli(*base, "backup", "--out", str(snap))
    assert code == 0, out + err
    backup_state = state(url, dialect)
    write_sql(mdir, B, "CREATE TABLE b (id INTEGER);", "DROP TABLE b;", depends=[A])
    code, out, err = run_cli(*base, "deploy", "--no-backup")
    assert code == 0, out + err
    execute(url, "INSERT INTO a (v) VALUES ('after the backup')", *AFTER_BACKUP[dialect])
    before = state(url, dialect)
    assert before != backup_state
    return {"base": base, "snap": snap, "backup": backup_state, "before": before, "history": history_pairs(url)}


def assert_ends(url: str, dialect: str, setup: dict, data_dir: Path, expect: str) -> None:
    assert state(url, dialect) == setup[expect], f"expected the database as {expect}"
    whole = {**setup, expect: {"tables": setup[expect]["tables"], "a": setup[expect]["a"]}}
    assert_whole(url, dialect, whole, data_dir, expect)
    if dialect == "mysql":  # the check option is really there, not only listed
        with pytest.raises(Exception, match="CHECK OPTION failed"):
            execute(url, "INSERT INTO v_checked VALUES (99, 0)")


DIALECTS = ["postgresql", "mysql"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_restore_of_extensions_and_check_option_views_succeeds(make_db, dialect, tmp_path, data_dir):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    code, out, err = run_cli(*setup["base"], "restore", str(setup["snap"]), "--yes")
    assert code == 0, out + err
    assert_ends(url, dialect, setup, data_dir, "backup")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("point", POINTS)
def test_restore_killed_at_each_step(make_db, dialect, tmp_path, data_dir, point, figures):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    proc = ForkedCli([*setup["base"], "restore", str(setup["snap"]), "--yes"],
                     env={"NEXO_FAULT": f"restore:{point}"})
    proc.go()
    assert proc.wait() == -9, proc.stderr
    said = next_command(setup, tmp_path)
    expect = KILLED_ENDS[point]
    assert_ends(url, dialect, setup, data_dir, expect)
    if expect == "before":
        assert "as it was" in said
    figures("restore faults", f"{dialect} kills (extensions, check option views)", 1)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("point", POINTS)
def test_restore_failing_at_each_step(make_db, dialect, tmp_path, data_dir, point, monkeypatch, figures):
    url = make_db(dialect)
    setup = prepared(url, dialect, tmp_path)
    monkeypatch.setenv("NEXO_FAULT", f"restore:{point}:fail")
    code, out, err = run_cli(*setup["base"], "restore", str(setup["snap"]), "--yes")
    monkeypatch.delenv("NEXO_FAULT")
    if point == "after_reinsert":  # restored and recorded; only the clean-up failed
        assert code == 0, out + err
        next_command(setup, tmp_path)
        assert_ends(url, dialect, setup, data_dir, "backup")
    else:
        assert code == 1, out + err
        assert "put back as it was" in err, err
        assert_ends(url, dialect, setup, data_dir, "before")
        code, out, err = run_cli("--db", url, "history", "--json", "--limit", "1")
        assert '"restore"' in out and '"failed"' in out
    figures("restore faults", f"{dialect} failures (extensions, check option views)", 1)
