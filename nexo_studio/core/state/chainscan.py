"""The whole history's hash chain, checked fast enough to run before every deploy and rollback
and in every status (SPEC §7: 100,000 rows in ≤ 0.5 s; benchmarks/chain.py measures it).

Rows are read by position straight from the driver (no SQLAlchemy row objects, no type
processors), each row's canonical JSON is made by the C JSON encoder from a dict built with
``zip``, and hashed with hashlib. The verdict is the same as ``chain.verify_chain`` (the
reference implementation, which reads rows as mappings): a slow path re-uses its ``_misfit``
and accept-history rules for any row that does not fit.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .chain import GENESIS, ChainBreak, ChainVerdict, _misfit, accepted_by, utc_text

if TYPE_CHECKING:
    from .store import StateStore

#: the history's columns in the order they are read; ``hash`` last (it is not hashed)
COLUMNS = ("seq", "deployment_id", "migration_id", "action", "status", "started_at", "finished_at",
           "duration_ms", "operator", "host", "tool_version", "details", "error", "prev_hash", "hash")
_HASHED = COLUMNS[:-1]
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_BATCH = 5000


def _timestamp(value: Any) -> Any:
    """A timestamp as the canonical JSON writes it. SQLite hands back SQLAlchemy's stored text
    (``YYYY-MM-DD HH:MM:SS.ffffff``), the servers a naive datetime."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return value[:10] + "T" + value[11:] + "Z"
        try:  # any other text (an edited row): read as SQLAlchemy would
            return utc_text(datetime.fromisoformat(value))
        except ValueError:
            return value  # hashed as found: it cannot match
    if isinstance(value, datetime):
        return utc_text(value)
    return value  # None


#: the canonical JSON of a row (chain.canonical_json: keys sorted) as one format string over
#: values already encoded; about twice as fast as the JSON encoder on a dict
_TEMPLATE = ('{"action":%s,"deployment_id":%s,"details":%s,"duration_ms":%s,"error":%s,"finished_at":%s,'
             '"host":%s,"migration_id":%s,"operator":%s,"prev_hash":%s,"seq":%s,"started_at":%s,"status":%s,'
             '"tool_version":%s}')


def _canonical(r: tuple, ts: Callable[[Any], Any]) -> str:
    """chain.canonical_json of a row read by position; ``ts`` makes a timestamp as read into
    the canonical text."""
    es = encode_basestring
    try:
        if type(r[0]) is not int or not (r[7] is None or type(r[7]) is int):
            raise TypeError  # numbers edited into something else: the general encoder says how
        return _TEMPLATE % (
            es(r[3]), "null" if r[1] is None else es(r[1]), "null" if r[11] is None else es(r[11]),
            "null" if r[7] is None else r[7], "null" if r[12] is None else es(r[12]),
            "null" if r[6] is None else es(ts(r[6])), "null" if r[9] is None else es(r[9]),
            "null" if r[2] is None else es(r[2]), "null" if r[8] is None else es(r[8]), es(r[13]), r[0],
            es(ts(r[5])), es(r[4]), "null" if r[10] is None else es(r[10]))
    except TypeError:  # a value of another type than the tool writes (an edited row)
        d = dict(zip(_HASHED, r))
        d["started_at"], d["finished_at"] = ts(r[5]), ts(r[6])
        return _encode(d)


def _as_is(value: Any) -> Any:
    return value


def scan(rows: Iterable[tuple], ts: Callable[[Any], Any] = _timestamp) -> ChainVerdict:
    """Walk history rows (tuples in COLUMNS order, by seq) and report every one that does not
    fit the chain, and every break a later accept-history row accepted (see chain.verify_chain).
    ``ts``: how a timestamp as read becomes its canonical text (the servers format it in SQL)."""
    prev_hash, prev_seq, count = GENESIS, 0, 0
    open_breaks: dict[int, ChainBreak] = {}
    accepted: list[ChainBreak] = []
    sha, canonical = hashlib.sha256, _canonical
    for r in rows:
        count += 1
        seq, prev, stored = r[0], r[13], r[14]
        found = sha((prev + canonical(r, ts)).encode("utf-8")).hexdigest() if type(prev) is str else ""
        if seq != prev_seq + 1 or prev != prev_hash or found != stored:
            d = dict(zip(COLUMNS, r))
            why = _misfit(d, prev_seq, prev_hash, found) or "row does not fit the chain"
            open_breaks[seq] = ChainBreak(seq, why, found)
        elif open_breaks and r[3] == "repair":
            for s, pinned in accepted_by(dict(zip(COLUMNS, r))).items():
                b = open_breaks.get(s)
                if b is not None and b.row_hash == pinned:
                    accepted.append(ChainBreak(b.seq, b.reason, b.row_hash, seq))
                    del open_breaks[s]
        prev_hash, prev_seq = stored, seq
    breaks = tuple(sorted(open_breaks.values(), key=lambda b: b.seq))
    if breaks:
        return ChainVerdict(False, count, breaks[0].seq, breaks[0].reason, breaks=breaks, accepted=tuple(accepted))
    return ChainVerdict(True, count, accepted=tuple(accepted))


def _cursor(raw: Any, dialect: str) -> Any:
    """A cursor that streams: server-side on PostgreSQL and MySQL/MariaDB (100,000 rows are not
    held in memory twice), the plain one elsewhere."""
    if dialect == "postgresql" and type(raw).__module__.startswith("psycopg"):
        return raw.cursor(name="nexo_chain_scan")
    if dialect in ("mysql", "mariadb") and type(raw).__module__.startswith("pymysql"):
        import pymysql.cursors

        return raw.cursor(pymysql.cursors.SSCursor)
    return raw.cursor()


#: the canonical timestamp text (chain.utc_text), made by the server: cheaper than a datetime
#: object per value. The columns hold naive UTC with microseconds (tables.Timestamp).
_SERVER_TS = {
    "postgresql": "to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    "mysql": "DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.%fZ')",
    "mariadb": "DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.%fZ')",
}


def history_tuples(store: "StateStore", conn: sa.Connection) -> Iterator[tuple]:
    """Every history row as a tuple in COLUMNS order, by seq, in batches from the driver, inside
    the caller's transaction when it has one (one view with what else it read). On PostgreSQL
    and MySQL/MariaDB the timestamps come as their canonical text already."""
    prep = conn.dialect.identifier_preparer
    fmt = _SERVER_TS.get(conn.dialect.name)
    cols = [fmt.format(c=prep.quote(c)) if fmt and c in ("started_at", "finished_at") else prep.quote(c)
            for c in COLUMNS]
    sql = f"SELECT {', '.join(cols)} FROM {prep.format_table(store.t.history)} ORDER BY {prep.quote('seq')}"
    own = not conn.in_transaction()
    raw = conn.connection.dbapi_connection
    cur = _cursor(raw, conn.dialect.name)
    try:
        cur.execute(sql)
        while True:
            batch = cur.fetchmany(_BATCH)
            if not batch:
                return
            yield from batch
    finally:
        cur.close()
        if own:
            raw.rollback()  # end the read transaction the driver began on its own


def verify_history(store: "StateStore", conn: sa.Connection) -> ChainVerdict:
    """The hash chain of the whole history as stored now (read-only)."""
    if not store.exists(conn) and store.t.history.name not in store.present(conn):
        return ChainVerdict(True, 0)
    return scan(history_tuples(store, conn), _as_is if conn.dialect.name in _SERVER_TS else _timestamp)
