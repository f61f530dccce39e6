"""Live schema reflection (SPEC §10): no false drift after deploy, rollback, redeploy, backup and
restore on every dialect -- for the sample project and for realistic schemas -- and every hand
change found and named by the diff."""

from __future__ import annotations

from pathlib import Path

import json

import pytest
import sqlalchemy as sa

from nexo_studio.core.backup.operations import backup, restore
from nexo_studio.core.events import run
from nexo_studio.core.pipeline import DeployOptions, RollbackOptions, deploy, rollback
from nexo_studio.core.project import Project
from nexo_studio.core.schema import canonical_json, diff, reflect, sha256
from nexo_studio.core.schema import snapshot as take_snapshot
from nexo_studio.core.target import Target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """Restore's safety dumps and journals go under the test's folder, not the user's."""
    monkeypatch.setenv("NEXO_DATA_DIR", str(tmp_path / "data"))


def project_dir(which: str, dialect: str, sample_dir: Path) -> Path:
    return sample_dir if which == "sample" else FIXTURES / f"schema_project_{dialect}"


def snapshot(url: str) -> str:
    target = Target(url)
    try:
        with target.connect() as conn:
            return canonical_json(reflect(conn))
    finally:
        target.dispose()


def assert_no_drift(url: str, expected: str) -> None:
    """Byte for byte; on a difference, the diff names what moved."""
    actual = snapshot(url)
    if actual != expected:
        changes = diff(json.loads(expected), json.loads(actual))
        pytest.fail("false drift:\n" + "\n".join(str(c) for c in changes) + f"\n{len(changes)} change(s)")


def do(url: str, operation, *args, **kw):
    target = Target(url)
    try:
        return run(operation(target, *args, **kw))
    finally:
        target.dispose()


def deploy_to(project: Project, url: str, to: str | None = None) -> None:
    result = do(url, lambda t: deploy(project, t, DeployOptions(backup=False, to=to)))
    assert result.ok, result.message


def rollback_to(project: Project, url: str, to: str) -> None:
    result = do(url, lambda t: rollback(project, t, RollbackOptions(to=to)))
    assert result.ok, result.message


def run_sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
    finally:
        engine.dispose()


# --- (a) + (b): no false drift --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["sample", "realistic"])
def test_no_false_drift_after_rollback_redeploy_backup_and_restore(make_db, dialect, which, sample_dir, tmp_path):
    project = Project.load(project_dir(which, dialect, sample_dir))
    ids = sorted(project.migrations)
    middle = ids[len(ids) // 2 - 1]

    straight = make_db(dialect)
    deploy_to(project, straight)
    expected = snapshot(straight)
    straight_middle = make_db(dialect)
    deploy_to(project, straight_middle, to=middle)
    expected_middle = snapshot(straight_middle)
    assert expected != expected_middle

    url = make_db(dialect)
    deploy_to(project, url)
    assert_no_drift(url, expected)
    rollback_to(project, url, middle)
    assert_no_drift(url, expected_middle)
    deploy_to(project, url)
    assert_no_drift(url, expected)

    path = do(url, backup, out=tmp_path / "before-hand-change.bak")
    run_sql(url, "CREATE TABLE hand_made (id INTEGER PRIMARY KEY)")
    assert snapshot(url) != expected
    do(url, restore, path)
    assert_no_drift(url, expected)


def test_the_tools_own_objects_are_never_reflected(make_db, dialect, sample_dir):
    url = make_db(dialect)
    deploy_to(Project.load(sample_dir), url)
    run_sql(url, "CREATE TABLE __nexo_restore_old_users (id INTEGER PRIMARY KEY)",
            "CREATE VIEW __hidden AS SELECT 1 AS x")
    text = snapshot(url)
    assert "__" not in text
    assert '"users"' in text and '"organization_overview"' in text


def test_same_schema_same_bytes_and_sha256(make_db, dialect, sample_dir):
    project = Project.load(sample_dir)
    a, b = make_db(dialect), make_db(dialect)
    deploy_to(project, a)
    deploy_to(project, b)
    ta, tb = Target(a), Target(b)
    try:
        with ta.connect() as ca, tb.connect() as cb:
            da, db = reflect(ca), reflect(cb)
    finally:
        ta.dispose()
        tb.dispose()
    assert canonical_json(da) == canonical_json(db)  # a different database name changes nothing
    assert sha256(da) == sha256(db) and len(sha256(da)) == 64
    assert diff(da, db) == []
    target = Target(a)
    try:
        with target.connect() as conn:
            snap = take_snapshot(conn, target.dialect, target.store.schema)
    finally:
        target.dispose()
    assert snap.canonical == canonical_json(da) and snap.sha256 == sha256(da) and snap.document == da


def _pg_url_with_extension(make_db) -> str:
    url = make_db("postgresql")
    run_sql(url, "CREATE EXTENSION citext", "CREATE TABLE people (id INTEGER PRIMARY KEY, email citext NOT NULL)")
    return url


def test_postgresql_extension_is_listed_and_its_objects_are_not(make_db):
    url = _pg_url_with_extension(make_db)
    doc = json.loads(snapshot(url))
    assert doc["extensions"] == {"citext": {"version": doc["extensions"]["citext"]["version"]}}
    assert doc["functions"] == {}  # citext's own functions belong to the extension
    assert doc["tables"]["people"]["columns"]["email"]["type"] == "CITEXT"


def test_postgresql_restore_of_a_database_with_an_extension_is_not_drift(make_db, tmp_path):
    url = _pg_url_with_extension(make_db)
    expected = snapshot(url)
    path = do(url, backup, out=tmp_path / "ext.bak")
    do(url, restore, path)
    assert_no_drift(url, expected)


def test_mariadb_restore_of_a_check_option_view_over_a_view_is_not_drift(make_db, tmp_path):
    url = make_db("mysql")
    run_sql(url, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)",
            "CREATE VIEW v_inner AS SELECT id, v FROM t",  # sorts after the view over it
            "CREATE VIEW v_checked AS SELECT id, v FROM v_inner WHERE v > 0 WITH CASCADED CHECK OPTION")
    expected = snapshot(url)
    path = do(url, backup, out=tmp_path / "views.sql")
    do(url, restore, path)
    assert_no_drift(url, expected)


def test_postgresql_named_schema_with_mixed_case_and_materialized_view_indexes(make_db):
    url = make_db("postgresql")
    run_sql(url, 'CREATE SCHEMA "Sales"', 'CREATE TABLE "Sales".orders (id INTEGER PRIMARY KEY, total NUMERIC)',
            'CREATE MATERIALIZED VIEW "Sales".mv AS SELECT count(*) AS n FROM "Sales".orders',
            'CREATE INDEX ix_mv_n ON "Sales".mv (n)', "CREATE TABLE public.elsewhere (id INTEGER)")
    target = Target(url)
    try:
        with target.connect() as conn:
            doc = reflect(conn, schema="Sales")
    finally:
        target.dispose()
    assert list(doc["tables"]) == ["orders"]
    assert doc["views"]["mv"]["materialized"] is True
    assert doc["views"]["mv"]["indexes"]["ix_mv_n"]["columns"] == ["n"]
