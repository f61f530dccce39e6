"""Backup / restore on real databases (SPEC §4), sidecar checks, tool errors, SQL Server SQL."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from nexo_studio.core.backup import (
    BackupProvider,
    check_backup,
    create_backup,
    provider_for,
    read_sidecar,
    restore_backup,
    sha256_file,
    sidecar_path,
    write_sidecar,
)
from nexo_studio.core.backup.mssql import MssqlBackup, backup_sql, restore_sql
from nexo_studio.core.backup.mysql import MysqlBackup
from nexo_studio.core.backup.postgresql import PostgresBackup
from nexo_studio.core.backup.sqlite import SqliteBackup
from nexo_studio.errors import BackupError, Cancelled, ToolMissing

MARKER = "s3cretMARKER"
TOOL_ENV_VARS = ("NEXO_PG_DUMP", "NEXO_PG_RESTORE", "NEXO_MYSQLDUMP", "NEXO_MYSQL")


# --- helpers ----------------------------------------------------------------------------------


def backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    return "mysql" if name == "mariadb" else name


@contextmanager
def connect(url: str):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def run_sql(url: str, *statements: str) -> None:
    with connect(url) as conn:
        for sql in statements:
            conn.exec_driver_sql(sql, execution_options={"no_parameters": True})


def _sort_key(row: tuple) -> tuple:
    return tuple((value is None, repr(value)) for value in row)


def snapshot(url: str) -> dict:
    """Schema + data of every user schema: tables (columns, keys, indexes, sorted rows), views,
    and the dialect's own bits (PG schemas with owner/ACL/comment and sequences; MySQL
    AUTO_INCREMENT counters)."""
    kind = backend(url)
    result: dict = {}
    with connect(url) as conn:
        insp = sa.inspect(conn)
        if kind == "postgresql":
            schemas = [s for s in insp.get_schema_names() if s != "information_schema"]
        else:
            schemas = [None]
        for schema in sorted(schemas, key=str):
            tables = {}
            for name in sorted(insp.get_table_names(schema=schema)):
                table = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
                rows = [tuple(r) for r in conn.execute(sa.select(table)).all()]
                tables[name] = {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in insp.get_columns(name, schema=schema)
                    ],
                    "pk": insp.get_pk_constraint(name, schema=schema)["constrained_columns"],
                    "fks": sorted(
                        (tuple(fk["constrained_columns"]), fk["referred_schema"] or "",
                         fk["referred_table"], tuple(fk["referred_columns"]))
                        for fk in insp.get_foreign_keys(name, schema=schema)
                    ),  # fmt: skip
                    "indexes": sorted(
                        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                        for i in insp.get_indexes(name, schema=schema)
                    ),
                    "rows": sorted(rows, key=_sort_key),
                }
            views = {
                v: " ".join(str(insp.get_view_definition(v, schema=schema)).split())
                for v in sorted(insp.get_view_names(schema=schema))
            }
            result[schema or ""] = {"tables": tables, "views": views}
        if kind == "postgresql":
            result["pg_namespaces"] = [
                tuple(map(str, r))
                for r in conn.exec_driver_sql(
                    "SELECT nspname, nspowner::regrole, coalesce(nspacl, acldefault('n', nspowner)),"
                    " obj_description(oid, 'pg_namespace')"
                    " FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
                    " ORDER BY 1"
                )
            ]
            result["pg_sequences"] = [
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
                )
            ]
        if kind == "mysql":
            result["auto_increment"] = [
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1"
                )
            ]
    return result


def build_schema(url: str) -> None:
    kind = backend(url)
    serial = {
        "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "postgresql": "SERIAL PRIMARY KEY",
        "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY",
    }[kind]
    statements = [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INTEGER)",
        "CREATE INDEX ix_items_name ON items (name)",
        "INSERT INTO items (id, name, qty) VALUES (1, 'café', 3), (2, 'it''s', NULL),"
        " (3, 'bolt', 7), (4, 'nut', 1), (5, 'washer', 12)",
        "CREATE VIEW big_items AS SELECT id, name FROM items WHERE qty > 2",
        f"CREATE TABLE orders (id {serial}, item_id INTEGER NOT NULL REFERENCES items (id), note TEXT)",
        "INSERT INTO orders (item_id, note) VALUES (1, 'first'), (3, NULL), (5, 'third')",
    ]
    if kind == "postgresql":
        statements += [
            "CREATE SCHEMA sales",
            "CREATE TABLE sales.invoices (id SERIAL PRIMARY KEY, total NUMERIC(10, 2), items_id"
            " INTEGER REFERENCES public.items (id))",
            "CREATE UNIQUE INDEX ux_invoices_total ON sales.invoices (total)",
            "INSERT INTO sales.invoices (total, items_id) VALUES (10.50, 1), (99.99, 3)",
            "CREATE VIEW sales.totals AS SELECT sum(total) AS s FROM sales.invoices",
        ]
    run_sql(url, *statements)


def change_everything(url: str) -> None:
    kind = backend(url)
    statements = [
        "DROP VIEW big_items",
        "DELETE FROM orders WHERE item_id > 1",
        "DELETE FROM items WHERE id > 3",
        "UPDATE items SET name = 'changed' WHERE id = 1",
        "INSERT INTO orders (item_id, note) VALUES (2, 'after the backup')",
        "CREATE TABLE added_later (x INTEGER)",
        "CREATE INDEX ix_items_qty ON items (qty)",
    ]
    if kind == "postgresql":
        statements += [
            "DROP VIEW sales.totals",
            "TRUNCATE sales.invoices",
            "CREATE SCHEMA later_schema",
            "CREATE TABLE later_schema.t (i INTEGER)",
            "COMMENT ON SCHEMA public IS 'changed after the backup'",
            "REVOKE USAGE ON SCHEMA public FROM PUBLIC",
        ]
    run_sql(url, *statements)


def table_names(url: str) -> set[str]:
    with connect(url) as conn:
        return set(sa.inspect(conn).get_table_names())


@pytest.fixture
def no_tool_overrides(monkeypatch):
    for var in TOOL_ENV_VARS:
        monkeypatch.delenv(var, raising=False)


def fake_tool(tmp_path: Path, name: str, body: str) -> Path:
    script = tmp_path / name
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


# --- round trip on every dialect --------------------------------------------------------------


def test_backup_restore_round_trip(db_url, tmp_path, no_tool_overrides):
    build_schema(db_url)
    before = snapshot(db_url)
    provider = provider_for(db_url)
    out = tmp_path / "backups" / f"before{provider.suffix}"  # folder created on demand

    info = create_backup(db_url, out)

    assert out.is_file() and not Path(str(out) + ".partial").exists()
    assert info == read_sidecar(out) == json.loads(sidecar_path(out).read_text())
    assert info["size"] == out.stat().st_size and info["sha256"] == sha256_file(out)
    assert info["dialect"] == provider.dialect and info["path"] == str(out.resolve())
    assert "password" not in json.dumps(info)

    change_everything(db_url)
    assert snapshot(db_url) != before and "added_later" in table_names(db_url)

    restore_backup(db_url, out)

    after = snapshot(db_url)
    assert after == before
    assert "added_later" not in table_names(db_url)
    if backend(db_url) == "postgresql":
        assert "later_schema" not in after and "sales" in after
    # The restored database is usable and its counters continue where they were.
    run_sql(db_url, "INSERT INTO orders (item_id, note) VALUES (2, 'again')")
    with connect(db_url) as conn:
        assert conn.exec_driver_sql("SELECT max(id) FROM orders").scalar() == 4


def test_postgresql_custom_public_schema_restores(make_db, tmp_path, no_tool_overrides):
    """A recreated (non-default) public schema is in the archive: it must not be pre-created."""
    url = make_db("postgresql")
    run_sql(
        url,
        "DROP SCHEMA public CASCADE",
        "CREATE SCHEMA public",
        "COMMENT ON SCHEMA public IS 'mine'",
        "CREATE TABLE public.t (i INTEGER PRIMARY KEY)",
        "INSERT INTO public.t VALUES (1), (2)",
        'CREATE SCHEMA "We""ird 50%s"',
        'CREATE TABLE "We""ird 50%s".x (i INTEGER)',
    )
    before = snapshot(url)
    out = tmp_path / "pg.dump"
    create_backup(url, out)
    run_sql(
        url,
        "DROP TABLE public.t",
        "CREATE TABLE public.u (i INTEGER)",
        'CREATE SCHEMA "later 100%"',
        'DROP TABLE "We""ird 50%s".x',
    )
    restore_backup(url, out)
    assert snapshot(url) == before


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_unreadable_backup_refused_before_anything_changes(make_db, tmp_path, kind, no_tool_overrides):
    url = make_db(kind)
    run_sql(url, "CREATE TABLE keep_me (i INTEGER)", "INSERT INTO keep_me VALUES (1)")
    provider = provider_for(url)
    good = tmp_path / f"good{provider.suffix}"
    provider.backup(make_url(url), good)
    bad = tmp_path / f"bad{provider.suffix}"
    if kind == "postgresql":
        bad.write_bytes(b"this is not a pg_dump archive\n" * 10)
    else:  # a truncated dump: no "-- Dump completed" trailer
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BackupError) as err:
        provider.restore(make_url(url), bad)
    assert err.value.path == bad and str(bad) in str(err.value)
    assert "keep_me" in table_names(url)


def test_mysql_dump_naming_a_database_is_refused(make_db, tmp_path):
    url = make_db("mysql")
    run_sql(url, "CREATE TABLE keep_me (i INTEGER)")
    dump = tmp_path / "other.sql"
    dump.write_text(
        "-- MariaDB dump 10.19\n--\n\nCREATE DATABASE `elsewhere`;\nUSE `elsewhere`;\n"
        "CREATE TABLE t (i int);\n-- Dump completed on 2026-01-01\n"
    )
    with pytest.raises(BackupError, match="names its database"):
        MysqlBackup().restore(make_url(url), dump)
    assert "keep_me" in table_names(url)


def test_mysql_password_with_special_characters(make_db, tmp_path, no_tool_overrides):
    """The option file quoting survives quotes, backslashes, '#' and spaces."""
    url = make_url(make_db("mysql"))
    user = f"nexo_{uuid.uuid4().hex[:8]}"
    password = "p\"a#s\\w'd x" + MARKER
    admin = url.set(database=None)
    literal = password.replace("\\", "\\\\").replace("'", "\\'")
    run_sql(
        admin.render_as_string(hide_password=False),
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{literal}'",
        f"GRANT ALL ON `{url.database}`.* TO '{user}'@'%'",
    )
    try:
        own = url.set(username=user, password=password)
        own_text = own.render_as_string(hide_password=False)
        run_sql(own_text, "CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (7)")
        out = tmp_path / "special.sql"
        create_backup(own, out)
        run_sql(own_text, "DROP TABLE t", "CREATE TABLE later (i INTEGER)")
        restore_backup(own, out)
        assert table_names(own_text) == {"t"}
        assert MARKER not in out.read_text() and MARKER not in sidecar_path(out).read_text()
    finally:
        run_sql(admin.render_as_string(hide_password=False), f"DROP USER IF EXISTS '{user}'@'%'")


def test_mysql_database_name_needing_quotes(make_db, tmp_path, no_tool_overrides):
    base = make_url(make_db("mysql"))
    name = f"nexo_t_{uuid.uuid4().hex[:8]} 50%`q"
    admin = base.set(database=None).render_as_string(hide_password=False)
    quoted = "`" + name.replace("`", "``") + "`"
    run_sql(admin, f"CREATE DATABASE {quoted} CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        run_sql(url, "CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (1)")
        before = snapshot(url)
        out = tmp_path / "odd.sql"
        create_backup(url, out)
        run_sql(url, "DELETE FROM t", "CREATE TABLE later (i INTEGER)")
        restore_backup(url, out)
        assert snapshot(url) == before
        with connect(admin) as conn:
            charset = conn.execute(
                sa.text("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"),
                {"n": name},
            ).scalar()
        assert charset == "latin1_swedish_ci"  # kept across DROP/CREATE DATABASE
    finally:
        run_sql(admin, f"DROP DATABASE IF EXISTS {quoted}")


# --- SQLite specifics -------------------------------------------------------------------------


def test_sqlite_backup_while_in_use_and_wal(tmp_path):
    db = tmp_path / "live.db"
    setup = sqlite3.connect(db)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (i INTEGER)")
    setup.execute("INSERT INTO t VALUES (1)")
    setup.commit()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (2)")  # uncommitted while the backup runs
    out = tmp_path / "live.sqlite3"
    SqliteBackup().backup(make_url(f"sqlite:///{db}"), out)
    writer.execute("COMMIT")
    writer.close()
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # stands alone
    assert copy.execute("SELECT i FROM t").fetchall() == [(1,)]
    copy.close()
    assert not Path(f"{out}-wal").exists()

    setup.execute("CREATE TABLE later (i INTEGER)")
    setup.commit()
    SqliteBackup().restore(make_url(f"sqlite:///{db}"), out)
    assert {r[0] for r in setup.execute("SELECT name FROM sqlite_master")} == {"t"}
    assert setup.execute("SELECT i FROM t").fetchall() == [(1,)]
    setup.close()


def test_sqlite_refuses_memory_missing_and_non_sqlite_files(tmp_path):
    provider = SqliteBackup()
    with pytest.raises(BackupError, match="in-memory"):
        provider.backup(make_url("sqlite://"), tmp_path / "x.sqlite3")
    with pytest.raises(BackupError, match="does not exist"):
        provider.backup(make_url(f"sqlite:///{tmp_path / 'nope.db'}"), tmp_path / "x.sqlite3")
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "x.sqlite3").exists()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        provider.restore(make_url(f"sqlite:///{tmp_path / 'target.db'}"), junk)


# --- sidecar and check_backup -----------------------------------------------------------------


@pytest.fixture
def sqlite_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    run_sql(url, "CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (1), (2), (3)")
    out = tmp_path / "app.sqlite3"
    create_backup(url, out)
    return url, out


def test_corrupted_backup_is_refused(sqlite_backup):
    url, out = sqlite_backup
    assert check_backup(out)["sha256"] == sha256_file(out)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped, same size
    out.write_bytes(bytes(data))
    run_sql(url, "CREATE TABLE after_backup (i INTEGER)")

    with pytest.raises(BackupError) as err:
        check_backup(out)
    assert err.value.path == out and str(out) in str(err.value) and "SHA-256" in str(err.value)
    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(url, out)
    assert "after_backup" in table_names(url)  # nothing restored


def test_truncated_missing_and_unverifiable_backups(sqlite_backup, tmp_path):
    url, out = sqlite_backup
    out.write_bytes(out.read_bytes()[:-10])
    with pytest.raises(BackupError, match="size is") as err:
        check_backup(out)
    assert str(out) in str(err.value)

    gone = tmp_path / "gone.sqlite3"
    with pytest.raises(BackupError, match="not found") as err:
        check_backup(gone)
    assert err.value.path == gone

    bare = tmp_path / "bare.sqlite3"
    bare.write_bytes(b"x")
    with pytest.raises(BackupError, match="no sidecar"):
        check_backup(bare)
    assert check_backup(bare, require_sidecar=False) == {}

    sidecar_path(bare).write_text("{not json")
    with pytest.raises(BackupError, match="not valid JSON"):
        read_sidecar(bare)


def test_write_sidecar_fills_size_and_checksum_atomically(tmp_path):
    f = tmp_path / "file.dump"
    f.write_bytes(b"abc" * 1000)
    target = write_sidecar(f, {"dialect": "postgresql", "note": "x"})
    assert target == tmp_path / "file.dump.json"
    data = json.loads(target.read_text())
    assert data["size"] == 3000 and data["sha256"] == sha256_file(f) and data["file"] == "file.dump"
    assert data["dialect"] == "postgresql" and data["format"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.dump", "file.dump.json"]
    assert check_backup(f) == data


def test_backup_of_another_dialect_is_refused(sqlite_backup):
    url, out = sqlite_backup
    info = read_sidecar(out)
    write_sidecar(out, {**info, "dialect": "postgresql"})
    with pytest.raises(BackupError, match="postgresql backup"):
        restore_backup(url, out)


# --- tools: missing, failing, secrets, cancel -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "package"),
    [
        ("postgresql+psycopg://u:pw@127.0.0.1:5432/db", "postgresql-client"),
        ("mariadb+pymysql://root@127.0.0.1:3306/db", "mariadb-client"),
    ],
)
def test_missing_tool_raises_tool_missing(url, package, tmp_path, monkeypatch, no_tool_overrides):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    provider = provider_for(url)
    with pytest.raises(ToolMissing) as err:
        provider.check_tools()
    assert err.value.package == package and package in str(err.value)
    out = tmp_path / f"x{provider.suffix}"
    for call in (
        lambda: provider.backup(make_url(url), out),
        lambda: provider.restore(make_url(url), out),
        lambda: create_backup(url, out),
    ):
        with pytest.raises(ToolMissing):
            call()
    assert list(tmp_path.iterdir()) == [empty]


def test_tool_override_by_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXO_PG_DUMP", str(tmp_path / "no-such-pg_dump"))
    with pytest.raises(ToolMissing) as err:
        PostgresBackup().check_tools()
    assert err.value.tool.endswith("no-such-pg_dump") and err.value.package == "postgresql-client"


def test_pg_tool_failure_scrubs_password_and_leaves_no_file(tmp_path, no_tool_overrides):
    url = make_url(f"postgresql+psycopg://postgres:{MARKER}@127.0.0.1:1/nexo_nowhere")
    out = tmp_path / "fail.dump"
    out.write_text("an older backup")
    with pytest.raises(BackupError) as err:
        PostgresBackup().backup(url, out)
    assert MARKER not in str(err.value) and "pg_dump failed" in str(err.value)
    assert out.read_text() == "an older backup"  # untouched
    assert not Path(f"{out}.partial").exists()


def test_pg_password_only_in_environment(tmp_path, monkeypatch):
    """A fake pg_dump shows what it got: the password is not in argv, and the stderr echo of
    it is scrubbed from the error."""
    argv_file = tmp_path / "argv.txt"
    tool = fake_tool(
        tmp_path,
        "pg_dump",
        f'echo "$@" > {argv_file}\necho "auth failed for $PGUSER with $PGPASSWORD at $PGHOST:$PGPORT/$PGDATABASE" >&2\nexit 2',
    )
    monkeypatch.setenv("NEXO_PG_DUMP", str(tool))
    monkeypatch.setenv("NEXO_PG_RESTORE", str(tool))
    url = make_url(f"postgresql+psycopg://alice:{MARKER}@db.example:6543/shop")
    with pytest.raises(BackupError) as err:
        PostgresBackup().backup(url, tmp_path / "x.dump")
    message = str(err.value)
    assert MARKER not in message
    assert "auth failed for alice with *** at db.example:6543/shop" in message
    assert MARKER not in argv_file.read_text() and "--format=custom" in argv_file.read_text()


def test_pg_restore_connection_failure_scrubs_password(make_db, tmp_path, no_tool_overrides):
    url = make_db("postgresql")
    run_sql(url, "CREATE TABLE t (i INTEGER)")
    out = tmp_path / "ok.dump"
    PostgresBackup().backup(make_url(url), out)
    bad = make_url(url).set(port=1, password=MARKER)
    with pytest.raises(BackupError) as err:
        PostgresBackup().restore(bad, out)
    assert MARKER not in str(err.value) and "nothing restored" in str(err.value)


def test_mysql_password_only_in_private_option_file(tmp_path, monkeypatch):
    record = tmp_path / "record.txt"
    tool = fake_tool(
        tmp_path,
        "mariadb-dump",
        f'echo "$@" > {record}\n'
        'f="${1#--defaults-extra-file=}"\n'
        f'stat -c %a "$f" >> {record}\n'
        f'echo "$f" >> {record}\n'
        'cat "$f" >&2\nexit 2',
    )
    monkeypatch.setenv("NEXO_MYSQLDUMP", str(tool))
    url = make_url(f"mysql+pymysql://bob:{MARKER}@127.0.0.1:3306/shop")
    out = tmp_path / "x.sql"
    with pytest.raises(BackupError) as err:
        MysqlBackup().backup(url, out)
    argv, mode, option_file = record.read_text().splitlines()
    assert MARKER not in argv and argv.startswith("--defaults-extra-file=")
    assert "--protocol=TCP --host=127.0.0.1 --port=3306 --user=bob" in argv and argv.endswith("-- shop")
    assert mode == "600" and not Path(option_file).exists()
    assert MARKER not in str(err.value) and 'password="***"' in str(err.value)
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_mysql_tool_failure_scrubs_password(tmp_path, no_tool_overrides):
    url = make_url(f"mysql+pymysql://root:{MARKER}@127.0.0.1:1/nexo_nowhere")
    with pytest.raises(BackupError) as err:
        MysqlBackup().backup(url, tmp_path / "x.sql")
    assert MARKER not in str(err.value) and "failed" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_the_tool_and_removes_the_partial_file(tmp_path, monkeypatch):
    tool = fake_tool(tmp_path, "pg_dump", 'for a in "$@"; do case "$a" in --file=*) echo x > "${a#--file=}";; esac; done\nexec sleep 30')
    monkeypatch.setenv("NEXO_PG_DUMP", str(tool))
    monkeypatch.setenv("NEXO_PG_RESTORE", str(tool))
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    out = tmp_path / "c.dump"
    started = time.monotonic()
    with pytest.raises(Cancelled):
        PostgresBackup().backup(make_url("postgresql+psycopg://u@127.0.0.1/db"), out, cancel=flag.is_set)
    assert time.monotonic() - started < 5
    assert not out.exists() and not Path(f"{out}.partial").exists()


# --- provider selection and SQL Server --------------------------------------------------------


def test_provider_for_each_dialect():
    cases = {
        "sqlite:///x.db": ("sqlite", ".sqlite3"),
        "postgresql+psycopg://u@h/d": ("postgresql", ".dump"),
        "mysql+pymysql://u@h/d": ("mysql", ".sql"),
        "mariadb+pymysql://u@h/d": ("mysql", ".sql"),
        "mssql+pyodbc://u@h/d?driver=FreeTDS": ("mssql", ".bak"),
    }
    for url, (dialect, suffix) in cases.items():
        provider = provider_for(url)
        assert isinstance(provider, BackupProvider)
        assert (provider.dialect, provider.suffix) == (dialect, suffix)
        assert provider_for(make_url(url)).dialect == dialect
    with pytest.raises(BackupError, match="oracle"):
        provider_for("oracle://u@h/d")


def test_mssql_backup_sql_quotes_names_and_paths():
    assert backup_sql("Sales]DB", r"D:\backups\o'brien.bak") == [
        r"BACKUP DATABASE [Sales]]DB] TO DISK = N'D:\backups\o''brien.bak' WITH COPY_ONLY, CHECKSUM, INIT, FORMAT",
        r"RESTORE VERIFYONLY FROM DISK = N'D:\backups\o''brien.bak' WITH CHECKSUM",
    ]
    assert backup_sql("plain", "/var/opt/mssql/b.bak")[0] == (
        "BACKUP DATABASE [plain] TO DISK = N'/var/opt/mssql/b.bak' WITH COPY_ONLY, CHECKSUM, INIT, FORMAT"
    )


def test_mssql_restore_sql_quotes_names_and_paths():
    assert restore_sql("a]]b [c]", "/x/it's here.bak") == [
        "ALTER DATABASE [a]]]]b [c]]] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
        "RESTORE DATABASE [a]]]]b [c]]] FROM DISK = N'/x/it''s here.bak' WITH REPLACE, CHECKSUM",
        "ALTER DATABASE [a]]]]b [c]]] SET MULTI_USER",
    ]
    with pytest.raises(BackupError):
        restore_sql("", "/x.bak")


class FakeServer:
    """A runner for MssqlBackup that records statements and can fail on one of them."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.sessions: list[tuple[str | None, list[str]]] = []

    @contextmanager
    def __call__(self, url):
        ran: list[str] = []
        self.sessions.append((url.database, ran))

        def run(sql: str) -> None:
            ran.append(sql)
            if self.fail_on and sql.startswith(self.fail_on):
                raise RuntimeError(f"Msg 3201: cannot open backup device (login sa/{MARKER})")

        yield run


