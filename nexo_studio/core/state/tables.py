"""The tool's own tables. Every object here has a name starting with ``__`` (SPEC §3)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from ..dialects import rules_for

#: version of the tool's own table format, kept in __NexoMeta (not in __Migrations)
FORMAT_VERSION = "1"

MIGRATIONS = "__Migrations"
HISTORY = "__MigrationHistory"
META = "__NexoMeta"
SNAPSHOTS = "__SchemaSnapshots"

# The two column types that differ by dialect take their dialect's type (core/dialects) when the
# column is used on one, as `with_variant` would, but without building every variant up front:
# `status` on SQLite imports neither MySQL's nor SQL Server's module (~10% of importing SQLAlchemy).


class Timestamp(TypeDecorator):
    """Microsecond timestamps everywhere, so a value read back hashes as it was written."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        return rules_for(dialect.name).timestamp_type()


class LongText(TypeDecorator):
    """Unbounded text. MySQL's TEXT stops at 64 KiB; an error message or statement may be longer."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        return rules_for(dialect.name).long_text_type()


@dataclass(frozen=True)
class Tables:
    metadata: sa.MetaData
    migrations: sa.Table
    history: sa.Table
    meta: sa.Table
    snapshots: sa.Table


@functools.lru_cache(maxsize=32)
def make_tables(schema: str | None = None) -> Tables:
    """The tables in ``schema``: built once per schema and shared (read-only, as SQLAlchemy's
    Table objects are meant to be: every store of a fleet run, each on its own thread, uses
    the same ones; building them costs ~1.5 ms and a store needs them twice)."""
    md = sa.MetaData(schema=schema)
    migrations = sa.Table(
        MIGRATIONS,
        md,
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", LongText),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("depends", LongText, nullable=False),
        sa.Column("applied_at", Timestamp),
        sa.Column("applied_by", sa.String(255)),
        sa.Column("execution_ms", sa.Integer),
        sa.Column("metadata", LongText),
        sa.PrimaryKeyConstraint("id", name="__Migrations_pk"),
    )
    history = sa.Table(
        HISTORY,
        md,
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("deployment_id", sa.String(36)),
        sa.Column("migration_id", sa.String(255)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("operator", sa.String(255)),
        sa.Column("host", sa.String(255)),
        sa.Column("tool_version", sa.String(32)),
        sa.Column("details", LongText),
        sa.Column("error", LongText),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="__MigrationHistory_pk"),
    )
    meta = sa.Table(
        META,
        md,
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", LongText),
        sa.PrimaryKeyConstraint("key", name="__NexoMeta_pk"),
    )
    # SPEC §10: the live schema after each changing operation; created by ensure() (create_all),
    # so a database from before snapshots gets it on its next changing command.
    snapshots = sa.Table(
        SNAPSHOTS,
        md,
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("taken_at", Timestamp, nullable=False),
        sa.Column("history_seq", sa.BigInteger),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", LongText, nullable=False),
        sa.PrimaryKeyConstraint("id", name="__SchemaSnapshots_pk"),
        sa.Index("__SchemaSnapshots_history_seq", "history_seq"),
    )
    return Tables(md, migrations, history, meta, snapshots)
