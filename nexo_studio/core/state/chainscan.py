"""The whole history's hash chain, checked fast enough to run before every deploy and rollback
and in every status (SPEC §7: 100,000 rows in ≤ 0.5 s; benchmarks/chain.py measures it).

Rows are read by position straight from the driver (no SQLAlchemy row objects, no type
processors); each row's canonical JSON is one format string over values escaped by the C JSON
string encoder (timestamps formatted by the server on PostgreSQL and MySQL/MariaDB), hashed with
hashlib. On SQLite an intact history is first confirmed from canonical text that SQLite's
json_object makes (half the CPU), and on MySQL/MariaDB by the server itself in one query (JSON
text, SHA-256 and the links in SQL: no row crosses the network, where PyMySQL decodes values in
Python); any row that does not match sends it to the Python walk. The verdict is always the one ``chain.verify_chain`` (the reference, over mappings) gives: breaks
are judged with its ``_misfit`` and accept-history rules.

No checkpoint: every row is read and hashed on every check. A checkpoint stored in the database
would be as easy to rewrite as the rows it vouches for (see anchor.py for what a copy kept
elsewhere can prove).
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from collections.abc import Callable, Generator, Iterable, Iterator
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
#: for a row holding a value of a type the tool never writes (a BLOB edited in): some text, so
#: the row is reported as not matching its hash instead of the check failing
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=lambda o: f"!{type(o).__name__}:{o!r}").encode
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
    from ..dialects import rules_for

    return rules_for(dialect).streaming_cursor(raw)


#: the canonical timestamp text (chain.utc_text), made by the server: cheaper than a datetime
#: object per value. The columns hold naive UTC with microseconds (tables.Timestamp).
_SERVER_TS = {
    "postgresql": "to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    "mysql": "DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.%fZ')",
    "mariadb": "DATE_FORMAT({c}, '%Y-%m-%dT%H:%i:%s.%fZ')",
}


def history_tuples(store: "StateStore", conn: sa.Connection,
                   select: list[str] | None = None) -> Generator[tuple, None, None]:
    """Every history row as a tuple in COLUMNS order (or ``select``, SQL expressions), by seq, in
    batches from the driver, inside the caller's transaction when it has one (one view with
    what else it read). On PostgreSQL and MySQL/MariaDB the timestamps come as their canonical
    text already."""
    prep = conn.dialect.identifier_preparer
    if select is None:
        fmt = _SERVER_TS.get(conn.dialect.name)
        select = [fmt.format(c=prep.quote(c)) if fmt and c in ("started_at", "finished_at") else prep.quote(c)
                  for c in COLUMNS]
    sql = f"SELECT {', '.join(select)} FROM {prep.format_table(store.t.history)} ORDER BY {prep.quote('seq')}"
    own = not conn.in_transaction()
    raw = conn.connection.dbapi_connection
    assert raw is not None  # a Connection in use has its DBAPI connection
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


def _sql_canonical(dialect: str, quote: Callable[[str], str]) -> str | None:
    """An SQL expression for a row's canonical JSON (chain.canonical_json) made by the database,
    or None where the Python walk is as fast: SQLite's json_object (C, in-process; it escapes
    text as Python's json does, and keeps the keys in the order given: sorted) halves the CPU
    of the check. On PostgreSQL the same text built in SQL (to_json and concatenation) cost the
    server more than the Python walk costs the client (benchmarks/chain.py).

    Used only to confirm an intact row: when the hash of this text matches the stored hash, the
    text is the JSON the writer hashed, and as JSON decodes one way, the row's values are the
    ones written. Anything else (a timestamp in an unexpected form, a mismatch) goes to the
    Python walk, which alone decides what is broken."""
    from ..dialects import rules_for

    if not rules_for(dialect).canonical_json_in_sql:
        return None

    def ts(c: str) -> str:  # SQLAlchemy's stored text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        # any other form: a text no writer made (not null, not a canonical time): no match
        return (f"(CASE WHEN substr({c}, 11, 1) = ' ' THEN substr({c}, 1, 10) || 'T' || substr({c}, 12) || 'Z' "
                f"ELSE '!' || {c} END)")

    return "json_object(" + ", ".join(
        f"'{k}', " + (ts(quote(k)) if k in ("started_at", "finished_at") else quote(k)) for k in sorted(_HASHED)) + ")"


def _verify_intact(store: "StateStore", conn: sa.Connection, canonical_sql: str) -> ChainVerdict | None:
    """The common case in one light pass: every row fits the chain, judged from the canonical
    text the database made. None as soon as one row does not (or cannot be judged so): the
    caller then walks the history in Python, which names each break."""
    prep = conn.dialect.identifier_preparer
    select = [prep.quote("seq"), prep.quote("prev_hash"), prep.quote("hash"), canonical_sql]
    prev_hash, prev_seq, count = GENESIS, 0, 0
    sha = hashlib.sha256
    rows = history_tuples(store, conn, select)
    try:
        for seq, prev, stored, canon in rows:
            if (canon is None or seq != prev_seq + 1 or prev != prev_hash
                    or sha((prev + canon).encode("utf-8")).hexdigest() != stored):
                return None
            prev_hash, prev_seq, count = stored, seq, count + 1
    finally:
        rows.close()
    return ChainVerdict(True, count)


#: MySQL/MariaDB check an intact chain themselves: a text as a JSON string, SHA-256 as hex of a
#: text's UTF-8, exact (byte) equality of two texts. Not PostgreSQL: there the same query (to_json
#: per value, sha256) took 1.75 s of server time for 100,000 rows where the Python walk took 1.38 s
#: (2026-12-03, load average 13; MariaDB: 1.34 s against 2.2 s)
_SERVER_CHAIN = {
    "mysql": ("JSON_QUOTE({x})", "SHA2(CONVERT({x} USING utf8mb4), 256)", "CAST({x} AS BINARY)"),
}
_SERVER_CHAIN["mariadb"] = _SERVER_CHAIN["mysql"]
#: session variables that carry the previous row's seq and hash along the scan
_PREV_SEQ, _PREV_HASH = "@nexo_chain_prev_seq", "@nexo_chain_prev_hash"


def _server_canonical(dialect: str, q: Callable[[str], str]) -> str:
    """The row's hashed text (``prev_hash`` + chain.canonical_json, keys sorted) as an SQL
    expression. ``seq`` goes in as the number it is (CONCAT writes its digits) and ``prev_hash``
    in plain quotes: the query confirms only when every ``prev_hash`` equals the previous row's
    hash (the genesis for the first), itself equal to a SHA-256 hex digest, so it holds no
    character JSON escapes. The timestamps are formatted with their quotes (digits only)."""
    jq, sha, _b = _SERVER_CHAIN[dialect]
    ts = _SERVER_TS[dialect].replace("'%", "'\"%").replace("Z'", "Z\"'")

    def value(k: str) -> str:
        c = q(k)
        if k == "seq":
            return c
        if k == "prev_hash":
            return f"'\"', {c}, '\"'"
        if k in ("started_at", "finished_at"):
            return f"COALESCE({ts.format(c=c)}, 'null')"
        if k == "duration_ms":
            return f"COALESCE(CAST({c} AS CHAR), 'null')"
        return f"COALESCE({jq.format(x=c)}, 'null')"

    pieces = []
    for i, k in enumerate(sorted(_HASHED)):
        pieces += [f"'{'{' if i == 0 else ','}\"{k}\":'", value(k)]
    return sha.format(x=f"CONCAT({q('prev_hash')}, {', '.join(pieces)}, '}}')")


def _server_chain_sql(store: "StateStore", conn: sa.Connection) -> tuple[str, str] | None:
    """Two statements in which MySQL/MariaDB confirm an intact chain themselves: one that sets
    the previous row's seq and hash to the start of the chain, and one query returning
    ``(rows, rows that do not fit)``: each row's canonical JSON built and hashed by the server,
    its seq and link checked against session variables that carry the previous row's along the
    scan. Only a row count crosses the network, where PyMySQL decoded each value in Python
    (about 0.8 s of client CPU per 100,000 rows of 15 columns). No window function: MariaDB
    sorted the rows into a temporary table for LAG and ROW_NUMBER, a third of the check's time.

    The order the server visits the rows in is not promised, and need not be: a row fits only
    when its seq is the previous visited row's plus one and its ``prev_hash`` that row's hash, so
    a count of zero misfits proves the rows, visited in whatever order, form the chain 1, 2, 3...
    by seq; any other order, or an evaluation of the variables' assignments before the
    comparisons, can only fail to confirm.

    As with SQLite's json_object, it only confirms: a hash that matches means the server's JSON
    text is the one the writer hashed, and JSON text decodes one way, so the values are the ones
    written. Any row that does not fit sends the check to the Python walk, which alone says
    what is broken; so does a text the servers escape otherwise than Python's json (MariaDB
    writes \\u001F where Python writes \\u001f: control characters 0x1a-0x1f, rare in a history)."""
    parts = _SERVER_CHAIN.get(conn.dialect.name)
    if parts is None:
        return None
    q = conn.dialect.identifier_preparer.quote
    b = parts[2]
    fits = (f"{q('seq')} = {_PREV_SEQ} + 1 AND {b.format(x=q('prev_hash'))} = {_PREV_HASH} "
            f"AND {b.format(x=q('hash'))} = {b.format(x=_server_canonical(conn.dialect.name, q))}")
    carry = f"0 * LENGTH({_PREV_SEQ} := {q('seq')}) + 0 * LENGTH({_PREV_HASH} := {b.format(x=q('hash'))})"
    table = conn.dialect.identifier_preparer.format_table(store.t.history)
    start = f"SET {_PREV_SEQ} = 0, {_PREV_HASH} = {b.format(x=repr(GENESIS))}"
    return start, (f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {fits} THEN 0 ELSE 1 END + {carry}), 0) "
                   f"FROM {table}")


def _server_verify(store: "StateStore", conn: sa.Connection) -> ChainVerdict | None:
    """The verdict when the server confirms every row fits; None otherwise (or when it cannot
    say: an old server without SHA-256, a server that refuses to set variables in a query)."""
    sql = _server_chain_sql(store, conn)
    if sql is None:
        return None
    own = not conn.in_transaction()
    raw: Any = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        cur.execute(sql[0])
        cur.execute(sql[1])
        count, bad = cur.fetchone() or (0, 0)
    except conn.dialect.loaded_dbapi.Error:
        return None  # (an error does not end a MySQL transaction: the caller's goes on)
    finally:
        cur.close()
        if own:
            raw.rollback()  # end the read transaction the driver began on its own
    return ChainVerdict(True, int(count)) if not bad else None


def verify_history(store: "StateStore", conn: sa.Connection) -> ChainVerdict:
    """The hash chain of the whole history as stored now (read-only)."""
    if not store.exists(conn) and store.t.history.name not in store.present(conn):
        return ChainVerdict(True, 0)
    dialect = conn.dialect.name
    verdict = _server_verify(store, conn)
    if verdict is not None:
        return verdict
    canonical_sql = _sql_canonical(dialect, conn.dialect.identifier_preparer.quote)
    if canonical_sql is not None:
        try:
            verdict = _verify_intact(store, conn, canonical_sql)
        except conn.dialect.loaded_dbapi.Error:  # an SQLite without JSON functions, a BLOB edited in
            verdict = None
        if verdict is not None:
            return verdict
    return scan(history_tuples(store, conn), _as_is if dialect in _SERVER_TS else _timestamp)
