"""Tamper detection: what the state tables say that the history contradicts, and the history's
recorded tail (``history_tail`` in __NexoMeta) against its real last row.

Read-only; split from store.py (which reads and writes the tables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from ..kinds import APPLIED, FAILED, RUNNING, HistoryAction, HistoryStatus

if TYPE_CHECKING:
    from .store import MigrationRow, StateStore

#: __NexoMeta key of the history's last row, ``{"seq": n, "hash": h}``
TAIL_KEY = "history_tail"


_TAIL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # built once: one tail per migration


def _tail_text(seq: int, hash_: str) -> str:
    return _TAIL_JSON.encode({"seq": seq, "hash": hash_})


def _parse_tail(text: str | None) -> tuple[int, str] | None:
    try:
        value = json.loads(text) if text else None
        return (int(value["seq"]), str(value["hash"])) if value else None
    except (ValueError, TypeError, KeyError):
        return (-1, "")  # unreadable: never equal to a real tail


class DecidingEvent(NamedTuple):
    """The columns of a history event that ``_judge`` reads. The tamper check loads one event
    per migration; loading only these (no timestamps to parse) keeps it cheap at 10,000."""

    seq: int
    migration_id: str
    action: str
    status: str
    details: str | None

    def details_dict(self) -> dict:
        return details_dict(self.details)


def details_dict(details: str | None) -> dict:
    """A history row's ``details`` JSON as a dict ({} when empty, unreadable or not an object:
    a row edited by hand may hold anything)."""
    try:
        value = json.loads(details) if details else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Tampering:
    """Contradictions between the state tables and the history (see StateStore.tampering)."""

    tables: tuple[str, ...] = ()
    #: migration id -> (seq of the history event contradicted, or None; what is wrong)
    rows: dict = field(default_factory=dict)
    #: the first history seq concerned (e.g. the first one deleted from the end), when known
    tail_seq: int | None = None

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [seq for seq, _why in self.rows.values() if seq is not None]
        if self.tail_seq is not None:
            seqs.append(self.tail_seq)
        return min(seqs) if seqs else None

    def __bool__(self) -> bool:
        return bool(self.tables or self.rows)

    def messages(self) -> list[str]:
        return list(self.tables) + [f"{mid}: {why}" for mid, (_seq, why) in sorted(self.rows.items())]


# The history words _judge compares with once or more per migration, as module names (see kinds.py)
_APPLY, _ROLLBACK, _OK = HistoryAction.APPLY, HistoryAction.ROLLBACK, HistoryStatus.OK
_RECORDS_APPLIED = frozenset((HistoryAction.BASELINE, HistoryAction.ADOPT))


def _judge(row: "MigrationRow | None", ev: "DecidingEvent | None") -> tuple[int | None, str] | None:
    """What is wrong with a migration's row given its latest deciding event (None: nothing)."""
    row_applied = row is not None and row.status == APPLIED
    if ev is None:
        if row_applied:
            return None, "recorded applied in __Migrations, but the history never applied it"
        return None
    # details decoded only where they decide; what the history says is worded only for a problem
    checksum = None
    action = ev.action
    if action == _APPLY:
        applied = ev.status == _OK
        checksum = ev.details_dict().get("checksum") if applied else None
    elif action in _RECORDS_APPLIED:
        applied, checksum = True, ev.details_dict().get("checksum")
    elif action == _ROLLBACK:
        applied = ev.status != _OK  # a failed rollback left it applied
    else:  # repair
        details = ev.details_dict()
        applied = details.get("after") == APPLIED
        checksum = details.get("checksum") if applied else None
    if applied and row is None:
        return ev.seq, f"its __Migrations row was deleted (the history, seq {ev.seq}, says {_said(ev)})"
    if applied != row_applied:
        return ev.seq, (f"__Migrations says {row.status if row else 'nothing'}, the history (seq {ev.seq}) "
                        f"says {_said(ev)}")
    if applied and checksum and row is not None and row.checksum != checksum:
        return ev.seq, f"its checksum in __Migrations was changed (the history, seq {ev.seq}, recorded {checksum[:12]}…)"
    return None


def _said(ev: DecidingEvent) -> str:
    """What a deciding event says, as a problem's message quotes it."""
    return f"{ev.action} {ev.status}" + (
        f" -> {ev.details_dict().get('after')}" if ev.action == HistoryAction.REPAIR else "")


