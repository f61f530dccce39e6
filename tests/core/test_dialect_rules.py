"""Dialect facts live in one class per dialect (core/dialects/), not in if-chains elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nexo_studio.core.dialects import MysqlRules, PostgresRules, SqliteRules, rules_for
from nexo_studio.core.target import Target
from tests.conftest import DIALECTS

CORE = Path(__file__).resolve().parents[2] / "nexo_studio" / "core"
#: SQL syntax (quotes, comments, DELIMITER, GO) belongs to the statement scanner
SYNTAX = {"lexer.py", "splitter.py", "transaction_rules.py"}
#: lint rules are about one server's behaviour by nature (PostgreSQL's lock levels, MySQL's ALTER)
ELSEWHERE = (("lint", "rules"),)


def test_every_dialect_has_its_rules_object():
    assert isinstance(rules_for("sqlite"), SqliteRules)
    assert isinstance(rules_for("postgresql"), PostgresRules)
    assert rules_for("mariadb") is rules_for("mysql")
    assert isinstance(rules_for("mysql"), MysqlRules)
    assert rules_for("mssql").transactional_ddl and not rules_for("mysql").transactional_ddl
    assert rules_for("oracle").backup_provider  # an unknown dialect gets the defaults


def test_no_dialect_if_chains_in_the_engine():
    chain = re.compile(r"""(dialect(\.name)?|backend|get_backend_name\(\))\s*(==|!=|in)\s*[("']""")
    found = []
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE)
        if path.name in SYNTAX or rel.parts[0] == "dialects" or rel.parts[:2] in ELSEWHERE:
            continue
        found += [f"{rel}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1) if chain.search(line)]
    assert not found, f"dialect if-chains outside core/dialects/: {found}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_target_holds_its_rules(make_db, dialect):
    target = Target(make_db(dialect))
    try:
        assert target.dialect == dialect and target.rules is rules_for(dialect)
        with target.connect() as conn:
            version = target.server_version(conn)
            size = target.rules.estimated_size(target.url, conn) if dialect != "sqlite" else None
        assert re.match(r"(SQLite|PostgreSQL|MariaDB|MySQL) \d+\.\d+", version), version
        assert size is None or size >= 0
        assert type(target.rules.lock(target.engine)).__name__ == \
            {"sqlite": "FileLock", "postgresql": "PostgresLock", "mysql": "MySQLLock"}[dialect]
        assert target.rules.backup_provider().dialect == dialect
    finally:
        target.dispose()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_row_estimates_name_the_tables_that_exist(make_db, dialect):
    """SQLite counts, and so does PostgreSQL for a table never analysed; MariaDB's statistics may
    still say 0 for a new table, but the table is there and a missing one is not."""
    target = Target(make_db(dialect))
    try:
        with target.connect() as conn, conn.begin():
            conn.exec_driver_sql("CREATE TABLE Counted (id INTEGER)")
            conn.exec_driver_sql("INSERT INTO Counted VALUES (1), (2), (3)")
        with target.connect() as conn:
            found = target.rules.row_estimates(conn, ["counted", "missing"])
        assert set(found) == {"counted"}
        assert found["counted"] == 3 if dialect != "mysql" else found["counted"] >= 0
    finally:
        target.dispose()
