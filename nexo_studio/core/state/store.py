"""Reading and writing ``__Migrations`` and ``__MigrationHistory``.

Read-only callers use ``applied()``/``history()``, which treat missing tables as "nothing
applied" and create nothing. Writers call ``ensure()`` (while holding the lock) and then
``append()`` history rows; ``append`` assigns ``seq`` = last + 1 and chains the hash. The tail
is cached and bound to the transaction that wrote it: the connection's own ``commit`` /
``rollback`` events advance it or drop it (see ``_follow``), so no caller has to say which
happened, and a rolled-back (or failed) commit never leaves the cache ahead of the table.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, overload

import sqlalchemy as sa

from ... import __version__
from ..dialects import rules_for
from .chain import GENESIS, ChainVerdict, row_hash
from .prepared import DriverWriter, Prepared
from .tables import FORMAT_VERSION, Tables, make_tables
from .tailfollow import TailFollower
from .tamper import (  # noqa: F401  (re-exported: callers import them from here)
    TAIL_KEY, DecidingEvent, Tampering, _parse_tail, _tail_text, details_dict, tampering,
)
from ..kinds import HistoryAction, HistoryStatus, MigrationStatus


def utcnow() -> datetime:
    """Naive UTC with microseconds: what every dialect stores and reads back unchanged."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value.replace(tzinfo=timezone.utc)