def tampering(store: "StateStore", conn: sa.Connection,
              rows: "dict[str, MigrationRow] | None" = None) -> Tampering:
    """What the state tables say that the history contradicts (read-only).

    - tables: one of the tool's tables is gone while the others (or the tail recorded in
      __NexoMeta) show it existed; rows were deleted from the end of the history, or added
      behind the tool's back.
    - rows: migrations whose __Migrations row disagrees with their latest apply, rollback,
      baseline or repair event (deleted row, edited status or checksum, a row the history
      never wrote). Rows marked running/failed are dirty anyway and not judged here.
    Events between a restored backup's last row and the restore itself describe a state the
    restore replaced; they are skipped.
    """
    present = store.present(conn)
    t = store.t
    if not present:
        return Tampering()
    tables: list[str] = []
    tail_seq = None
    recorded = None
    # also refreshes what set_tail() assumes: deploy and rollback run this check under the lock
    # before they write, so a tail row deleted since an earlier operation is noticed
    store._tail_row = False
    if t.meta.name in present:
        found = conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == TAIL_KEY)).first()
        store._tail_row = found is not None
        recorded = _parse_tail(found[0] if found else None)
    elif _holds_rows(conn, present, t.history, t.migrations):
        tables.append(f"{t.meta.name} is missing (the tool created it with the other state tables)")
    # else: a first run killed while creating the state tables (MySQL/MariaDB DDL is not
    # transactional) left some of them, all empty: nothing was recorded, nothing can be lost, and
    # the next changing command creates the rest
    has_history = t.history.name in present
    if not has_history:
        if recorded and recorded[0] or _holds_rows(conn, present, t.migrations):
            tables.append(f"{t.history.name} is missing"
                          + (f" (it had {recorded[0]} rows)" if recorded and recorded[0] else ""))
    else:
        actual = store._load_tail(conn)
        if recorded is None and actual[0] > 0 and t.meta.name in present:
            # every writer records the tail with the rows: without it, rows cut from the end
            # could not be told, so its loss is itself tampering
            tables.append(f"the {TAIL_KEY} row of {t.meta.name} is missing (it records the last row of "
                          f"{t.history.name}, now seq {actual[0]}; rows deleted from the end cannot be ruled out)")
        if recorded is not None and actual != recorded:
            tail_seq = min(actual[0], recorded[0]) + (0 if actual[0] == recorded[0] else 1)
            if actual[0] < recorded[0]:
                tables.append(f"{t.history.name} ends at seq {actual[0]} but seq {recorded[0]} was written: "
                              f"rows were deleted from its end")
            elif actual[0] > recorded[0]:
                tables.append(f"{t.history.name} has rows after seq {recorded[0]} that the tool did not write")
            else:
                tables.append(f"the last row of {t.history.name} (seq {actual[0]}) was replaced")
    if t.migrations.name not in present and has_history and _any_event(store, conn):
        tables.append(f"{t.migrations.name} is missing")
    if rows is None:
        rows = store.applied(conn) if t.migrations.name in present else {}
    events = _latest_events(store, conn) if has_history else {}
    bad: dict[str, tuple[int | None, str]] = {}
    for mid in sorted(set(rows) | set(events)):
        row = rows.get(mid)
        if row is not None and (row.status == RUNNING or row.status == FAILED):
            continue
        problem = _judge(row, events.get(mid))
        if problem:
            bad[mid] = problem
    if conn.in_transaction():
        conn.rollback()
    return Tampering(tuple(tables), bad, tail_seq)

def _holds_rows(conn: sa.Connection, present, *tables: sa.Table) -> bool:
    """Whether any of ``tables`` that exist has a row."""
    return any(conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
               for table in tables if table.name in present)


def _any_event(store: "StateStore", conn: sa.Connection) -> bool:
    h = store.t.history
    return conn.execute(sa.select(h.c.seq).where(h.c.migration_id.is_not(None)).limit(1)).first() is not None


def _latest_events(store: "StateStore", conn: sa.Connection) -> dict[str, DecidingEvent]:
    """Each migration's latest event that decides its state, outside restored-over spans."""
    h = store.t.history
    kinds = (HistoryAction.APPLY, HistoryAction.ROLLBACK, HistoryAction.BASELINE, HistoryAction.ADOPT,
             HistoryAction.REPAIR)
    deciding = sa.select(h.c.seq, h.c.migration_id, h.c.action, h.c.status, h.c.details)
    latest = (sa.select(sa.func.max(h.c.seq)).where(h.c.migration_id.is_not(None), h.c.action.in_(kinds))
              .group_by(h.c.migration_id))
    out = {r[1]: DecidingEvent(*r) for r in conn.execute(deciding.where(h.c.seq.in_(latest)))}
    void = []  # (last row of the restored backup, the restore): rows between describe the past
    for seq, details in conn.execute(sa.select(h.c.seq, h.c.details)
                                     .where(h.c.action == HistoryAction.RESTORE, h.c.status == HistoryStatus.OK)).all():
        try:
            kept = int(json.loads(details or "{}").get("history_rows_kept") or 0)
        except (ValueError, TypeError, AttributeError):
            kept = 0
        void.append((seq - 1 - kept, seq))

    def voided(seq: int) -> bool:
        return any(lo < seq < hi for lo, hi in void)

    if not void:  # no restore in the history: nothing to look past
        return out
    for mid in [m for m, ev in out.items() if voided(ev.seq)]:
        del out[mid]
        q = deciding.where(h.c.migration_id == mid, h.c.action.in_(kinds)).order_by(h.c.seq.desc())
        for r in conn.execute(q):
            if not voided(r.seq):
                out[mid] = DecidingEvent(*r)
                break
    return out
