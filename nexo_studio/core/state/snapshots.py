"""``__SchemaSnapshots``: the live schema recorded after each changing operation (SPEC §10).

``capture()`` reflects the user's objects (never raises: a failed reflection is a warning and a
``schema_sha256: null`` with the reason in the history row); ``record()`` stores the snapshot in
the caller's transaction, the one that appends the history row it belongs to; ``latest()`` reads
the accepted schema back.

``NEXO_FAULT=snapshot:before_insert|after_insert`` kills the process with SIGKILL there;
``NEXO_FAULT=snapshot:reflect:fail`` makes the reflection raise (tests only).
"""

from __future__ import annotations

import json
import logging
import os
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .store import as_utc, utcnow

if TYPE_CHECKING:
    from ..schema import SchemaSnapshot
    from .store import StateStore

log = logging.getLogger("nexo_studio.snapshots")


@dataclass(frozen=True)
class Capture:
    """A reflection of the live schema, or why there is none."""

    snapshot: "SchemaSnapshot | None"
    reason: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.snapshot.sha256 if self.snapshot is not None else None

    def details(self) -> dict[str, Any]:
        """The keys this capture adds to its history row's ``details``."""
        if self.snapshot is not None:
            return {"schema_sha256": self.snapshot.sha256}
        return {"schema_sha256": None, "schema_snapshot_error": self.reason}


@dataclass(frozen=True)
class StoredSnapshot:
    id: int
    taken_at: datetime | None
    history_seq: int | None
    sha256: str
    document: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "taken_at": self.taken_at.isoformat() if self.taken_at else None,
                "history_seq": self.history_seq, "sha256": self.sha256}


def reflect_live(conn: sa.Connection, store: "StateStore") -> "SchemaSnapshot":
    """The live schema (raises when the dialect cannot be reflected). Ends the read transaction."""
    from ..schema import snapshot

    try:
        return snapshot(conn, conn.dialect.name, store.schema)
    finally:
        if conn.in_transaction():
            conn.rollback()


def capture(conn: sa.Connection, store: "StateStore") -> Capture:
    """Reflect the live schema; never raises (the operation before it has already run)."""
    try:
        _fault("reflect")
        return Capture(reflect_live(conn, store))
    except Exception as exc:  # noqa: BLE001 -- a snapshot must not fail the operation
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("schema snapshot not taken: %s", reason)
        try:
            if conn.in_transaction():
                conn.rollback()
        except sa.exc.DBAPIError:
            pass
        return Capture(None, reason)


def _fault(point: str) -> None:
    items = [s.strip() for s in os.environ.get("NEXO_FAULT", "").split(",")]
    if f"snapshot:{point}:fail" in items:
        raise RuntimeError(f"injected failure at snapshot {point} (NEXO_FAULT)")
    if f"snapshot:{point}" in items:
        os.kill(os.getpid(), signal.SIGKILL)


def record(store: "StateStore", conn: sa.Connection, cap: Capture, history_seq: int | None) -> int | None:
    """Store ``cap`` as the accepted schema, in the caller's transaction; its id (None: none taken)."""
    if cap.snapshot is None:
        return None
    t = store.t.snapshots
    new_id = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1
    _fault("before_insert")
    conn.execute(t.insert(), [{"id": new_id, "taken_at": utcnow().replace(tzinfo=None),
                               "history_seq": history_seq, "sha256": cap.snapshot.sha256,
                               "document": cap.snapshot.canonical}])
    _fault("after_insert")
    return new_id


def has_table(store: "StateStore", conn: sa.Connection) -> bool:
    store.present(conn)  # resolves the schema
    names = {n.lower() for n in sa.inspect(conn).get_table_names(schema=store.schema)}
    return store.t.snapshots.name.lower() in names


def latest(store: "StateStore", conn: sa.Connection) -> StoredSnapshot | None:
    """The last recorded snapshot, or None (no table yet, or no row)."""
    if not has_table(store, conn):
        return None
    t = store.t.snapshots
    row = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(1)).first()
    if conn.in_transaction():
        conn.rollback()
    if row is None:
        return None
    return StoredSnapshot(row.id, as_utc(row.taken_at), row.history_seq, row.sha256, json.loads(row.document))
