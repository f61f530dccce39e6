"""Shared fixtures: throwaway databases on SQLite, PostgreSQL and MariaDB.

Server URLs come from NEXO_TEST_POSTGRES_URL / NEXO_TEST_MYSQL_URL (defaults: the local servers).
When a server does not answer, its tests skip with the reason -- unless CI is set, where a
missing server is a failure, so CI always runs them for real.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "NEXO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("NEXO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

DIALECTS = ["sqlite", "postgresql", "mysql"]


def _server_unavailable(name: str, url: str, exc: Exception) -> None:
    reason = f"{name} server not reachable at {make_url(url).render_as_string(hide_password=True)}: {exc}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so server tests must run)")
    pytest.skip(reason)


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator:
    """Factory: ``make_db(dialect)`` -> URL string of a new empty database, dropped afterwards."""
    cleanups = []

    def make(dialect: str) -> str:
        name = f"nexo_t_{uuid.uuid4().hex[:12]}"
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.db')}"
        base = POSTGRES_URL if dialect == "postgresql" else MYSQL_URL
        try:
            admin = _admin_engine(base)
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        except sa.exc.OperationalError as exc:
            _server_unavailable(dialect, base, exc)
        url = make_url(base).set(database=name)
        cleanups.append((admin, name, dialect))
        return url.render_as_string(hide_password=False)

    yield make
    # a test with many databases (the 100-target fleet) drops them side by side
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda c: _drop(*c), cleanups))


def _drop(admin: sa.Engine, name: str, dialect: str) -> None:
    with admin.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    admin.dispose()


@pytest.fixture(params=DIALECTS)
def dialect(request) -> str:
    return request.param


@pytest.fixture
def db_url(make_db, dialect) -> str:
    """A throwaway database on each dialect in turn (the same test body runs on each)."""
    return make_db(dialect)


@pytest.fixture
def sample_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "migrations"
