"""The state store's look at which of its tables exist (``StateStore.present``).

On PostgreSQL it is one plain catalogue query (``table_names_sql``) instead of SQLAlchemy's
Inspector, which costs ~1 ms of Python per call and runs several times per deploy of a fleet's
every target: the answer must be the Inspector's, whatever else the database holds. The
tables are built once per schema and shared by every store (a fleet's threads included).
"""

from __future__ import annotations

import sqlalchemy as sa

from nexo_studio.core.dialects import rules_for
from nexo_studio.core.state.tables import make_tables
from nexo_studio.core.target import Target

#: every kind of relation, in the default schema, another schema and the temporary one
RELATIONS = [
    "CREATE TABLE plain_t (id int)",
    'CREATE TABLE "__Migrations" (id int)',
    "CREATE TABLE part_t (id int) PARTITION BY RANGE (id)",
    "CREATE TABLE part_t_1 PARTITION OF part_t FOR VALUES FROM (0) TO (10)",
    "CREATE UNLOGGED TABLE unlogged_t (id int)",
    "CREATE VIEW view_t AS SELECT 1 AS x",
    "CREATE MATERIALIZED VIEW matview_t AS SELECT 1 AS x",
    "CREATE SEQUENCE seq_t",
    "CREATE TYPE type_t AS (a int)",
    "CREATE INDEX ix_plain_t ON plain_t (id)",
    "CREATE SCHEMA other",
    'CREATE TABLE other."__MigrationHistory" (id int)',
    "CREATE TABLE other.other_t (id int)",
]


def test_postgres_table_names_are_the_inspectors(make_db):
    url = make_db("postgresql")
    target = Target(url)
    try:
        with target.connect() as conn:
            for sql in RELATIONS:
                conn.exec_driver_sql(sql)
            conn.commit()
            # a temporary table named like the store's: only this session sees it, and not as ours
            conn.exec_driver_sql('CREATE TEMPORARY TABLE "__NexoMeta" (id int)')
            sql = rules_for("postgresql").table_names_sql
            assert sql is not None
            for schema in ("public", "other", "missing"):
                fast = set(conn.execute(sa.text(sql), {"s": schema}).scalars())
                assert fast == set(sa.inspect(conn).get_table_names(schema=schema)), schema
            assert target.store.present(conn) == {"__Migrations"}
            conn.rollback()
    finally:
        target.dispose()
    other = Target(url, "other")
    try:
        with other.connect() as conn:
            assert other.store.present(conn) == {"__MigrationHistory"}
    finally:
        other.dispose()


def test_present_agrees_with_the_inspector_after_ensure(db_url):
    target = Target(db_url)
    try:
        with target.connect() as conn:
            assert target.store.present(conn) == set()
            target.store.ensure(conn)
            have = {n.lower() for n in sa.inspect(conn).get_table_names(schema=target.store.schema)}
            expected = {t.name for t in (target.store.t.migrations, target.store.t.history, target.store.t.meta)}
            assert {n for n in expected if n.lower() in have} == expected
            assert target.store.present(conn) == expected
    finally:
        target.dispose()


def test_tables_are_built_once_per_schema():
    assert make_tables("public") is make_tables("public")
    assert make_tables(None) is make_tables(None)
    assert make_tables("a") is not make_tables("b")
    assert make_tables("a").migrations.schema == "a" and make_tables(None).migrations.schema is None