MSSQL_URL = make_url(f"mssql+pyodbc://sa:{MARKER}@sqlhost:1433/Shop]X?driver=FreeTDS")


def test_mssql_provider_runs_the_statements_in_order(tmp_path):
    server = FakeServer()
    provider = MssqlBackup(runner=server)
    provider.backup(MSSQL_URL, Path("/srv/b.bak"))
    provider.restore(MSSQL_URL, Path("/srv/b.bak"))
    assert server.sessions == [
        ("Shop]X", backup_sql("Shop]X", "/srv/b.bak")),
        ("Shop]X", restore_sql("Shop]X", "/srv/b.bak")),
    ]


def test_mssql_failed_restore_still_returns_to_multi_user():
    server = FakeServer(fail_on="RESTORE DATABASE")
    with pytest.raises(BackupError) as err:
        MssqlBackup(runner=server).restore(MSSQL_URL, Path("/srv/b.bak"))
    assert server.sessions[0][1] == restore_sql("Shop]X", "/srv/b.bak")  # all three ran
    assert "Msg 3201" in str(err.value) and MARKER not in str(err.value)

    server = FakeServer(fail_on="ALTER DATABASE [Shop]]X] SET SINGLE_USER")
    with pytest.raises(BackupError):
        MssqlBackup(runner=server).restore(MSSQL_URL, Path("/srv/b.bak"))
    assert len(server.sessions[0][1]) == 1  # no RESTORE, no MULTI_USER after a refused ALTER


