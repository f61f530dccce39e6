"""What a migration leaves behind in its session must not make the recorded state untrue or reach
the next migration (adversarial run, 2026-12-03), through the real entry point:

- a ``transaction: none`` migration that opens a transaction and never commits it (``BEGIN``
  without ``COMMIT``, MySQL ``SET autocommit = 0``): the server rolls its last statements back
  when the connection closes, so it must not be recorded ``applied``;
- PostgreSQL ``SET ROLE`` / ``SET SESSION AUTHORIZATION``, which ``RESET ALL`` leaves alone: the
  tool's own writes and the next migration must run as the user that connected;
- MySQL/MariaDB session state (``sql_mode``, ``foreign_key_checks``, ``USE other_db``, ``LOCK TABLES``, user
  variables): the next migration must start in a fresh session, as it would in the mariadb
  client. Leaked, a migration's ``SET sql_mode = ''`` let the next one's INSERT truncate values
  the server's strict mode refuses, and ``USE`` put the next one's tables in another database.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.helpers.projects import write_sql
from tests.reliability.harness import execute, run_entry_point, statuses

FIRST = "2025.06.01.000001_first"
SECOND = "2025.06.01.000002_second"


def deploy_json(url: str, mdir: Path, *extra: str) -> tuple[int, dict]:
    proc = run_entry_point("--db", url, "--migrations", str(mdir), "deploy", "--no-backup", "--json", *extra)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not one JSON document (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


OPENERS = {"sqlite": ["BEGIN;", "BEGIN IMMEDIATE TRANSACTION;"], "postgresql": ["BEGIN;", "START TRANSACTION;"],
           "mysql": ["START TRANSACTION;", "SET autocommit = 0;"]}


@pytest.mark.parametrize("opener", [0, 1])
def test_a_transaction_left_open_by_a_transaction_none_migration_is_not_recorded_applied(
        db_url, dialect, tmp_path, opener):
    write_sql(tmp_path, FIRST,
              f"CREATE TABLE kept (id INTEGER PRIMARY KEY);\n{OPENERS[dialect][opener]}\n"
              "INSERT INTO kept VALUES (1);",
              "DROP TABLE kept;", extra="-- transaction: none")
    code, doc = deploy_json(db_url, tmp_path)
    rows = execute(db_url, "SELECT id FROM kept")
    state = statuses(db_url, tmp_path)[FIRST]
    # the INSERT was rolled back by the server when the connection closed: never "applied"
    assert rows == [], rows
    assert code == 1 and doc["ok"] is False, doc
    assert state == "dirty", state  # its CREATE TABLE was committed
    assert "left a transaction open" in doc["error"]["message"], doc["error"]
    if dialect != "mysql":  # DDL is transactional there: the reason is `transaction: none`, said so
        assert "does not roll back DDL" not in doc["message"], doc["message"]
        assert "`transaction: none`" in doc["message"], doc["message"]


@pytest.mark.parametrize("how", ["SET ROLE {role}", "SET SESSION AUTHORIZATION {role}"])
def test_a_role_set_by_a_migration_does_not_reach_the_next_one_or_the_state_writes(make_db, tmp_path, how):
    url = make_db("postgresql")
    role = f"nexo_attack_{uuid.uuid4().hex[:10]}"
    # the role may create tables but has no right on the tool's tables
    execute(url, f"CREATE ROLE {role} NOLOGIN", f"GRANT CREATE ON SCHEMA public TO {role}")
    try:
        write_sql(tmp_path, FIRST, f"{how.format(role=role)};\nCREATE TABLE owned_by_role (id INTEGER);",
                  "DROP TABLE owned_by_role;")
        write_sql(tmp_path, SECOND, "CREATE TABLE owned_by_deployer (id INTEGER);",
                  "DROP TABLE owned_by_deployer;", depends=[FIRST])
        code, doc = deploy_json(url, tmp_path)
        owners = dict(execute(url, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename LIKE 'owned_by_%'"))
        me = execute(url, "SELECT current_user")[0][0]
        assert code == 0, doc
        assert owners == {"owned_by_role": role, "owned_by_deployer": me}, owners
    finally:
        execute(url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_mysql_session_state_does_not_reach_the_next_migration(make_db, tmp_path):
    url = make_db("mysql")
    other = f"nexo_attack_{uuid.uuid4().hex[:10]}"
    write_sql(tmp_path, FIRST,
              f"CREATE DATABASE {other};\nUSE {other};\n"
              "SET SESSION sql_mode = '';\nSET SESSION foreign_key_checks = 0;\nSET @leak = 'yes';",
              f"DROP DATABASE {other};")
    write_sql(tmp_path, SECOND,
              "CREATE TABLE seen AS SELECT DATABASE() AS db, @@SESSION.sql_mode AS sql_mode, "
              "@@SESSION.foreign_key_checks AS fk, @leak AS leak;",
              "DROP TABLE seen;", depends=[FIRST])
    try:
        code, doc = deploy_json(url, tmp_path)
        fresh = execute(url, "SELECT DATABASE(), @@SESSION.sql_mode, @@SESSION.foreign_key_checks, @leak")
        assert code == 0, doc
        where = execute(url, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'seen'")
        seen = execute(url, f"SELECT db, sql_mode, fk, leak FROM `{where[0][0]}`.seen")
        assert seen == fresh, (where, seen, fresh)
    finally:
        execute(url, f"DROP DATABASE IF EXISTS {other}")


@pytest.mark.parametrize("sets", [
    "SELECT COUNT(*) INTO @leak FROM src;",  # no SET anywhere: assigned by SELECT … INTO
    "UPDATE src SET n = (@leak := n + 1);",  # assigned inline, inside another statement
    "SELECT GET_LOCK('nexo_attack_lock', 0) INTO @got;",  # a user-level lock held by the session
])
def test_mysql_user_variables_and_locks_set_without_set_do_not_reach_the_next_migration(make_db, tmp_path, sets):
    """User variables are session state however they are assigned; the next migration must read
    NULL, as it would in a fresh mariadb client. A ``GET_LOCK`` left held by the shared
    connection would be held by the tool for the rest of the deploy."""
    url = make_db("mysql")
    write_sql(tmp_path, FIRST, f"CREATE TABLE src (n INTEGER);\nINSERT INTO src VALUES (1);\n{sets}",
              "DROP TABLE src;")
    write_sql(tmp_path, SECOND,
              "CREATE TABLE seen AS SELECT @leak AS leak, @got AS got, IS_USED_LOCK('nexo_attack_lock') AS held;",
              "DROP TABLE seen;", depends=[FIRST])
    code, doc = deploy_json(url, tmp_path)
    assert code == 0, doc
    assert execute(url, "SELECT leak, got, held FROM seen") == [(None, None, None)]


def test_mysql_lock_tables_left_held_by_a_migration_does_not_break_the_bookkeeping(make_db, tmp_path):
    """``LOCK TABLES`` held to the end of a migration made every write to the tool's own tables
    fail ("Table '__Migrations' was not locked with LOCK TABLES"): the deploy died with a bare
    database error, no ``deploy_end``, the applied migration left ``running``."""
    url = make_db("mysql")
    write_sql(tmp_path, FIRST, "CREATE TABLE locked (id INTEGER PRIMARY KEY);\nLOCK TABLES locked WRITE;\n"
                               "INSERT INTO locked VALUES (1);", "DROP TABLE locked;")
    write_sql(tmp_path, SECOND, "CREATE TABLE after_lock (id INTEGER);", "DROP TABLE after_lock;", depends=[FIRST])
    code, doc = deploy_json(url, tmp_path)
    assert code == 0, doc
    assert statuses(url, tmp_path) == {FIRST: "applied", SECOND: "applied"}
    assert execute(url, "SELECT id FROM locked") == [(1,)]


def test_a_temporary_table_of_a_migration_does_not_swallow_the_next_ones_rows(db_url, tmp_path):
    """A temporary table shadows a table of the same name (PostgreSQL's pg_temp and SQLite's
    temp schema are searched first; MySQL's temporary tables hide base tables): leaked into the
    next migration, that migration's INSERT went into the temporary table, which vanished with
    the session -- recorded ``applied``, the rows lost."""
    write_sql(tmp_path, FIRST, "CREATE TEMPORARY TABLE staging (id INTEGER);\nINSERT INTO staging VALUES (1);\n"
                               "CREATE TABLE loaded (id INTEGER);\nINSERT INTO loaded SELECT id FROM staging;",
              "DROP TABLE loaded;")
    write_sql(tmp_path, SECOND, "CREATE TABLE staging (id INTEGER);\nINSERT INTO staging VALUES (42);",
              "DROP TABLE staging;", depends=[FIRST])
    code, doc = deploy_json(db_url, tmp_path)
    assert code == 0, doc
    assert execute(db_url, "SELECT id FROM loaded") == [(1,)]
    assert execute(db_url, "SELECT id FROM staging") == [(42,)]


@pytest.mark.parametrize("make", ["CREATE TABLE temp.staging (id INTEGER)", "CREATE TEMP VIEW staging AS SELECT 7 AS id",
                                  "python"])
def test_sqlite_temporary_objects_however_made_do_not_reach_the_next_migration(make_db, tmp_path, make):
    """SQLite looks for temporary objects only after a migration whose text says ``temp``
    (no dynamic SQL can make one otherwise) or a Python one: each spelling is found and dropped."""
    url = make_db("sqlite")
    if make == "python":
        (tmp_path / f"{FIRST}.py").write_text(
            "def up(conn):\n    conn.exec_driver_sql('CREATE TEMP TABLE staging (id INTEGER)')\n"
            "def down(conn):\n    pass\n", encoding="utf-8")
    else:
        write_sql(tmp_path, FIRST, f"{make};", "SELECT 1;")
    write_sql(tmp_path, SECOND, "CREATE TABLE staging (id INTEGER);\nINSERT INTO staging VALUES (42);",
              "DROP TABLE staging;", depends=[FIRST])
    code, doc = deploy_json(url, tmp_path)
    assert code == 0, doc
    assert execute(url, "SELECT id FROM main.staging") == [(42,)]


@pytest.mark.parametrize("kind", ["sql", "py"])
def test_a_sqlite_pragma_set_by_a_migration_does_not_reach_the_next_one(make_db, tmp_path, kind):
    """``PRAGMA ignore_check_constraints = ON`` (or ``legacy_alter_table``, ``recursive_triggers``
    …) holds for the connection: leaked, the next migration's INSERT of a row its own CHECK
    refuses went in -- as it never would through sqlite3, one file per session."""
    url = make_db("sqlite")
    if kind == "sql":
        write_sql(tmp_path, FIRST, "PRAGMA ignore_check_constraints = ON;\n"
                                   "CREATE TABLE first_t (id INTEGER);", "DROP TABLE first_t;")
    else:
        (tmp_path / f"{FIRST}.py").write_text(
            'description = "pragma"\ndepends = []\n\n\ndef up(conn):\n'
            '    conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")\n'
            '\n\n'
            'def down(conn):\n    pass\n', encoding="utf-8")
    write_sql(tmp_path, SECOND, "CREATE TABLE price (amount INTEGER CHECK (amount > 0));\n"
                                "INSERT INTO price VALUES (-5);", "DROP TABLE price;", depends=[FIRST])
    code, doc = deploy_json(url, tmp_path)
    assert code == 1, doc  # the CHECK refuses the row, as sqlite3 would
    assert doc["failed"] == SECOND and "CHECK constraint failed" in doc["error"]["message"], doc["error"]
    assert execute(url, "SELECT name FROM sqlite_master WHERE name = 'price'") == []
