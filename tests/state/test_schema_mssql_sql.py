"""SQL Server schema reflection without a server: every catalog query parses as T-SQL, compiles
with SQLAlchemy's mssql dialect with its schema parameter bound, and reads only sys views."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import sqlglot
from sqlalchemy.dialects import mssql as mssql_dialect

from nexo_studio.core.schema import mssql


@pytest.mark.parametrize("name", sorted(mssql.QUERIES))
def test_catalog_query_parses_as_tsql_and_compiles(name):
    sql = mssql.QUERIES[name]
    tree = sqlglot.parse_one(sql.replace(":s", "@s"), read="tsql")
    tables = {f"{t.db}.{t.name}".lower() for t in tree.find_all(sqlglot.exp.Table)}
    assert tables and all(t.startswith("sys.") for t in tables), tables
    compiled = sa.text(sql).compile(dialect=mssql_dialect.dialect())
    assert list(compiled.params) == ["s"]
    assert "SCHEMA_ID(:s)" in sql


def test_every_query_filters_on_the_schema():
    for name, sql in mssql.QUERIES.items():
        assert "SCHEMA_ID(:s)" in sql, name


def test_a_dialect_without_a_reflector_is_a_typed_error():
    from nexo_studio.core.schema.reflect import reflect
    from nexo_studio.errors import SchemaReflectionUnsupported

    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn, pytest.raises(SchemaReflectionUnsupported) as info:
        reflect(conn, "oracle")
    assert info.value.dialect == "oracle" and info.value.exit_code == 2
