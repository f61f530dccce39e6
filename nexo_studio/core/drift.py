"""Live drift (SPEC §10): the live schema against the last recorded snapshot. Read-only."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .state.snapshots import StoredSnapshot, latest, reflect_live
from .state.store import StateStore

if TYPE_CHECKING:
    from .events import Log

NONE = "none"
DRIFT = "drift"
NO_SNAPSHOT = "no_snapshot"
#: migrations were applied, rolled back or repaired after the last snapshot by an operation that
#: did not finish (killed before its closing row): the difference is not known to be drift
STALE = "stale"
#: the live schema could not be reflected or read (``reason`` says why); never drift
UNKNOWN = "unknown"
#: history actions that change what the schema should be
_CHANGING = ("apply", "rollback", "repair")


@dataclass
class DriftVerdict:
    status: str  # none | drift | no_snapshot | stale | unknown
    snapshot: StoredSnapshot | None = None
    live_sha256: str | None = None
    changes: list = field(default_factory=list)
    #: with STALE: the seqs of the history rows run after the last snapshot
    since: list = field(default_factory=list)
    #: the live schema document the verdict was computed from (the GUI shows it beside the
    #: snapshot's ``document``); not part of ``as_dict``
    live_document: dict | None = field(default=None, repr=False, compare=False)
    #: with UNKNOWN: why the live schema could not be compared
    reason: str | None = None

    @property
    def drifted(self) -> bool:
        return self.status == DRIFT

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.status == NONE, "status": self.status,
                "snapshot": self.snapshot.summary() if self.snapshot else None,
                "live_sha256": self.live_sha256, "changes": [c.to_dict() for c in self.changes],
                **({"stale_since": self.since} if self.status == STALE else {})}


def check(conn: sa.Connection, store: StateStore, reflect_unsnapshotted: bool = True) -> DriftVerdict:
    """Compare the live schema with the last snapshot; raises if the schema cannot be reflected.
    ``reflect_unsnapshotted=False``: with no snapshot there is nothing to compare, so the live
    schema is not reflected (deploy's gate: a fleet's first deploy skips a catalogue read)."""
    from .schema import diff

    stored = latest(store, conn)
    if stored is None and not reflect_unsnapshotted:
        return DriftVerdict(NO_SNAPSHOT)
    live = reflect_live(conn, store)
    doc = live.document
    if stored is None:
        return DriftVerdict(NO_SNAPSHOT, None, live.sha256, live_document=doc)
    if stored.sha256 == live.sha256:
        return DriftVerdict(NONE, stored, live.sha256, live_document=doc)
    changes = diff(stored.document, doc)
    if not changes:
        return DriftVerdict(NONE, stored, live.sha256, live_document=doc)
    since = _changed_since(conn, store, stored.history_seq or 0)
    return DriftVerdict(STALE if since else DRIFT, stored, live.sha256, changes, since, live_document=doc)


#: repairs that change only Nexo's records (a checksum, a forgotten row, accepted history rows):
#: they say nothing about what the schema should be, and take no snapshot, so they never make
#: later differences "stale" (a hand change after them is drift, and deploy refuses it)
_RECORDS_ONLY = ("accept-checksum", "forget-missing", "accept-history")


def _changed_since(conn: sa.Connection, store: StateStore, seq: int) -> list[int]:
    """Seqs of apply/rollback/repair rows after ``seq``: an interrupted operation's work (a repair
    that only fixed records is not)."""
    import json

    h = store.t.history
    rows = conn.execute(sa.select(h.c.seq, h.c.action, h.c.details).where(h.c.seq > seq, h.c.action.in_(_CHANGING))
                        .order_by(h.c.seq)).all()
    if conn.in_transaction():
        conn.rollback()
    out = []
    for r in rows:
        if r.action == "repair":
            try:
                details = json.loads(r.details) if isinstance(r.details, str) else (r.details or {})
            except ValueError:
                details = {}
            if isinstance(details, dict) and details.get("repair") in _RECORDS_ONLY:
                continue
        out.append(int(r.seq))
    return out


# -- the deploy pipeline's use ---------------------------------------------------------------


def drift_gate(target, conn: sa.Connection, allow: bool) -> Generator[Log, None, DriftVerdict | None]:
    """Deploy's health check (under the lock, before anything changes): raise SchemaDrift when
    the live schema differs from the last snapshot, unless ``allow``. Yields Log events; returns
    the verdict (None when the schema cannot be reflected: nothing to compare)."""
    from ..errors import SchemaDrift
    from .events import Log

    try:
        verdict = check(conn, target.store, reflect_unsnapshotted=False)
    except Exception as exc:  # noqa: BLE001 -- an unreflectable dialect is not drift
        if conn.in_transaction():
            conn.rollback()
        yield Log("warning", f"drift not checked: {type(exc).__name__}: {exc}")
        return None
    if verdict.status == STALE:
        yield Log("warning", f"drift not checked: the last snapshot predates history rows "
                  f"{', '.join(map(str, verdict.since))} of an operation that did not finish; "
                  "this deploy records a new one")
    elif verdict.drifted:
        if not allow:
            raise SchemaDrift(verdict.changes, verdict.snapshot.id if verdict.snapshot else None)
        yield Log("warning", f"deploying over {len(verdict.changes)} drift change(s) (--allow-drift): "
                  + "; ".join(str(c) for c in verdict.changes))
    return verdict


def drift_details(verdict: DriftVerdict | None) -> dict[str, Any]:
    """What deploy_start records about drift it was allowed to deploy over."""
    if verdict is None or not verdict.drifted:
        return {}
    return {"drift_accepted": [str(c) for c in verdict.changes]}


def closing_snapshot(target, conn: sa.Connection, deployment_id: str | None, details: dict) -> None:
    """A ``snapshot`` history row closing an operation that wrote no closing row of its own
    (rollback), with the live schema. Never raises: the operation already ran."""
    import logging

    from .kinds import HistoryAction, HistoryStatus
    from .state.snapshots import capture, record
    from .state.store import utcnow

    store = target.store
    try:
        store.ensure(conn)  # a database from before snapshots gets __SchemaSnapshots
        cap = capture(conn, store)
        started = utcnow()
        with conn.begin():
            row = store.append(conn, action=HistoryAction.SNAPSHOT, status=HistoryStatus.OK, started_at=started,
                               deployment_id=deployment_id,
                               details={**details, **cap.details()})
            record(store, conn, cap, row.seq)
    except sa.exc.SQLAlchemyError as exc:
        logging.getLogger("nexo_studio.snapshots").warning("schema snapshot not recorded: %s", exc)


def accept(target, lock_timeout: float) -> tuple[int, Any]:
    """`nexo snapshot`: record the live schema as the accepted one (history row ``snapshot``),
    under the lock. Returns (history seq, SchemaSnapshot); raises when it cannot be reflected."""
    from .kinds import HistoryAction, HistoryStatus
    from .state.snapshots import Capture, record
    from .state.store import utcnow

    store = target.store
    with target.connect() as conn, target.locked(lock_timeout):
        store.ensure(conn)
        started = utcnow()
        before = latest(store, conn)
        snap = reflect_live(conn, store)
        with conn.begin():
            row = store.append(conn, action=HistoryAction.SNAPSHOT, status=HistoryStatus.OK, started_at=started,
                               details={"operation": "snapshot", "schema_sha256": snap.sha256,
                                        "replaces": before.sha256 if before else None})
            record(store, conn, Capture(snap), row.seq)
        return row.seq, snap
