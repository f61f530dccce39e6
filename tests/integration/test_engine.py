"""The engine end to end on SQLite, PostgreSQL and MariaDB: one test body per behaviour."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from nexo_studio.core.events import run
from nexo_studio.core.operations import audit_verify, repair, status
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback
from nexo_studio.core.project import Project
from nexo_studio.core.target import Target
from nexo_studio.errors import DatabaseNeedsRepair, HasDependents, Irreversible, StepFailed
from tests.helpers.projects import all_objects, diamond_project, table_project, user_tables, write_sql

NO_PIPELINE = DeployOptions(backup=False, verify=True)


def do_deploy(project: Project, url: str, **kw):
    target = Target(url)
    try:
        return run(deploy(project, target, DeployOptions(backup=False, **kw)))
    finally:
        target.dispose()


def do_rollback(project: Project, url: str, **kw):
    target = Target(url)
    try:
        return run(rollback(project, target, RollbackOptions(**kw)))
    finally:
        target.dispose()


def statuses(project: Project, url: str) -> dict[str, str]:
    target = Target(url)
    try:
        return {s.id: s.status for s in status(project, target).states}
    finally:
        target.dispose()


def history(url: str) -> list:
    target = Target(url)
    try:
        with target.connect() as conn:
            return list(target.store.history(conn))
    finally:
        target.dispose()


def test_sample_project_deploys_verifies_and_rolls_back_to_zero(db_url, sample_dir):
    project = Project.load(sample_dir)
    result = do_deploy(project, db_url)
    assert result.ok, result.message
    assert result.status == "deployed"
    assert result.step("verify").status == "ok"
    assert set(statuses(project, db_url).values()) == {"applied"}
    assert {"users", "roles", "projects", "api_tokens"} <= user_tables(db_url)
    again = do_deploy(project, db_url)
    assert again.status == "up_to_date"
    back = do_rollback(project, db_url, to="0")
    assert back.ok, back.message
    assert user_tables(db_url) == set()
    assert set(statuses(project, db_url).values()) == {"pending"}
    # and once more: up again after a full rollback works
    assert do_deploy(project, db_url).ok
    target = Target(db_url)
    assert audit_verify(target).ok
    target.dispose()


def test_deploy_to_applies_target_and_its_dependencies_only(db_url, tmp_path):
    ids = diamond_project(tmp_path)
    project = Project.load(tmp_path)
    result = do_deploy(project, db_url, to=ids["b"])
    assert result.applied == [ids["a"], ids["b"]]
    assert user_tables(db_url) == {"a_t", "b_t"}
    # by version: everything up to c's version, plus dependencies
    result = do_deploy(project, db_url, to=project.migrations[ids["c"]].version)
    assert result.applied == [ids["c"]]
    assert user_tables(db_url) == {"a_t", "b_t", "c_t"}


def test_rollback_to_middle_version_removes_exactly_the_newer_tables(db_url, tmp_path):
    ids = table_project(tmp_path, 5)
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    result = do_rollback(project, db_url, to=ids[2])
    assert result.rolled_back == [ids[4], ids[3]]
    assert user_tables(db_url) == {"t1", "t2", "t3"}
    st = statuses(project, db_url)
    assert [st[i] for i in ids] == ["applied"] * 3 + ["pending"] * 2


def test_with_dependents_on_a_diamond_rolls_back_dependents_first(db_url, tmp_path):
    ids = diamond_project(tmp_path)
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    with pytest.raises(HasDependents) as info:
        do_rollback(project, db_url, one=ids["b"])
    assert ids["d"] in str(info.value)
    result = do_rollback(project, db_url, one=ids["a"], with_dependents=True)
    assert result.rolled_back[0] == ids["d"]
    assert result.rolled_back[-1] == ids["a"]
    assert set(result.rolled_back[1:3]) == {ids["b"], ids["c"]}
    assert user_tables(db_url) == set()
    rows = [h for h in history(db_url) if h.action == "rollback"]
    assert [h.migration_id for h in rows] == result.rolled_back


def test_drift_and_missing_files_are_reported_and_block_deploy(db_url, tmp_path):
    ids = table_project(tmp_path, 3)
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    # edit an applied file, delete another, add a new pending one
    p = tmp_path / f"{ids[0]}.sql"
    p.write_text(p.read_text().replace("v VARCHAR(20)", "v VARCHAR(30)"))
    (tmp_path / f"{ids[2]}.sql").unlink()
    write_sql(tmp_path, "2025.01.02.000000_later", "CREATE TABLE later_t (id INTEGER);", "DROP TABLE later_t;")
    project = Project.load(tmp_path)
    st = statuses(project, db_url)
    assert st[ids[0]] == "drifted"
    assert st[ids[2]] == "missing"
    target = Target(db_url)
    snap = status(project, target)
    codes = {(f.code, f.ids[0]) for f in snap.findings}
    assert ("drift", ids[0]) in codes and ("missing", ids[2]) in codes
    with pytest.raises(DatabaseNeedsRepair) as info:
        run(deploy(project, target, DeployOptions(backup=False)))
    assert ids[0] in str(info.value)
    assert "later_t" not in user_tables(db_url)
    run(repair(project, target, ids[0], accept_checksum=True))
    run(repair(project, target, ids[2], forget_missing=True))
    assert run(deploy(project, target, DeployOptions(backup=False))).ok
    target.dispose()
    assert "later_t" in user_tables(db_url)


def test_failing_statement_leaves_earlier_applied_and_nothing_half_done(db_url, dialect, tmp_path):
    ids = table_project(tmp_path, 2)
    bad = "2025.01.01.000003_broken"
    write_sql(tmp_path, bad, "CREATE TABLE partial_t (id INTEGER);\nINSERT INTO no_such_table VALUES (1);",
              "DROP TABLE partial_t;", depends=[ids[-1]])
    project = Project.load(tmp_path)
    result = do_deploy(project, db_url, auto_rollback=False)
    assert not result.ok
    assert result.applied == ids
    assert isinstance(result.error, StepFailed)
    assert result.error.migration_id == bad
    assert result.error.line == 5  # the failing INSERT's line in the file
    assert "no_such_table" in result.error.statement
    st = statuses(project, db_url)
    assert [st[i] for i in ids] == ["applied", "applied"]
    failed_rows = [h for h in history(db_url) if h.migration_id == bad]
    assert failed_rows[-1].status == "failed" and "no_such_table" in failed_rows[-1].details
    if dialect == "mysql":
        # DDL auto-commits: the created table stays and the migration is dirty
        assert st[bad] == "dirty"
        assert "partial_t" in user_tables(db_url)
        assert "DIRTY" in result.message and f"nexo repair {bad}" in result.message
        with pytest.raises(DatabaseNeedsRepair):
            do_deploy(project, db_url)
    else:
        assert st[bad] == "failed"  # last attempt failed; nothing of it is in the database
        assert "partial_t" not in user_tables(db_url)


def test_failure_with_auto_rollback_restores_the_previous_schema(db_url, tmp_path):
    base = table_project(tmp_path, 1, prefix="base")
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    before = user_tables(db_url)
    ids = table_project(tmp_path, 2, prefix="new", day=2)
    write_sql(tmp_path, "2025.01.03.000009_broken", "INSERT INTO no_such_table VALUES (1);", "SELECT 1;",
              depends=[ids[-1]])
    project = Project.load(tmp_path)
    result = do_deploy(project, db_url)
    assert not result.ok
    assert result.status == "rolled_back"
    assert result.rolled_back == list(reversed(ids))
    assert user_tables(db_url) == before
    acts = [(h.action, h.status) for h in history(db_url) if h.migration_id and h.migration_id not in base]
    assert acts == [("apply", "ok"), ("apply", "ok"), ("apply", "failed"), ("rollback", "ok"), ("rollback", "ok")]


def test_irreversible_migration_blocks_rollback_by_name(db_url, tmp_path):
    ids = table_project(tmp_path, 1)
    write_sql(tmp_path, "2025.01.01.000005_seed_forever", "CREATE TABLE forever_t (id INTEGER);",
              depends=[ids[0]])
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    with pytest.raises(Irreversible) as info:
        do_rollback(project, db_url, to="0")
    assert "2025.01.01.000005_seed_forever" in str(info.value)
    assert user_tables(db_url) == {"t1", "forever_t"}


def test_concurrent_deploys_wait_for_the_lock_and_apply_once(db_url, tmp_path):
    slow = {
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c;",
        "postgresql": "SELECT pg_sleep(0.3);",
        "mysql": "SELECT SLEEP(0.3);",
    }
    ids = table_project(tmp_path, 3)
    write_sql(tmp_path, "2025.01.01.000004_slow", "CREATE TABLE slow_t (id INTEGER);\n-- slow\nSELECT 1;",
              "DROP TABLE slow_t;", depends=[ids[-1]],
              variants={f"up {d}": f"CREATE TABLE slow_t (id INTEGER);\n{q}" for d, q in slow.items()})
    project = Project.load(tmp_path)
    results, errors = [], []

    def worker():
        try:
            results.append(do_deploy(project, db_url, lock_timeout=60))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sorted(r.status for r in results) == ["deployed", "up_to_date", "up_to_date"]
    applies = [h.migration_id for h in history(db_url) if h.action == "apply"]
    assert sorted(applies) == sorted(project.migrations)
    target = Target(db_url)
    assert audit_verify(target).ok
    target.dispose()


def test_lock_timeout_names_the_holder(db_url):
    from nexo_studio.errors import LockTimeout

    holder, waiter = Target(db_url), Target(db_url)
    with holder.locked(5):
        with pytest.raises(LockTimeout) as info:
            with waiter.locked(0.3):
                pass
    assert info.value.holder  # every dialect here can tell who holds it
    holder.dispose()
    waiter.dispose()


def test_audit_verify_catches_an_edited_history_row(db_url, tmp_path):
    table_project(tmp_path, 3)
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    target = Target(db_url)
    assert audit_verify(target).ok
    with target.engine.begin() as conn:
        conn.execute(sa.text('UPDATE "__MigrationHistory" SET operator = :o WHERE seq = 3'.replace(
            '"', "`" if target.dialect == "mysql" else '"')), {"o": "mallory"})
    verdict = audit_verify(target)
    assert not verdict.ok and verdict.bad_seq == 3
    target.dispose()


def test_read_only_operations_create_nothing(db_url, tmp_path):
    table_project(tmp_path, 2)
    project = Project.load(tmp_path)
    target = Target(db_url)
    status(project, target)
    assert run(deploy(project, target, DeployOptions(dry_run=True))).status == "dry_run"
    assert run(rollback(project, target, RollbackOptions(to="0", dry_run=True))).status == "up_to_date"
    audit_verify(target)
    target.dispose()
    assert all_objects(db_url) == set()


def test_every_object_the_tool_creates_is_named_with_double_underscore(db_url, tmp_path):
    table_project(tmp_path, 1)
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    insp = sa.inspect(engine)
    own = {t for t in insp.get_table_names() if t != "t1"}
    assert own == {"__Migrations", "__MigrationHistory", "__NexoMeta", "__SchemaSnapshots"}
    for t in own:
        for ix in insp.get_indexes(t):
            assert ix["name"].startswith("__"), ix
        pk = insp.get_pk_constraint(t)
        if pk.get("name") and engine.dialect.name not in ("mysql", "mariadb", "sqlite"):
            assert pk["name"].startswith("__"), pk
    engine.dispose()


def test_sql_is_sent_verbatim_percent_question_mark_and_colon(db_url, tmp_path):
    write_sql(tmp_path, "2025.01.01.000001_texts", "CREATE TABLE texts (v VARCHAR(100));\n"
              "INSERT INTO texts (v) VALUES ('100% sure? :name %s %(x)s');", "DROP TABLE texts;")
    project = Project.load(tmp_path)
    assert do_deploy(project, db_url).ok
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT v FROM texts").scalar() == "100% sure? :name %s %(x)s"
    engine.dispose()


def test_transaction_none_runs_in_autocommit(db_url, tmp_path):
    write_sql(tmp_path, "2025.01.01.000001_plain", "CREATE TABLE plain_t (id INTEGER);\nCREATE INDEX ix_plain ON plain_t (id);",
              "DROP TABLE plain_t;", extra="-- transaction: none")
    project = Project.load(tmp_path)
    result = do_deploy(project, db_url)
    assert result.ok, result.message
    assert statuses(project, db_url)["2025.01.01.000001_plain"] == "applied"
    assert do_rollback(project, db_url, to="0").ok


@pytest.mark.parametrize("change", ["SET search_path TO other;",
                                    "SELECT set_config('search_path', 'other', false);",
                                    "DO $$ BEGIN PERFORM pg_catalog.set_config('search_path', 'other', false); END $$;"])
def test_postgres_session_settings_do_not_leak(make_db, tmp_path, change):
    url = make_db("postgresql")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA other")
    engine.dispose()
    write_sql(tmp_path, "2025.01.01.000001_set_path", change + "\nCREATE TABLE in_other (id INTEGER);",
              "DROP TABLE other.in_other;")
    write_sql(tmp_path, "2025.01.01.000002_after", "CREATE TABLE in_public (id INTEGER);", "DROP TABLE in_public;",
              depends=["2025.01.01.000001_set_path"])
    project = Project.load(tmp_path)
    assert do_deploy(project, url).ok
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    insp = sa.inspect(engine)
    assert "in_public" in insp.get_table_names(schema="public")
    assert "in_other" in insp.get_table_names(schema="other")
    engine.dispose()


def test_a_transactional_failure_shows_failed_and_can_be_retried(make_db, tmp_path):
    url = make_db("sqlite")
    write_sql(tmp_path, "2025.01.01.000001_flaky", "CREATE TABLE flaky_t (id INTEGER);\nINSERT INTO nope VALUES (1);",
              "DROP TABLE flaky_t;")
    project = Project.load(tmp_path)
    assert not do_deploy(project, url).ok
    assert statuses(project, url) == {"2025.01.01.000001_flaky": "failed"}
    write_sql(tmp_path, "2025.01.01.000001_flaky", "CREATE TABLE flaky_t (id INTEGER);", "DROP TABLE flaky_t;")
    project = Project.load(tmp_path)
    assert do_deploy(project, url).ok  # failed is informational: nothing of it was left behind
    assert statuses(project, url) == {"2025.01.01.000001_flaky": "applied"}
