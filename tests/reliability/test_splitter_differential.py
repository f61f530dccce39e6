"""Statement splitting is the TARGET dialect's (issue items 1 and 13), proved against the servers.

Differential: hypothesis writes SQL text full of what each dialect's lexer reads its own way --
comments of every kind (``#`` and ``-- `` on MariaDB, nested ``/* /* */ */`` on PostgreSQL),
strings with every escape (``\\'`` and ``""`` on MariaDB, ``E'…'`` and ``$tag$`` on PostgreSQL),
quoted identifiers -- made of INSERTs of numbered markers into a probe table, interleaved with
commented-out statements that must not run. The same text runs (a) as a nexo migration: loaded,
split by ``Migration.statements("up", target)``, each statement sent alone through the driver;
(b) through the server's own client (``psql -v ON_ERROR_STOP=1 -f``, ``mariadb < file``,
``sqlite3 -bail db < file``) on a second database. Both probe tables must hold the same rows in
the same order, and exactly the live markers. ``NEXO_SPLITTER_EXAMPLES`` sets the examples per
dialect (default 40).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from nexo_studio.core.loader import load_file
from tests.reliability.harness import run_entry_point

EXAMPLES = int(os.environ.get("NEXO_SPLITTER_EXAMPLES", "40"))
TARGETS = ["sqlite", "postgresql", "mariadb"]
SERVER = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}
PROBE_DDL = {
    "sqlite": "CREATE TABLE probe (n INTEGER PRIMARY KEY AUTOINCREMENT, k INTEGER, v TEXT)",
    "postgresql": "CREATE TABLE probe (n SERIAL PRIMARY KEY, k INTEGER, v TEXT)",
    "mariadb": "CREATE TABLE probe (n INT AUTO_INCREMENT PRIMARY KEY, k INT, v TEXT)",
}
VERSION = "2025.01.26.093000"


# --- the databases --------------------------------------------------------------------------------


class Db:
    """One throwaway database: a DBAPI connection in autocommit, and the server's client."""

    def __init__(self, target: str, url: str):
        self.target, self.url = target, url
        if target == "sqlite":
            self.file = make_url(url).database
            self.conn = sqlite3.connect(self.file, isolation_level=None)
        else:
            self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            self.sa_conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.conn = self.sa_conn.connection.dbapi_connection

    def execute(self, sql: str) -> None:
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def reset(self) -> None:
        self.execute("DROP TABLE IF EXISTS probe")
        self.execute(PROBE_DDL[self.target])

    def rows(self) -> list[tuple]:
        cursor = self.conn.cursor()
        cursor.execute("SELECT k, v FROM probe ORDER BY n")
        rows = [tuple(row) for row in cursor.fetchall()]
        cursor.close()
        return rows

    def client(self, path: Path) -> subprocess.CompletedProcess:
        """The server's own client runs the file, as a person would."""
        if self.target == "sqlite":
            with open(path, "rb") as stdin:
                return subprocess.run(["sqlite3", "-bail", self.file], stdin=stdin,
                                      capture_output=True, timeout=60)
        url = make_url(self.url)
        if self.target == "postgresql":
            dsn = f"postgresql://{url.username}@{url.host}:{url.port or 5432}/{url.database}"
            return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn,
                                   "-f", str(path)], capture_output=True, timeout=60)
        with open(path, "rb") as stdin:
            return subprocess.run(
                ["mariadb", "-h", url.host, "-P", str(url.port or 3306), "-u", url.username,
                 "--default-character-set=utf8mb4", url.database],
                stdin=stdin, capture_output=True, timeout=60)

    def close(self) -> None:
        if self.target == "sqlite":
            self.conn.close()
        else:
            self.sa_conn.close()
            self.engine.dispose()


def run_as_migration(db: Db, tmp: Path, text: str) -> None:
    """(a) nexo's way: the text as a generic ``-- +up``, split for the target, one statement
    per driver call."""
    path = tmp / f"{VERSION}_probe.sql"
    path.write_text("-- +up\n" + text, encoding="utf-8")
    for statement in load_file(path).statements("up", db.target):
        db.execute(statement.sql)


# --- what hypothesis writes -------------------------------------------------------------------------

_VALUE = st.text(alphabet="ab ;-*/#$'\"\\\n\t`[]", max_size=14)
_COMMENT = st.text(alphabet="ab ;-*/#$'\"`[]", max_size=12)