def test_mssql_server_side_backup_has_no_local_sidecar(tmp_path):
    out = tmp_path / "on-server" / "b.bak"  # written by the server, not visible here
    server = FakeServer()
    info = create_backup(MSSQL_URL, out, provider=MssqlBackup(runner=server))
    assert info["location"] == "server" and info["dialect"] == "mssql" and "sha256" not in info
    assert not sidecar_path(out).exists() and MARKER not in json.dumps(info)
    assert restore_backup(MSSQL_URL, out, provider=MssqlBackup(runner=server)) == {}
    assert [len(ran) for _, ran in server.sessions] == [2, 3]


# --- other sessions holding locks: fail cleanly instead of waiting forever ---------------------


def test_postgresql_locks_held_elsewhere_fail_cleanly(make_db, tmp_path, no_tool_overrides):
    url = make_db("postgresql")
    run_sql(url, "CREATE TABLE busy (i INTEGER)", "INSERT INTO busy VALUES (1)")
    provider = PostgresBackup(lock_timeout=0.5)
    out = tmp_path / "busy.dump"
    provider.backup(make_url(url), out)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as other:
            other.exec_driver_sql("SET application_name = 'someone_else'")
            other.exec_driver_sql("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")  # held until rollback
            with pytest.raises(BackupError, match="pg_dump failed"):
                provider.backup(make_url(url), tmp_path / "second.dump")
            assert not (tmp_path / "second.dump").exists()
            with pytest.raises(BackupError, match="nothing restored.*locked by other sessions.*someone_else"):
                provider.restore(make_url(url), out)
            other.rollback()
    finally:
        engine.dispose()
    assert "busy" in table_names(url)


