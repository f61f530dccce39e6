"""Reading and writing ``__Migrations`` and ``__MigrationHistory``.

Read-only callers use ``applied()``/``history()``, which treat missing tables as "nothing
applied" and create nothing. Writers call ``ensure()`` (while holding the lock) and then
``append()`` history rows; ``append`` assigns ``seq`` = last + 1 and chains the hash. The tail
is cached and only advanced after the caller's transaction commits (``committed()``), so a
rolled-back transaction never leaves the cache ahead of the table.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from ... import __version__
from .chain import GENESIS, ChainVerdict, row_hash, verify_chain
from .tables import FORMAT_VERSION, Tables, make_tables


def utcnow() -> datetime:
    """Naive UTC with microseconds: what every dialect stores and reads back unchanged."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value.replace(tzinfo=timezone.utc)


def new_deployment_id() -> str:
    return str(uuid.uuid4())


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class MigrationRow:
    id: str
    version: str
    name: str
    description: str | None
    checksum: str
    status: str
    depends: tuple[str, ...]
    applied_at: datetime | None
    applied_by: str | None
    execution_ms: int | None
    metadata: dict


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    deployment_id: str | None
    migration_id: str | None
    action: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    operator: str | None
    host: str | None
    tool_version: str | None
    details: str | None
    error: str | None
    prev_hash: str
    hash: str

    def details_dict(self) -> dict:
        try:
            return json.loads(self.details) if self.details else {}
        except ValueError:
            return {}


#: per-statement options for reading history: a server-side cursor, rows fetched in batches.
#: (Passed to execute(), never set on the connection: that would be sticky in SQLAlchemy 2.)
STREAM = {"stream_results": True, "yield_per": 2000}

_OPERATOR: tuple[str, str] | None = None