def _naive_utc(value: datetime) -> datetime:
    """A time as the tables store it: naive UTC (a naive value is taken to be UTC already)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def new_deployment_id() -> str:
    return str(uuid.uuid4())


#: ``json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)``, built once
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return _JSON.encode(value)


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

    @classmethod
    def stored(cls, mid: str, version: str, name: str, description: str | None, checksum: str, status: str,
               depends: tuple[str, ...], applied_at: datetime | None, applied_by: str | None,
               execution_ms: int | None, metadata: str | None) -> "MigrationRow":
        """A row as read from ``__Migrations``, its ``metadata`` JSON text decoded on first use
        (``__getattr__``): status reads none of it, and a baselined row's holds its whole ``up``
        (``up_text``), a few KB to decode per row. Equal to the row built with the decoded dict."""
        row = cls.__new__(cls)
        row.__dict__.update(id=mid, version=version, name=name, description=description, checksum=checksum,
                            status=status, depends=depends, applied_at=applied_at, applied_by=applied_by,
                            execution_ms=execution_ms, _metadata_text=metadata)
        return row


class _StoredMetadata:
    """``MigrationRow.metadata`` of a row built by ``stored``: its JSON text decoded on first read
    and kept in the row's ``__dict__``, which answers from then on (as ``functools.cached_property``;
    a row built by ``__init__`` has it there from the start). A class attribute rather than
    ``__getattr__``: a class with ``__getattr__`` has *every* attribute looked up the slow way
    (about twice as long, and not specialised by Python 3.11), and `status` reads ~10 per row."""

    def __get__(self, row: "MigrationRow | None", owner: type | None = None) -> Any:
        if row is None:
            return self
        values = row.__dict__
        if "_metadata_text" not in values:
            raise AttributeError(f"{type(row).__name__!r} object has no attribute 'metadata'")
        text = values["_metadata_text"]
        value = values["metadata"] = json.loads(text) if text else {}
        return value


if not TYPE_CHECKING:  # set after the dataclass is made: not a default of the field
    MigrationRow.metadata = _StoredMetadata()


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
        return details_dict(self.details)


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


class StateStore(TailFollower):
    def __init__(self, engine: sa.Engine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema
        self.t: Tables = make_tables(schema)
        self._tail: tuple[int, str] | None = None
        self._init_follower()
        self._resolved = schema is not None
        self._exists = False
        #: the history-tail row in __NexoMeta is known to exist (ensure() committed it)
        self._tail_row = False
        self._prepared: dict[tuple, Prepared] = {}
        self._writer: DriverWriter | None = None
        self._driver_writes = rules_for(engine.dialect.name).driver_writes

    def _resolve_schema(self, conn: sa.Connection) -> None:
        """Pin the state tables to the connection's default schema, read once before any
        migration runs, so a migration that changes ``search_path`` (or ``USE``s another
        database) cannot redirect the tool's own writes."""
        if self._resolved:
            return
        query = rules_for(conn.dialect.name).current_schema_sql
        if query:
            schema = conn.exec_driver_sql(query).scalar()
            if conn.in_transaction():
                conn.commit()
            if schema:
                self.schema = schema
                self.t = make_tables(schema)
                self._prepared.clear()
        self._resolved = True

    # -- existence -----------------------------------------------------------------------------

    def exists(self, conn: sa.Connection) -> bool:
        """Whether the state tables exist. A positive answer is remembered for this store."""
        if self._exists:
            return True
        present = self.present(conn)
        self._exists = self.t.migrations.name in present and self.t.history.name in present
        return self._exists

    def present(self, conn: sa.Connection) -> set[str]:
        """Which of the tool's tables exist (one look at the catalogue)."""
        self._resolve_schema(conn)
        sql = rules_for(conn.dialect.name).table_names_sql
        names = conn.execute(sa.text(sql), {"s": self.schema}).scalars() if sql and self.schema is not None \
            else sa.inspect(conn).get_table_names(schema=self.schema)
        have = {n.lower() for n in names}
        # compared without case: MySQL with lower_case_table_names lists them in lower case
        return {t.name for t in (self.t.migrations, self.t.history, self.t.meta) if t.name.lower() in have}

    def ensure(self, conn: sa.Connection) -> None:
        """Create the state tables when missing (first changing command). Commits."""
        self._resolve_schema(conn)
        if conn.in_transaction():
            conn.commit()
        with conn.begin():
            self.t.metadata.create_all(conn, checkfirst=True)
            meta = self.t.meta
            have = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
            if have.get("format_version") is None:
                conn.execute(meta.insert(), [{"key": "format_version", "value": FORMAT_VERSION}])
            if TAIL_KEY not in have:  # first run of this version on an existing database too
                seq, hash_ = self._load_tail(conn)
                conn.execute(meta.insert(), [{"key": TAIL_KEY, "value": _tail_text(seq, hash_)}])
        self._tail = None
        self._exists = True
        self._tail_row = True

    def check_shape(self, conn: sa.Connection) -> list[str]:
        """Columns the state tables should have but do not (health check). The columns a table
        has are the names of a query that returns no row: one cheap statement per table on any
        dialect, where the inspector sent several catalogue queries (13 ms a deploy on PostgreSQL)."""
        present = self.present(conn)
        problems = []
        for table in (self.t.migrations, self.t.history):
            if table.name not in present:
                continue
            have = {k.lower() for k in conn.execute(sa.select(sa.literal_column("*")).select_from(table)
                                                    .where(sa.false())).keys()}
            problems += [f"{table.name}.{c.name}" for c in table.columns if c.name.lower() not in have]
        return problems

    # -- migrations ----------------------------------------------------------------------------

    def applied(self, conn: sa.Connection) -> dict[str, MigrationRow]:
        """Every row of ``__Migrations`` by id ({} when the table does not exist)."""
        if not self.exists(conn) and self.t.migrations.name not in self.present(conn):
            return {}
        # Rows written by one deployment or baseline share their `depends` text (most often
        # "[]"): decode each distinct text once. The tuple is immutable, so rows may share it.
        # `metadata` becomes a dict, mutable, so every row decodes its own (when first read).
        depends: dict[str | None, tuple[str, ...]] = {}
        out = {}
        # plain rows unpacked by position (a mapping per row costs more than the decoding)
        columns = ("id", "version", "name", "description", "checksum", "status", "depends",
                   "applied_at", "applied_by", "execution_ms", "metadata")
        c = self.t.migrations.c
        for (mid, version, name, description, checksum, status, depends_text, applied_at, applied_by,
             execution_ms, metadata) in conn.execute(sa.select(*(c[k] for k in columns))):
            deps = depends.get(depends_text)
            if deps is None:
                deps = depends[depends_text] = tuple(json.loads(depends_text or "[]"))
            out[mid] = MigrationRow.stored(mid, version, name, description, checksum, status, deps,
                                           as_utc(applied_at), applied_by, execution_ms, metadata)
        return out

    def failed_attempts(self, conn: sa.Connection) -> set[str]:
        """Migrations whose latest apply attempt failed and left nothing applied (their
        transaction rolled back): shown as ``failed`` until applied successfully."""
        if not self.exists(conn):
            return set()
        h, m = self.t.history, self.t.migrations
        latest = (sa.select(sa.func.max(h.c.seq))
                  .where(h.c.migration_id.is_not(None),
                         h.c.action.in_((HistoryAction.APPLY, HistoryAction.BASELINE, HistoryAction.ADOPT,
                                         HistoryAction.REPAIR)))
                  .group_by(h.c.migration_id))
        q = (sa.select(h.c.migration_id)
             .where(h.c.seq.in_(latest), h.c.action == HistoryAction.APPLY, h.c.status == HistoryStatus.FAILED)
             .where(~sa.exists().where(m.c.id == h.c.migration_id, m.c.status != MigrationStatus.ROLLED_BACK)))
        return set(conn.execute(q).scalars())

    def put_migration(self, conn: sa.Connection, *, exists: bool | None = None, **row: Any) -> None:
        """Insert or replace the row of one migration. ``exists`` (when the caller knows
        whether a row is there) saves a statement on the hot path of a deploy."""
        values = _encode(row)
        if exists is not False:
            params = {k: v for k, v in values.items() if k != "id"}
            changed = self._write(conn, "update_migration", {"_id": values["id"], **params}, rowcount=not exists)
            if exists or changed:
                return
        self._write(conn, "insert_migration", values)

    def set_status(self, conn: sa.Connection, migration_id: str, status: str, **extra: Any) -> None:
        self._write(conn, "update_migration", {"_id": migration_id, "status": status, **_encode(extra)})

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
        """Append one history row inside the caller's transaction (begun here when none is
        open, as Core's autobegin would). Call only under the lock. The cached tail follows
        that transaction: advanced when it commits, dropped when it rolls back."""
        self._follow(conn)
        self._settle(conn)
        if self._pending_tail is not None:
            seq, prev = self._pending_tail
        else:
            if self._tail is None:
                self._tail = self._load_tail(conn)
            seq, prev = self._tail
        operator, host = operator_and_host()
        finished = finished_at or utcnow()
        row: dict[str, Any] = {
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
        digest = row["hash"] = row_hash(row)
        self._write(conn, "insert_history", row)
        self.set_tail(conn, seq + 1, digest)
        self._pending_tail = (seq + 1, digest)
        self._pending_conn = conn
        return HistoryRow(**row)

    def set_tail(self, conn: sa.Connection, seq: int | None = None, hash_: str | None = None) -> None:
        """Record the history's last row (``seq``, ``hash``; default: read it) in __NexoMeta, in the
        caller's transaction: a row deleted from the end of the history is then detected."""
        if seq is None or hash_ is None:  # given together, or read
            seq, hash_ = self._load_tail(conn)
        values = {"_key": TAIL_KEY, "value": _tail_text(seq, hash_)}
        known = self._tail_row
        if not self._write(conn, "update_meta", values, rowcount=not known) and not known:
            self._write(conn, "insert_meta", {"key": TAIL_KEY, "value": values["value"]})

    # -- the hot path's writes (see prepared.py) -----------------------------------------------

    def _statement(self, name: str) -> sa.Update | sa.Insert:
        t = self.t
        if name == "update_migration":
            return t.migrations.update().where(t.migrations.c.id == sa.bindparam("_id"))
        if name == "update_meta":
            return t.meta.update().where(t.meta.c.key == sa.bindparam("_key"))
        return {"insert_migration": t.migrations, "insert_history": t.history, "insert_meta": t.meta}[name].insert()

    def _write(self, conn: sa.Connection, name: str, values: Mapping[str, Any], rowcount: bool = False) -> int | None:
        """Run one of the statements above with ``values`` (keys starting with ``_`` are WHERE
        parameters, the others the columns written); the row count only when asked for."""
        if not self._driver_writes:
            return conn.execute(self._statement(name), dict(values)).rowcount
        if not conn.in_transaction():
            conn.begin()  # the driver's cursor does not autobegin: the transaction must be Core's
        key = (name, tuple(values))
        prepared = self._prepared.get(key)
        if prepared is None:
            columns = [k for k in values if not k.startswith("_")]
            prepared = self._prepared[key] = Prepared(self._statement(name), conn.dialect, columns)
        return (self._writer or DriverWriter(conn)).execute(prepared, values, rowcount)

    def execute_plain(self, conn: sa.Connection, sql: str) -> None:
        """Run SQL without parameters with the writes above (PostgreSQL: in the same batch)."""
        (self._writer or DriverWriter(conn)).execute(sql)

    @contextlib.contextmanager
    def batch(self, conn: sa.Connection, commit: bool = False) -> Iterator[None]:
        """Group one step's bookkeeping writes: one query on PostgreSQL, sent when the block ends;
        errors are raised (as SQLAlchemy's DBAPIError) by the end of the block at the latest.
        ``commit``: on PostgreSQL the COMMIT travels in that query too; the caller still calls
        ``Transaction.commit()`` after the block (it is what commits elsewhere, and what Core
        and the cached tail follow)."""
        if self._writer is not None or not self._driver_writes:
            yield
            return
        # what the writes depend on is read first: a read inside the block would not see them
        self._follow(conn)
        self._settle(conn)
        if self._tail is None and self._pending_tail is None:
            self._tail = self._load_tail(conn)
        if not self._tail_row:
            meta = self.t.meta
            self._tail_row = conn.execute(sa.select(meta.c.key).where(meta.c.key == TAIL_KEY)).first() is not None
        self._writer = DriverWriter(conn)
        try:
            with self._writer.batch(commit):
                yield
        finally:
            self._writer = None

    def invalidate(self) -> None:
        """Forget what is cached about the tables (after a restore replaced them)."""
        self._forget()
        self._exists = False

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
            q = q.where(h.c.started_at >= _naive_utc(since))
        if until is not None:
            q = q.where(h.c.started_at <= _naive_utc(until))
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

    def rows_at(self, conn: sa.Connection, seqs: "Iterable[int]") -> list[HistoryRow]:
        """The history rows with these seqs (those that exist), in seq order."""
        wanted = sorted(set(seqs))
        if not wanted or not self.exists(conn):
            return []
        h = self.t.history
        return [HistoryRow(**r) for r in conn.execute(sa.select(h).where(h.c.seq.in_(wanted)).order_by(h.c.seq))
                .mappings()]

    # -- tampering -----------------------------------------------------------------------------

    def tampering(self, conn: sa.Connection, rows: "dict[str, MigrationRow] | None" = None) -> Tampering:
        """What the state tables say that the history contradicts (see tamper.tampering)."""
        return tampering(self, conn, rows)

    def verify_chain(self, conn: sa.Connection) -> ChainVerdict:
        """The whole history's hash chain (rows by position: see chainscan)."""
        from .chainscan import verify_history

        return verify_history(self, conn)
