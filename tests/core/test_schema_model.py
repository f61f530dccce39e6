"""The canonical schema document and its diff, without a database: same schema -> same bytes,
normalised text, DDL-like one-liners."""

from __future__ import annotations

import copy

from nexo_studio.core.schema import canonical_json, diff, sha256
from nexo_studio.core.schema.model import column, empty_document, is_internal, normalise_sql, table
from nexo_studio.core.schema.pgtext import normalise_expr
from nexo_studio.core.schema.sqlite import _index_parts, _table_text


def doc_with_users() -> dict:
    doc = empty_document("postgresql")
    t = table({"id": column("integer", False, identity="by default"),
               "email": column("character  varying( 255 )", False),
               "active": column("boolean", False, "true")})
    t["primary_key"] = {"name": "users_pkey", "columns": ["id"]}
    t["indexes"]["ix_users_email"] = {"columns": ["lower(email)"], "unique": True, "where": "active",
                                      "method": "btree"}
    doc["tables"]["users"] = t
    doc["views"]["v_users"] = {"definition": "SELECT id FROM users"}
    return doc


def test_insertion_order_does_not_change_the_bytes_or_the_hash():
    a = doc_with_users()
    b = empty_document("postgresql")
    b["views"] = copy.deepcopy(a["views"])
    cols = a["tables"]["users"]["columns"]
    b["tables"]["users"] = dict(reversed(list(copy.deepcopy(a["tables"]["users"]).items())))
    b["tables"]["users"]["columns"] = dict(reversed(list(copy.deepcopy(cols).items())))
    assert canonical_json(a) == canonical_json(b)
    assert sha256(a) == sha256(b)
    b["tables"]["users"]["columns"]["email"]["nullable"] = True
    assert sha256(a) != sha256(b)


def test_types_and_expressions_are_normalised():
    assert column("character  varying( 255 )", True)["type"] == "CHARACTER VARYING(255)"
    assert normalise_sql("  lower( email )\n  ;") == "lower(email)"
    assert normalise_sql("coalesce(a , b)") == "coalesce(a, b)"
    assert normalise_sql(None) is None


def test_internal_names():
    assert is_internal("__Migrations") and is_internal("__nexo_restore_old_1")
    assert not is_internal("_users") and not is_internal("users__old")


def test_postgresql_array_casts_from_a_dump_round_trip_compare_equal():
    created = "CHECK (s::text = ANY (ARRAY['a'::character varying, 'b, c'::character varying]::text[]))"
    restored = "CHECK (s::text = ANY (ARRAY['a'::character varying::text, 'b, c'::character varying::text]))"
    assert normalise_expr(created) == normalise_expr(restored) == restored
    assert normalise_expr("x = ANY (ARRAY[1, 2])") == "x = ANY (ARRAY[1, 2])"


def test_sqlite_text_parsing_of_generated_columns_and_index_parts():
    sql = ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT COLLATE nocase, "
           "b TEXT GENERATED ALWAYS AS (upper(a)) STORED, c INT AS (length(a) + 1), "
           "CONSTRAINT ck CHECK (length(a) > 0)) STRICT")
    columns, options = _table_text(sql)
    assert {n: c["generated"] for n, c in columns.items()} == {
        "id": None, "a": None, "b": "stored: upper(a)", "c": "virtual: length(a) + 1"}
    assert columns["a"]["collation"] == "NOCASE" and options == ["AUTOINCREMENT", "STRICT"]
    assert _index_parts('CREATE INDEX "ix" ON "t" ("a", lower(b) DESC) WHERE a IS NOT NULL') == \
        (["a", "lower(b) DESC"], "a IS NOT NULL")


def test_diff_names_each_change_with_ddl_like_text():
    before = doc_with_users()
    after = copy.deepcopy(before)
    after["tables"]["users"]["columns"]["email"] = column("character varying(320)", False)
    after["tables"]["users"]["columns"]["name"] = column("text", True, "'x'")
    del after["tables"]["users"]["indexes"]["ix_users_email"]
    after["views"]["v_users"] = {"definition": "SELECT id, email FROM users"}
    changes = diff(before, after)
    assert [(c.kind, c.object_type, c.name) for c in changes] == [
        ("changed", "column", "users.email"), ("added", "column", "users.name"),
        ("removed", "index", "users.ix_users_email"), ("changed", "view", "v_users")]
    assert changes[0].before == "users.email CHARACTER VARYING(255) NOT NULL"
    assert changes[0].after == "users.email CHARACTER VARYING(320) NOT NULL"
    assert changes[1].after == "users.name TEXT NULL DEFAULT 'x'"
    assert changes[2].before == "CREATE UNIQUE INDEX ix_users_email ON users USING btree (lower(email)) WHERE active"
    assert changes[3].after == "VIEW v_users AS SELECT id, email FROM users"
    assert str(changes[0]).startswith("changed column users.email: ~ users.email CHARACTER VARYING(255)")
    assert changes[1].to_dict()["kind"] == "added"
    assert diff(before, copy.deepcopy(before)) == []


def test_a_table_renamed_is_removed_and_added_with_a_hint_only_when_columns_match():
    before = doc_with_users()
    after = copy.deepcopy(before)
    after["tables"]["people"] = after["tables"].pop("users")
    changes = diff(before, after)
    assert [(c.kind, c.name, c.note) for c in changes] == [
        ("removed", "users", "renamed? to people"), ("added", "people", "renamed? from users")]
    after["tables"]["people"]["columns"].pop("active")
    assert all(c.note == "" for c in diff(before, after))