def operator_and_host() -> tuple[str, str]:
    global _OPERATOR
    if _OPERATOR is None:
        try:
            user = getpass.getuser()
        except Exception:  # no user name in a bare container
            user = "unknown"
        _OPERATOR = (user, socket.gethostname())
    return _OPERATOR


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON columns (depends, metadata) are stored as text."""
    out = dict(values)
    for key in ("depends", "metadata"):
        if key in out and not isinstance(out[key], str | None):
            out[key] = to_json(out[key])
    return out


class StateStore:
    def __init__(self, engine: sa.Engine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema
        self.t: Tables = make_tables(schema)
        self._tail: tuple[int, str] | None = None
        self._pending_tail: tuple[int, str] | None = None
        self._resolved = schema is not None
        self._exists = False

    def _resolve_schema(self, conn: sa.Connection) -> None:
        """Pin the state tables to the connection's default schema, read once before any
        migration runs, so a migration that changes ``search_path`` (or ``USE``s another
        database) cannot redirect the tool's own writes."""
        if self._resolved:
            return
        query = {
            "postgresql": "SELECT current_schema()",
            "mysql": "SELECT DATABASE()",
            "mariadb": "SELECT DATABASE()",
            "mssql": "SELECT SCHEMA_NAME()",
        }.get(conn.dialect.name)
        if query:
            schema = conn.exec_driver_sql(query).scalar()
            if conn.in_transaction():
                conn.commit()
            if schema:
                self.schema = schema
                self.t = make_tables(schema)
        self._resolved = True

    # -- existence -----------------------------------------------------------------------------

    def exists(self, conn: sa.Connection) -> bool:
        """Whether the state tables exist. A positive answer is remembered for this store."""
        if self._exists:
            return True
        self._resolve_schema(conn)
        insp = sa.inspect(conn)
        self._exists = insp.has_table(self.t.migrations.name, schema=self.schema) and insp.has_table(
            self.t.history.name, schema=self.schema
        )
        return self._exists

    def ensure(self, conn: sa.Connection) -> None:
        """Create the state tables when missing (first changing command). Commits."""
        self._resolve_schema(conn)
        if conn.in_transaction():
            conn.commit()
        with conn.begin():
            self.t.metadata.create_all(conn, checkfirst=True)
            meta = self.t.meta
            have = conn.execute(sa.select(meta.c.value).where(meta.c.key == "format_version")).scalar()
            if have is None:
                conn.execute(meta.insert(), [{"key": "format_version", "value": FORMAT_VERSION}])
        self._tail = None
        self._exists = True

    def check_shape(self, conn: sa.Connection) -> list[str]:
        """Columns the state tables should have but do not (health check)."""
        self._resolve_schema(conn)
        insp = sa.inspect(conn)
        problems = []
        for table in (self.t.migrations, self.t.history):
            if not insp.has_table(table.name, schema=self.schema):
                continue
            have = {c["name"].lower() for c in insp.get_columns(table.name, schema=self.schema)}
            problems += [f"{table.name}.{c.name}" for c in table.columns if c.name.lower() not in have]
        return problems

    # -- migrations ----------------------------------------------------------------------------

    def applied(self, conn: sa.Connection) -> dict[str, MigrationRow]:
        """Every row of ``__Migrations`` by id ({} when the table does not exist)."""
        if not self.exists(conn):
            return {}
        rows = conn.execute(sa.select(self.t.migrations)).mappings().all()
        out = {}
        for r in rows:
            out[r["id"]] = MigrationRow(
                id=r["id"], version=r["version"], name=r["name"], description=r["description"],
                checksum=r["checksum"], status=r["status"],
                depends=tuple(json.loads(r["depends"] or "[]")),
                applied_at=as_utc(r["applied_at"]), applied_by=r["applied_by"],
                execution_ms=r["execution_ms"],
                metadata=json.loads(r["metadata"]) if r["metadata"] else {},
            )
        return out

    def failed_attempts(self, conn: sa.Connection) -> set[str]:
        """Migrations whose latest apply attempt failed and left nothing applied (their
        transaction rolled back): shown as ``failed`` until applied successfully."""
        if not self.exists(conn):
            return set()
        h, m = self.t.history, self.t.migrations
        latest = (sa.select(sa.func.max(h.c.seq))
                  .where(h.c.migration_id.is_not(None), h.c.action.in_(("apply", "baseline", "repair")))
                  .group_by(h.c.migration_id))
        q = (sa.select(h.c.migration_id)
             .where(h.c.seq.in_(latest), h.c.action == "apply", h.c.status == "failed")
             .where(~sa.exists().where(m.c.id == h.c.migration_id, m.c.status != "rolled_back")))
        return set(conn.execute(q).scalars())

    def put_migration(self, conn: sa.Connection, *, exists: bool | None = None, **row: Any) -> None:
        """Insert or replace the row of one migration. ``exists`` (when the caller knows
        whether a row is there) saves a statement on the hot path of a deploy."""
        t = self.t.migrations
        values = _encode(row)
        if exists is not False:
            params = {k: v for k, v in values.items() if k != "id"}
            result = conn.execute(self._update_by_id(), {"_id": values["id"], **params})
            if result.rowcount or exists:
                return
        conn.execute(t.insert(), values)

    def _update_by_id(self) -> sa.Update:
        # one statement object per store: SQLAlchemy compiles it once and caches it;
        # the SET clause comes from the parameter names of each call.
        t = self.t.migrations
        return t.update().where(t.c.id == sa.bindparam("_id"))

    def set_status(self, conn: sa.Connection, migration_id: str, status: str, **extra: Any) -> None:
        conn.execute(self._update_by_id(), {"_id": migration_id, "status": status, **_encode(extra)})

    def delete_migration(self, conn: sa.Connection, migration_id: str) -> None:
        t = self.t.migrations
        conn.execute(t.delete().where(t.c.id == migration_id))

    # -- history -------------------------------------------------------------------------------

    def _load_tail(self, conn: sa.Connection) -> tuple[int, str]:
        h = self.t.history
        row = conn.execute(sa.select(h.c.seq, h.c.hash).order_by(h.c.seq.desc()).limit(1)).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    def append(
        self,
        conn: sa.Connection,
        *,
        action: str,
        status: str,
        started_at: datetime,
        finished_at: datetime | None = None,
        deployment_id: str | None = None,
        migration_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> HistoryRow:
        """Append one history row inside the caller's transaction. Call only under the lock."""
        if self._pending_tail is not None:
            seq, prev = self._pending_tail
        else:
            if self._tail is None:
                self._tail = self._load_tail(conn)
            seq, prev = self._tail
        operator, host = operator_and_host()
        finished = finished_at or utcnow()
        row = {
            "seq": seq + 1,
            "deployment_id": deployment_id,
            "migration_id": migration_id,
            "action": action,
            "status": status,
            "started_at": started_at,
            "finished_at": finished,
            "duration_ms": int((finished - started_at).total_seconds() * 1000),
            "operator": operator,
            "host": host,
            "tool_version": __version__,
            "details": to_json(dict(details)) if details else None,
            "error": error,
            "prev_hash": prev,
        }
        row["hash"] = row_hash(row)
        conn.execute(self.t.history.insert(), row)
        self._pending_tail = (row["seq"], row["hash"])
        return HistoryRow(**row)

    def invalidate(self) -> None:
        """Forget what is cached about the tables (after a restore replaced them)."""
        self._tail = None
        self._pending_tail = None
        self._exists = False

    def committed(self) -> None:
        """The transaction holding the appended rows committed: advance the cached tail."""
        if self._pending_tail is not None:
            self._tail = self._pending_tail
            self._pending_tail = None

    def rolled_back(self) -> None:
        self._pending_tail = None

    def history(
        self,
        conn: sa.Connection,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        migration_id: str | None = None,
        action: str | None = None,
        status: str | None = None,
        deployment_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[HistoryRow]:
        """History rows in ``seq`` order, filtered; streams (no list of all rows in memory)."""
        if not self.exists(conn):
            return
        h = self.t.history
        q = sa.select(h)
        if since is not None:
            q = q.where(h.c.started_at >= since.astimezone(timezone.utc).replace(tzinfo=None) if since.tzinfo else since)
        if until is not None:
            q = q.where(h.c.started_at <= until.astimezone(timezone.utc).replace(tzinfo=None) if until.tzinfo else until)
        for col, value in (("migration_id", migration_id), ("action", action),
                           ("status", status), ("deployment_id", deployment_id)):
            if value is not None:
                q = q.where(h.c[col] == value)
        q = q.order_by(h.c.seq.desc() if newest_first else h.c.seq)
        if limit is not None:
            q = q.limit(limit)
        result = conn.execute(q, execution_options=STREAM)
        for r in result.mappings():
            yield HistoryRow(**r)

    def verify_chain(self, conn: sa.Connection) -> ChainVerdict:
        if not self.exists(conn):
            return ChainVerdict(True, 0)
        h = self.t.history
        result = conn.execute(sa.select(h).order_by(h.c.seq), execution_options=STREAM)
        return verify_chain(result.mappings())
