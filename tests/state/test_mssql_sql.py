"""SQL Server without a server: the state tables' DDL, the lock statements and the sample
project's mssql sections, compiled and checked as text (README says what this does not cover)."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateTable

from nexo_studio.core.project import Project
from nexo_studio.core.state.locks import lock_name, mssql_lock_sql, mssql_unlock_sql
from nexo_studio.core.state.tables import make_tables


@pytest.fixture
def dialect():
    d = mssql.dialect()
    d.server_version_info = (16, 0)
    d._setup_version_attributes()
    return d


def ddl(table, dialect) -> str:
    return " ".join(str(CreateTable(table).compile(dialect=dialect)).split())


def test_state_tables_compile_with_microsecond_timestamps_and_named_keys(dialect):
    t = make_tables()
    mig = ddl(t.migrations, dialect)
    hist = ddl(t.history, dialect)
    assert mig.startswith("CREATE TABLE [__Migrations]")
    assert "CONSTRAINT [__Migrations_pk] PRIMARY KEY (id)" in mig
    assert "applied_at DATETIME2(6) NULL" in mig
    assert "metadata VARCHAR(max) NULL" in mig
    assert hist.startswith("CREATE TABLE [__MigrationHistory]")
    assert "seq BIGINT NOT NULL" in hist and "IDENTITY" not in hist  # seq is assigned, not generated
    assert "started_at DATETIME2(6) NOT NULL" in hist
    assert "CONSTRAINT [__MigrationHistory_pk] PRIMARY KEY (seq)" in hist
    assert "hash VARCHAR(64) NOT NULL" in hist


def test_state_tables_in_a_named_schema(dialect):
    t = make_tables("dbo")
    assert ddl(t.migrations, dialect).startswith("CREATE TABLE dbo.[__Migrations]")


def test_lock_statements_use_a_session_applock_and_quote_the_resource():
    sql = mssql_lock_sql(lock_name("sales"), 2500)
    assert "sp_getapplock @Resource = N'nexo:sales'" in sql
    assert "@LockMode = 'Exclusive'" in sql and "@LockOwner = 'Session'" in sql
    assert "@LockTimeout = 2500" in sql
    assert mssql_lock_sql("nexo:o'brien", 0).count("o''brien") == 1
    assert mssql_unlock_sql("nexo:sales") == "EXEC sp_releaseapplock @Resource = N'nexo:sales', @LockOwner = 'Session'"


def test_long_database_names_give_lock_names_within_64_characters():
    name = lock_name("x" * 200)
    assert len(name) <= 64 and name.startswith("nexo:")
    assert lock_name("x" * 200) == name and lock_name("y" * 200) != name


def test_sample_project_mssql_sections_are_tsql(sample_dir):
    project = Project.load(sample_dir)
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot parses T-SQL; not a runtime dependency")
    checked = 0
    for m in project.migrations.values():
        if m.kind != "sql":
            continue
        for kind in ("up", "down", "verify"):
            for st in m.statements(kind, "mssql"):
                sql = st.sql
                assert "$$" not in sql and " BOOLEAN" not in sql.upper() and "AUTO_INCREMENT" not in sql.upper(), (m.id, sql)
                parsed = sqlglot.parse(sql, read="tsql")
                assert parsed and all(p is not None for p in parsed), (m.id, st.line)
                checked += 1
    assert checked > 20


def test_sample_project_has_mssql_variants_where_syntax_differs(sample_dir):
    project = Project.load(sample_dir)
    initial = project.migrations["2025.01.26.093000_initial_schema"]
    up = initial.section("up", "mssql")
    assert up is not None and up.dialect == "mssql"
    assert "IDENTITY" in up.text.upper()
    assert initial.checksum("mssql") != initial.checksum("sqlite")


def test_restore_on_sql_server_is_refused_before_it_connects(tmp_path):
    """The never-less-than-it-found restore is not built for SQL Server: refused with a clear
    error before any connection (the host below does not exist) and before any change."""
    from datetime import datetime, timezone

    from nexo_studio.core.backup.recovery import restore_safely
    from nexo_studio.core.target import Target
    from nexo_studio.errors import BackupError

    dump = tmp_path / "shop.bak"
    dump.write_bytes(b"TAPE")
    target = Target("mssql+pyodbc://sa@nexo-no-such-host.invalid/shop?driver=ODBC+Driver+18+for+SQL+Server")
    try:
        with pytest.raises(BackupError, match="restoring a mssql database is not supported"):
            restore_safely(target, dump, {}, started=datetime.now(timezone.utc), deployment_id="d")
    finally:
        target.dispose()
    assert dump.read_bytes() == b"TAPE" and sorted(p.name for p in tmp_path.iterdir()) == ["shop.bak"]