@st.composite
def literal(draw, target: str) -> str:
    """A string literal of a random value, in one of the target's quotings and escapes."""
    value = draw(_VALUE)
    kinds = ["plain"]
    if target == "mariadb":
        kinds += ["double"]
    if target == "postgresql":
        kinds += ["e", "dollar"]
    kind = draw(st.sampled_from(kinds))
    if target == "mariadb":
        value = value.replace("\\", "\\\\")
        quote = "'" if kind == "plain" else '"'
        escaped = draw(st.sampled_from([quote * 2, "\\" + quote]))
        return quote + value.replace(quote, escaped) + quote
    if kind == "e":
        escaped = draw(st.sampled_from(["''", "\\'"]))
        return "E'" + value.replace("\\", "\\\\").replace("'", escaped) + "'"
    if kind == "dollar":
        tag = draw(st.sampled_from(["", "q", "body"]))
        close = f"${tag}$"
        if tag == "":
            value = value.replace("$", "")
        if (value + close).find(close) == len(value):
            return close + value + close
    return "'" + value.replace("'", "''") + "'"


@st.composite
def comment(draw, target: str, inline: bool) -> str:
    """A comment (its text full of hazards) that ends where code may follow."""
    text = draw(_COMMENT)
    kinds = ["dashes", "block"]
    if target == "mariadb":
        kinds.append("hash")
    if target == "postgresql":
        kinds.append("nested")
    kind = draw(st.sampled_from(kinds))
    if kind == "dashes":
        return f"-- {text}\n"
    if kind == "hash":
        return f"# {text}\n"
    body = text.replace("*", "")  # no early end, no nesting unless asked for
    if kind == "nested":
        return f"/* {body} /* {body} */ {body} */"
    if target != "postgresql":  # an opener inside a comment is text where comments do not nest
        body += " /* " + body
    return f"/* {body} */" + ("" if inline else "\n")


def quoted_alias(target: str, name: str) -> list[str]:
    """Column aliases quoted every way the target knows (the name holds hazards)."""
    forms = []
    if target in ("sqlite", "postgresql"):
        forms.append('"' + name.replace('"', '""') + '"')
    if target in ("sqlite", "mariadb"):
        forms.append("`" + name.replace("`", "``") + "`")
    if target == "sqlite":
        forms.append("[" + name.replace("]", "") + "]")
    return forms


@st.composite
def live_statement(draw, target: str, k: int) -> str:
    """An INSERT of marker ``k`` that must run, with comments and quotes inside it."""
    value = draw(literal(target))
    inside = draw(st.one_of(st.just(" "), comment(target, inline=True)))
    if target == "mariadb" and draw(st.booleans()):
        number = f"{k - 1}--1"  # MariaDB: `--1` is minus minus one, not a comment
    else:
        number = str(k)
    form = draw(st.integers(0, 2))
    if form == 0:
        return f"INSERT INTO probe (k, v) VALUES ({number},{inside}{value})"
    if form == 1:
        alias = draw(st.sampled_from(quoted_alias(target, draw(_COMMENT) or "a")))
        return f"INSERT INTO probe (k, v) SELECT {number},{inside}{value} AS {alias}"
    if target == "mariadb":
        return f"/*!40000 INSERT INTO probe (k, v) VALUES ({number}, 'bang') */"
    if target == "postgresql":  # (values hold no letters d, o: `$do$` cannot occur in them)
        return f"DO $do$ BEGIN INSERT INTO probe (k, v) VALUES ({number}, {value}); END $do$"
    return f"INSERT INTO probe (k, v) VALUES ({number}, {value})"


@st.composite
def dead_statement(draw, target: str, k: int) -> str:
    """A commented-out statement: running it (or any part of it) shows in the probe table."""
    sql = f"INSERT INTO probe (k, v) VALUES ({k}, 'dead;'); DELETE FROM probe;"
    kinds = ["dashes", "block"]
    if target == "mariadb":
        kinds.append("hash")
    if target == "postgresql":
        kinds.append("nested")
    kind = draw(st.sampled_from(kinds))
    if kind == "dashes":
        return f"-- {sql}\n"
    if kind == "hash":
        return f"# disabled for now: {sql}\n"
    if kind == "nested":
        return f"/* a /* b */ {sql} */\n"
    return f"/* {sql} */\n"


