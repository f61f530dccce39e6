"""The Drift view's text: a schema object as DDL-like lines, and the two sides of a change aligned."""

from __future__ import annotations

from nexo_studio.core.schema import diff
from nexo_studio.core.schema.ddl import owner, side_by_side, table_lines, wrap_sql
from nexo_studio.core.schema.model import column, empty_document, table


def doc_with(users_cols, indexes=None, view_sql=None):
    doc = empty_document("sqlite")
    t = table(dict(users_cols))
    t["primary_key"] = {"name": None, "columns": ["id"]}
    t["indexes"] = indexes or {}
    doc["tables"]["app.users"] = t  # a dotted name: the owner is found by the longest table name
    if view_sql:
        doc["views"]["v_users"] = {"definition": view_sql}
    return doc


BASE = {"id": column("INTEGER", False), "email": column("VARCHAR(255)", False)}
IX = {"columns": ["email"], "unique": False, "method": None, "where": None}


def test_a_table_reads_as_create_table_with_its_indexes():
    lines = table_lines("users", doc_with(BASE, {"ix_email": IX})["tables"]["app.users"])
    assert lines == ["CREATE TABLE users (", "    email VARCHAR(255) NOT NULL,", "    id INTEGER NOT NULL,",
                     "    PRIMARY KEY (id)", ");", "CREATE INDEX ix_email ON users (email);"]


def test_an_added_column_is_shown_in_its_whole_table_with_only_its_line_marked():
    before = doc_with(BASE)
    after = doc_with({**BASE, "nick": column("TEXT", True, "'x'")})
    [change] = diff(before, after)
    assert owner(change, before, after) == ("tables", "app.users")
    rows = side_by_side(change, before, after)
    assert [(r.tag, r.before, r.after) for r in rows if r.tag != "equal"] == [
        ("added", None, "    nick TEXT NULL DEFAULT 'x',")]
    assert rows[0].before == rows[0].after == "CREATE TABLE app.users ("


def test_a_dropped_index_and_a_new_one_are_not_paired_as_one_change():
    before = doc_with(BASE, {"ix_a": IX})
    after = doc_with(BASE, {"ix_b": {**IX, "unique": True}})
    rows = [r for r in side_by_side(diff(before, after)[0], before, after) if r.tag != "equal"]
    assert [(r.tag, r.before, r.after) for r in rows] == [
        ("removed", "CREATE INDEX ix_a ON app.users (email);", None),
        ("added", None, "CREATE UNIQUE INDEX ix_b ON app.users (email);")]


def test_a_retyped_column_is_one_changed_line():
    before = doc_with(BASE)
    after = doc_with({**BASE, "email": column("VARCHAR(320)", True)})
    rows = [r for r in side_by_side(diff(before, after)[0], before, after) if r.tag != "equal"]
    assert [(r.tag, r.before, r.after) for r in rows] == [
        ("changed", "    email VARCHAR(255) NOT NULL,", "    email VARCHAR(320) NULL,")]


def test_a_view_definition_is_broken_at_its_clauses():
    sql = ("CREATE VIEW v_users AS SELECT u.id, u.email FROM users u LEFT JOIN roles r ON r.id = u.role_id "
           "WHERE u.active = 1 ORDER BY u.id")
    assert wrap_sql(sql) == ["CREATE VIEW v_users AS SELECT u.id, u.email", "    FROM users u",
                             "    LEFT JOIN roles r ON r.id = u.role_id", "    WHERE u.active = 1", "    ORDER BY u.id"]
    before, after = doc_with(BASE, view_sql=sql), doc_with(BASE, view_sql=sql.replace("= 1", "= 0"))
    rows = side_by_side(diff(before, after)[0], before, after)
    assert [(r.tag, r.before, r.after) for r in rows if r.tag != "equal"] == [
        ("changed", "    WHERE u.active = 1", "    WHERE u.active = 0")]