def test_mysql_metadata_lock_held_elsewhere_fails_cleanly(make_db, tmp_path, no_tool_overrides):
    url = make_db("mysql")
    run_sql(url, "CREATE TABLE busy (i INTEGER) ENGINE=InnoDB", "INSERT INTO busy VALUES (1)")
    provider = MysqlBackup(lock_timeout=1)
    out = tmp_path / "busy.sql"
    provider.backup(make_url(url), out)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as other:
            other.exec_driver_sql("SELECT * FROM busy").all()  # open transaction: metadata lock
            with pytest.raises(BackupError, match="nothing restored.*in use by other sessions"):
                provider.restore(make_url(url), out)
            other.rollback()
    finally:
        engine.dispose()
    assert "busy" in table_names(url)


# --- the disk fills up ------------------------------------------------------------------------

_FILE_LIMIT_SCRIPT = """
import json, os, resource, sys
from nexo_studio.core.backup import create_backup
from nexo_studio.errors import BackupError
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
url, out = sys.argv[1], sys.argv[2]
try:
    create_backup(url, out)
    print(json.dumps({"error": None}))
except BackupError as exc:
    print(json.dumps({"error": str(exc), "path": str(exc.path)}))
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_backup_hitting_the_file_size_limit_fails_cleanly(make_db, tmp_path, kind, no_tool_overrides):
    """Writes beyond RLIMIT_FSIZE fail like a full disk: a clean BackupError, no file left."""
    import subprocess
    import sys

    url = make_db(kind)
    if kind == "sqlite":
        run_sql(url, "CREATE TABLE big (s TEXT)")
        with connect(url) as conn:
            conn.execute(sa.text("INSERT INTO big VALUES (:s)"), [{"s": "x" * 1000}] * 300)
    else:
        run_sql(url, "CREATE TABLE big AS SELECT g, repeat(md5(g::text), 10) AS s FROM generate_series(1, 5000) g")
    folder = tmp_path / "limited"
    out = folder / f"big{provider_for(url).suffix}"
    proc = subprocess.run(
        [sys.executable, "-c", _FILE_LIMIT_SCRIPT, url, str(out)],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["error"] and result["path"] == str(out)
    assert list(folder.iterdir()) == []


def test_postgresql_failed_restore_puts_the_schemas_back(make_db, tmp_path, no_tool_overrides):
    """pg_restore failing (a GRANT to a role dropped since the backup) leaves every schema,
    table and row as it was, and nothing set aside behind."""
    url = make_db("postgresql")
    role = "nexo_gone_" + uuid.uuid4().hex[:8]
    run_sql(url, f"CREATE ROLE {role}", "CREATE TABLE t (i INTEGER)", f"GRANT SELECT ON t TO {role}",
            "INSERT INTO t VALUES (1)")
    out = tmp_path / "b.dump"
    provider = PostgresBackup()
    provider.backup(make_url(url), out)
    run_sql(url, f"DROP OWNED BY {role}", f"DROP ROLE {role}", "INSERT INTO t VALUES (2)",
            "CREATE SCHEMA extra", "CREATE TABLE extra.x (i INTEGER)")
    with pytest.raises(BackupError, match=f"pg_restore failed.*{role}"):
        provider.restore(make_url(url), out)
    with connect(url) as conn:
        assert conn.exec_driver_sql("SELECT i FROM t ORDER BY i").scalars().all() == [1, 2]
        assert conn.exec_driver_sql("SELECT count(*) FROM extra.x").scalar() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM pg_namespace WHERE left(nspname, 6) = '__nexo'").scalar() == 0