@st.composite
def script(draw, target: str) -> tuple[str, list[int]]:
    """(SQL text, the markers that must run, in order)."""
    parts, live = [], []
    for k in range(1, draw(st.integers(1, 7)) + 1):
        if draw(st.booleans()):
            parts.append(draw(dead_statement(target, -k)))
        statement = draw(live_statement(target, k))
        if target == "mariadb" and draw(st.integers(0, 4)) == 0:
            # on a line of its own (the client mangles one that follows a statement on its
            # line), and `//` on the next line: the client ends `*/` + `//` at `///`
            statement = f"\nDELIMITER //\n{statement}\n//\nDELIMITER ;\n"
        else:
            statement += ";"
        parts.append(statement)
        parts.append(draw(st.sampled_from(["\n", " ", "\n\n", "\t"])))
        live.append(k)
    return "".join(parts), live


# --- the differential test --------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_split_matches_the_servers_own_client(make_db, tmp_path, target, figures):
    mine, theirs = Db(target, make_db(SERVER[target])), Db(target, make_db(SERVER[target]))
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(script(target))
    def check(case):
        text, live = case
        folder = tmp_path / f"case{next(counter)}"
        folder.mkdir()
        mine.reset()
        theirs.reset()
        run_as_migration(mine, folder, text)
        file = folder / "script.sql"
        file.write_text(text, encoding="utf-8")
        result = theirs.client(file)
        assert result.returncode == 0, result.stderr.decode(errors="replace") + "\n" + text
        assert [k for k, _ in theirs.rows()] == live, text  # the generator itself is right
        assert mine.rows() == theirs.rows(), text
        figures("splitter differential", f"{target} scripts")
        figures("splitter differential", f"{target} statements", len(live))

    try:
        check()
    finally:
        mine.close()
        theirs.close()


# --- the issue's own examples, on the live servers ---------------------------------------------------


def _migrate(tmp_path: Path, url: str, *ups: str) -> subprocess.CompletedProcess:
    """Deploy generic ``-- +up`` sections through the real entry point."""
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    for n, up in enumerate(ups):
        (folder / f"2025.01.26.09300{n}_m{n}.sql").write_text(f"-- +up\n{up}", encoding="utf-8")
    return run_entry_point("--db", url, "--migrations", str(folder), "deploy", "--no-backup")


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()
    finally:
        engine.dispose()


def test_hash_commented_out_statements_do_not_run_on_mariadb(make_db, tmp_path):
    url = make_db("mysql")
    result = _migrate(
        tmp_path, url,
        "CREATE TABLE customers (id INT);\nCREATE TABLE notes (id INT);\n"
        "INSERT INTO customers VALUES (1), (2);\nINSERT INTO notes VALUES (1);\n",
        "# disabled for now: TRUNCATE notes; DELETE FROM customers;\n"
        "INSERT INTO notes VALUES (2);\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _count(url, "customers") == 2
    assert _count(url, "notes") == 2


def test_backslash_quote_in_a_generic_section_on_mariadb(make_db, tmp_path):
    url = make_db("mysql")
    result = _migrate(
        tmp_path, url,
        "CREATE TABLE t (v TEXT);\n"
        "INSERT INTO t VALUES ('it\\'s; DROP TABLE t; --');\n"
        "INSERT INTO t VALUES (\"say \\\"hi\\\"; ok\");\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        values = conn.exec_driver_sql("SELECT v FROM t").scalars().all()
    engine.dispose()
    assert values == ["it's; DROP TABLE t; --", 'say "hi"; ok']


def test_nested_block_comments_in_a_generic_section_on_postgresql(make_db, tmp_path):
    url = make_db("postgresql")
    result = _migrate(
        tmp_path, url,
        "CREATE TABLE t (v INT);\n"
        "/* off for now: /* see ticket */ DROP TABLE t; */\n"
        "INSERT INTO t VALUES (1);\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _count(url, "t") == 1


@pytest.mark.parametrize("server", ["sqlite", "postgresql", "mysql"])
def test_a_marker_line_inside_a_string_is_deployed_as_text(make_db, tmp_path, server):
    url = make_db(server)
    body = "A migration file:\n-- +down\nDROP TABLE docs;\n"
    result = _migrate(
        tmp_path, url,
        f"CREATE TABLE docs (body TEXT);\nINSERT INTO docs VALUES ('{body}');\n"
        "-- +down\nDROP TABLE docs;\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT body FROM docs").scalars().all() == [body]
    engine.dispose()
