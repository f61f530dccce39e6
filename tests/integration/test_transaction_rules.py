"""Transaction control in a per-migration SQL migration is refused at validate time (it would
commit part of the migration, which would then be recorded ``failed``: "nothing of it is in the
database"); SAVEPOINT is fine; under ``transaction: none`` COMMIT is harmless and allowed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.cli.main import main
from nexo_studio.core.project import Project
from nexo_studio.core.transaction_rules import (_AFTER_SEMICOLON, _AT_START, _mentions, copy_with_client,
                                                transaction_control)
from tests.helpers.projects import user_tables, write_sql

FIRST = "2025.06.01.000001_first"
SECOND = "2025.06.01.000002_second"


@pytest.mark.parametrize("sql, command", [
    ("COMMIT", "COMMIT"), ("commit work", "COMMIT"), ("/* c */ -- d\n  BEGIN", "BEGIN"),
    ("BEGIN TRANSACTION", "BEGIN"), ("BEGIN IMMEDIATE", "BEGIN"), ("START TRANSACTION", "START TRANSACTION"),
    ("END", "END"), ("end transaction", "END"), ("ROLLBACK", "ROLLBACK"), ("ROLLBACK WORK", "ROLLBACK"),
    ("ABORT", "ABORT"),
    ("ROLLBACK TO SAVEPOINT s1", None), ("rollback work to s1", None), ("SAVEPOINT s1", None),
    ("RELEASE SAVEPOINT s1", None), ("DO $$ BEGIN COMMIT; END $$", None),
    ("CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END", None), ("BEGIN TRY SELECT 1 END TRY", None),
    ("INSERT INTO log (msg) VALUES ('COMMIT')", None), ('SELECT "commit" FROM t', None),
])
def test_transaction_control_is_judged_by_the_leading_keywords(sql, command):
    assert transaction_control(sql) == command


@pytest.mark.parametrize("sql, found", [
    ("COPY t FROM stdin", "COPY … FROM STDIN"), ("copy t (a, b) from STDIN with (format csv)", "COPY … FROM STDIN"),
    ("COPY t TO STDOUT", "COPY … TO STDOUT"), ("COPY t FROM '/srv/t.csv'", None),
    ("COPY (SELECT 1 FROM stdin) TO '/srv/x'", None), ("SELECT 'COPY t FROM stdin'", None),
])
def test_copy_with_the_client_is_found(sql, found):
    assert copy_with_client(sql) == found


def _project(tmp_path, up: str, extra: str = ""):
    write_sql(tmp_path, FIRST, "CREATE TABLE tr0 (id INTEGER);", "DROP TABLE tr0;")
    return write_sql(tmp_path, SECOND, up, "DROP TABLE tr1;", depends=[FIRST], extra=extra)


@pytest.mark.parametrize("statement", ["COMMIT;", "BEGIN;", "START TRANSACTION;", "ROLLBACK;"])
def test_deploy_refuses_transaction_control_in_a_per_migration_migration(db_url, tmp_path, capsys, statement):
    path = _project(tmp_path, f"CREATE TABLE tr1 (id INTEGER);\n-- keep it\n{statement}\n"
                              "INSERT INTO tr1 (id) VALUES (1);")
    code = main(["--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 2
    found = [f for f in doc["error"]["findings"] if f["code"] == "transaction_control"]
    assert len(found) == 1 and found[0]["line"] == 6 and found[0]["path"] == str(path)
    assert found[0]["ids"] == [SECOND] and "transaction: none" in found[0]["message"]
    assert f"{path.name}:6" in found[0]["message"]
    assert user_tables(db_url) == set()  # nothing applied, not even the first migration
    # validate says the same
    code = main(["--db", db_url, "--migrations", str(tmp_path), "validate"])
    out = capsys.readouterr()
    assert code == 2 and "transaction_control" in out.out + out.err


def test_savepoints_and_transaction_none_commits_are_allowed(db_url, dialect, tmp_path, capsys):
    _project(tmp_path, "CREATE TABLE tr1 (id INTEGER);\nSAVEPOINT s1;\nINSERT INTO tr1 (id) VALUES (1);\n"
                       "ROLLBACK TO SAVEPOINT s1;\nRELEASE SAVEPOINT s1;")
    write_sql(tmp_path, "2025.06.01.000003_third", "BEGIN;\nINSERT INTO tr1 (id) VALUES (3);\nCOMMIT;",
              "DELETE FROM tr1;", depends=[SECOND], extra="-- transaction: none")
    assert not [f for f in Project.load(tmp_path).findings(dialect) if f.level == "error"]
    code = main(["--db", db_url, "--migrations", str(tmp_path), "deploy", "--no-backup", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["status"] == "deployed", doc["message"]
    assert {"tr0", "tr1"} <= user_tables(db_url)


def test_a_dialect_variant_is_judged_on_its_dialect_only(tmp_path):
    write_sql(tmp_path, FIRST, "CREATE TABLE tr0 (id INTEGER);", "DROP TABLE tr0;",
              variants={"up postgresql": "CREATE TABLE tr0 (id INTEGER);\nCOMMIT;"})
    project = Project.load(tmp_path)
    assert [f.code for f in project.findings("postgresql") if f.level == "error"] == ["transaction_control"]
    assert not [f for f in project.findings("sqlite") if f.level == "error"]
    assert [f.code for f in project.findings(None) if f.level == "error"] == ["transaction_control"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["; ", ";", "\n", " ", "-- c\n", "/* c */", "Begin", "START", "commit", "end",
                                 "ROLLBACK", "abort", "copy", "COPY", "create", "CO", "e", "nd", "x", "ALTER",
                                 "_", "(", "'"]), max_size=14).map("".join),
       st.sampled_from([None, "sqlite", "postgresql", "mysql", "mssql"]))
def test_property_the_semicolon_prefilter_never_hides_a_keyword(text, dialect):
    """`_mentions` looks past the cheap test only where it could match: the answer is the full regexes'."""
    full = dialect == "mssql" or bool(_AT_START.match(text) or _AFTER_SEMICOLON.search(text))
    assert _mentions(text, dialect) == full


def test_a_keyword_after_a_semicolon_and_a_comment_is_still_found(tmp_path):
    write_sql(tmp_path, FIRST, "CREATE TABLE tr0 (id INTEGER);\n/* done */ COMMIT;", "DROP TABLE tr0;")
    assert [f.code for f in Project.load(tmp_path).findings("sqlite") if f.level == "error"] == ["transaction_control"]
