"""Every hand change of SPEC §10's acceptance list is found by the schema diff and named
correctly, on each dialect (a fresh database with a small schema per change)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nexo_studio.core.schema import diff, reflect

ITEMS = ("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, price NUMERIC(10, 2) DEFAULT 0, "
         "note VARCHAR(100), updated_at {ts} NULL{extra})")
TAGS = ("CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL, item_id INTEGER{extra}, "
        "CONSTRAINT fk_tags_item FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE)")
COMMON = ["CREATE INDEX ix_items_name ON items (name)",
          "CREATE TABLE logs (id INTEGER PRIMARY KEY, msg VARCHAR(200))",
          "CREATE VIEW v_tags AS SELECT id, label, item_id FROM tags"]
SQLITE_TRIGGER = ("CREATE TRIGGER trg_items_touch AFTER UPDATE ON items BEGIN "
                  "UPDATE items SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END")
BASE = {
    "sqlite": [ITEMS.format(ts="TEXT", extra=""), TAGS.format(extra=""), *COMMON, SQLITE_TRIGGER],
    "postgresql": [ITEMS.format(ts="TIMESTAMPTZ", extra=""), TAGS.format(extra=""), *COMMON,
                   "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); "
                   "RETURN NEW; END; $$",
                   "CREATE TRIGGER trg_items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()"],
    "mysql": [ITEMS.format(ts="DATETIME", extra=""), TAGS.format(extra=""), *COMMON,
              "CREATE FUNCTION price_with_tax(p DECIMAL(10, 2)) RETURNS DECIMAL(10, 2) DETERMINISTIC RETURN p * 1.2",
              "CREATE TRIGGER trg_items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.updated_at = NOW()"],
}


def sqlite_rebuild_items(columns: str, extra: str = "") -> list[str]:
    """SQLite cannot ALTER a column: the documented rebuild (new table, copy, drop, rename)."""
    return ["CREATE TABLE items_new (id INTEGER PRIMARY KEY, " + columns + extra + ")",
            "INSERT INTO items_new (id, name, price, note, updated_at) SELECT id, name, price, note, updated_at FROM items",
            "DROP TABLE items", "ALTER TABLE items_new RENAME TO items",
            "CREATE INDEX ix_items_name ON items (name)", SQLITE_TRIGGER]


SQLITE_COLS = "name VARCHAR(50) NOT NULL, price NUMERIC(10, 2) DEFAULT 0, note VARCHAR(100), updated_at TEXT NULL"

#: change -> (statements per dialect, expected (kind, object type, name), text expected in before/after)
CHANGES = {
    "column_added": ({"*": ["ALTER TABLE items ADD COLUMN color VARCHAR(20)"]},
                     ("added", "column", "items.color"), "(20)"),
    "column_dropped": ({"*": ["ALTER TABLE items DROP COLUMN note"]}, ("removed", "column", "items.note"), "note"),
    "column_retyped": ({"postgresql": ["ALTER TABLE items ALTER COLUMN name TYPE VARCHAR(80)"],
                        "mysql": ["ALTER TABLE items MODIFY name VARCHAR(80) NOT NULL"],
                        "sqlite": sqlite_rebuild_items(SQLITE_COLS.replace("VARCHAR(50)", "VARCHAR(80)"))},
                       ("changed", "column", "items.name"), "(80)"),
    "column_made_not_null": ({"postgresql": ["ALTER TABLE items ALTER COLUMN note SET NOT NULL"],
                              "mysql": ["ALTER TABLE items MODIFY note VARCHAR(100) NOT NULL"],
                              "sqlite": sqlite_rebuild_items(SQLITE_COLS.replace("note VARCHAR(100)",
                                                                                 "note VARCHAR(100) NOT NULL"))},
                             ("changed", "column", "items.note"), "NOT NULL"),
    "column_default_changed": ({"postgresql": ["ALTER TABLE items ALTER COLUMN price SET DEFAULT 1"],
                                "mysql": ["ALTER TABLE items ALTER COLUMN price SET DEFAULT 1"],
                                "sqlite": sqlite_rebuild_items(SQLITE_COLS.replace("DEFAULT 0", "DEFAULT 1"))},
                               ("changed", "column", "items.price"), "DEFAULT 1"),
    "column_collation_changed": ({"postgresql": ['ALTER TABLE items ALTER COLUMN name TYPE VARCHAR(50) COLLATE "C"'],
                                  "mysql": ["ALTER TABLE items MODIFY name VARCHAR(50) NOT NULL COLLATE utf8mb4_bin"],
                                  "sqlite": sqlite_rebuild_items(SQLITE_COLS.replace(
                                      "VARCHAR(50) NOT NULL", "VARCHAR(50) NOT NULL COLLATE NOCASE"))},
                                 ("changed", "column", "items.name"), "COLLATE"),
    "index_added": ({"*": ["CREATE INDEX ix_items_price ON items (price)"]},
                    ("added", "index", "items.ix_items_price"), "price"),
    "index_dropped": ({"*": ["DROP INDEX ix_items_name"], "mysql": ["DROP INDEX ix_items_name ON items"]},
                      ("removed", "index", "items.ix_items_name"), "name"),
    "index_made_unique": ({"*": ["DROP INDEX ix_items_name", "CREATE UNIQUE INDEX ix_items_name ON items (name)"],
                           "mysql": ["DROP INDEX ix_items_name ON items",
                                     "CREATE UNIQUE INDEX ix_items_name ON items (name)"]},
                          ("changed", "index", "items.ix_items_name"), "UNIQUE"),
    "constraint_added": ({"*": ["ALTER TABLE items ADD CONSTRAINT ck_items_price CHECK (price >= 0)"],
                          "sqlite": sqlite_rebuild_items(SQLITE_COLS, ", CONSTRAINT ck_items_price CHECK (price >= 0)")},
                         ("added", "check", "items.ck_items_price"), "price"),
    "constraint_dropped": ({"postgresql": ["ALTER TABLE tags DROP CONSTRAINT fk_tags_item"],
                            "mysql": ["ALTER TABLE tags DROP FOREIGN KEY fk_tags_item"],
                            "sqlite": ["DROP VIEW v_tags",
                                       "CREATE TABLE tags_new (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL, "
                                       "item_id INTEGER)", "INSERT INTO tags_new SELECT * FROM tags", "DROP TABLE tags",
                                       "ALTER TABLE tags_new RENAME TO tags", COMMON[2]]},
                           ("removed", "foreign key", "tags.fk_tags_item"), "REFERENCES items"),
    "view_redefined": ({"*": ["DROP VIEW v_tags", "CREATE VIEW v_tags AS SELECT id, label, item_id FROM tags WHERE id > 0"]},
                       ("changed", "view", "v_tags"), "> 0"),
    "trigger_changed": ({"postgresql": ["CREATE OR REPLACE TRIGGER trg_items_touch BEFORE INSERT OR UPDATE ON items "
                                        "FOR EACH ROW EXECUTE FUNCTION touch()"],
                         "mysql": ["DROP TRIGGER trg_items_touch", "CREATE TRIGGER trg_items_touch BEFORE UPDATE ON "
                                   "items FOR EACH ROW SET NEW.updated_at = UTC_TIMESTAMP()"],
                         "sqlite": ["DROP TRIGGER trg_items_touch", SQLITE_TRIGGER.replace("AFTER UPDATE ON",
                                                                                           "AFTER UPDATE OF name ON")]},
                        ("changed", "trigger", "items.trg_items_touch"), "INSERT OR UPDATE|UTC_TIMESTAMP|OF name"),
    "function_changed": ({"postgresql": ["CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ "
                                         "BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END; $$"],
                          "mysql": ["DROP FUNCTION price_with_tax", "CREATE FUNCTION price_with_tax(p DECIMAL(10, 2)) "
                                    "RETURNS DECIMAL(10, 2) DETERMINISTIC RETURN p * 1.21"]},
                         ("changed", "function", {"postgresql": "touch()", "mysql": "function price_with_tax"}),
                         "1.21|clock_timestamp"),
}


def reflect_url(url: str) -> dict:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return reflect(conn)
    finally:
        engine.dispose()


def run_sql(url: str, statements: list[str]) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
    finally:
        engine.dispose()


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_hand_change_is_found_and_named(make_db, dialect, change):
    per_dialect, (kind, otype, name), text = CHANGES[change]
    statements = per_dialect.get(dialect, per_dialect.get("*"))
    if statements is None:
        pytest.skip(f"{dialect} has no {change.replace('_', ' ')}")
    name = name[dialect] if isinstance(name, dict) else name
    url = make_db(dialect)
    run_sql(url, BASE[dialect])
    before = reflect_url(url)
    run_sql(url, statements)
    changes = diff(before, reflect_url(url))
    assert [(c.kind, c.object_type, c.name) for c in changes] == [(kind, otype, name)], [str(c) for c in changes]
    shown = (changes[0].after if kind != "removed" else changes[0].before) or ""
    assert any(t.upper() in shown.upper() for t in text.split("|")), str(changes[0])
    if kind == "changed":
        assert changes[0].before and changes[0].before != changes[0].after


def test_a_renamed_table_is_removed_plus_added_and_flagged(make_db, dialect):
    url = make_db(dialect)
    run_sql(url, BASE[dialect])
    before = reflect_url(url)
    run_sql(url, ["ALTER TABLE logs RENAME TO event_logs"])
    changes = diff(before, reflect_url(url))
    assert [(c.kind, c.object_type, c.name, c.note) for c in changes] == [
        ("removed", "table", "logs", "renamed? to event_logs"),
        ("added", "table", "event_logs", "renamed? from logs")]
    assert changes[1].after.startswith("TABLE event_logs (id ")
