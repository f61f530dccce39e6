"""The bookkeeping writes of a deploy, compiled once by Core and run on the driver's cursor.

Every migration writes its state row, a history row and the history tail inside its own
transaction. Through ``Connection.execute`` each of those costs about 0.1 ms of Python (cache
key, event dispatch, result set-up) and, on PostgreSQL, one network round trip: as much as the
migration's own DDL on a fast database (see ``benchmarks/engine.py``). So here SQLAlchemy Core
still writes the SQL (compiled for the connection's dialect, with its paramstyle and its type
processors); we keep the string and run it on the DBAPI cursor of the same connection, inside
the same transaction.

On PostgreSQL a ``batch`` sends its writes as ONE query: each statement with its values written
in as SQL literals (``DialectRules.sql_literal``), joined by ``;``, run by psycopg's simple query
protocol (what ``execute()`` without parameters uses, and which runs several statements). One
round trip and one driver call for the RESET, the three writes and the COMMIT: psycopg's
pipeline mode gave the same round trip for two to three times the client CPU (a cursor, a
parameter dump and a socket poll per statement). A value that has no literal form (see
``sql_literal``) goes with parameters, in order, as before.

Driver errors are wrapped in SQLAlchemy's ``DBAPIError``, so callers see what Core would raise.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from ..dialects import rules_for
from .disconnect import note_driver_error

#: a named placeholder of the ``pyformat`` paramstyle (psycopg's)
_PYFORMAT = re.compile(r"%\((\w+)\)s")


class Prepared:
    """One statement compiled for one dialect; ``params`` turns a dict into driver parameters,
    ``literal_sql`` writes the values into the SQL instead."""

    def __init__(self, stmt: sa.ClauseElement, dialect: sa.Dialect, keys: list[str] | None = None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=keys)
        if not isinstance(compiled, SQLCompiler):  # a DML statement always compiles to one
            raise TypeError(f"not a DML statement: {stmt!r}")
        self.sql = compiled.string
        self._positional = compiled.positiontup  # names in placeholder order, or None (named style)
        escaped = compiled.escaped_bind_names
        self._names = {name: escaped.get(name, name) for name in compiled.binds}
        self._processors = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._processors[name] = process
        self._pyformat = dialect.paramstyle == "pyformat"
        self._parts = self.literal_parts(self.sql)
        #: positional style: (name, its processor or None) in placeholder order
        self._order = [(name, self._processors.get(name)) for name in self._positional or ()]

    def literal_parts(self, sql: str) -> tuple[str, list[tuple[str, str]]] | None:
        """``sql`` (this statement's, or one with the same placeholders) around its placeholders:
        the text before the first, then (bind name, text after it) for each (``pyformat`` only:
        psycopg's)."""
        if not self._pyformat:
            return None
        parts = [p.replace("%%", "%") if i % 2 == 0 else p  # run without parameters: no escapes
                 for i, p in enumerate(_PYFORMAT.split(sql))]
        by_escaped = {escaped: name for name, escaped in self._names.items()}
        if any(parts[i] not in by_escaped for i in range(1, len(parts), 2)):
            return None
        return parts[0], [(by_escaped[parts[i]], parts[i + 1]) for i in range(1, len(parts), 2)]

    def _processed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        processed = dict(values)
        for name, process in self._processors.items():
            if name in processed:
                processed[name] = process(processed[name])
        return processed

    def params(self, values: Mapping[str, Any]) -> tuple | dict:
        if self._positional is not None:  # SQLite's qmark: once per write, so no dict on the way
            out = []
            for name, process in self._order:
                if name in values:
                    value = values[name]
                    out.append(process(value) if process is not None else value)
                else:
                    out.append(None)
            return tuple(out)
        processed = self._processed(values)
        return {escaped: processed.get(name) for name, escaped in self._names.items()}

    def literal_sql(self, values: Mapping[str, Any], literal: Callable[[Any], str | None]) -> str | None:
        """The statement with ``values`` written in by ``literal``; None when one has no literal form."""
        if self._parts is None:
            return None
        head, rest = self._parts
        get = (self._processed(values) if self._processors else values).get
        out = [head]
        for name, text in rest:
            value = literal(get(name))
            if value is None:
                return None
            out += (value, text)
        return "".join(out)


class DriverWriter:
    """Runs Prepared statements (and plain SQL) on a Connection's DBAPI connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # a Connection in use has its DBAPI connection
        self.dbapi = dbapi
        self._error = conn.dialect.loaded_dbapi.Error
        self._literal: Callable[[Any], str | None] | None = None  # set in a batch that goes as text
        self._text: list[str] | None = None  # the open batch's statements, values written in
        self._sent: list[str] = []  # their SQL as compiled, for an error message

    def execute(self, prepared: Prepared | str, values: Mapping[str, Any] | None = None,
                rowcount: bool = False) -> int | None:
        """Execute (in an open batch: queue) one statement; its row count when asked for (that
        sends it, and what is queued before it, at once)."""
        sql = prepared if isinstance(prepared, str) else prepared.sql
        if values is not None and isinstance(prepared, str):
            raise TypeError("values need a Prepared statement, not SQL text")
        if self._text is not None and not rowcount:
            assert self._literal is not None
            text = sql if values is None else prepared.literal_sql(values, self._literal)  # type: ignore[union-attr]
            if text is not None:
                self._text.append(text)
                self._sent.append(sql)
                return None
        self._flush()
        cursor = self.dbapi.cursor()
        try:
            if values is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, prepared.params(values))  # type: ignore[union-attr]
        except self._error as exc:
            raise self._failure(sql, exc) from exc
        return cursor.rowcount if rowcount else None

    def _flush(self) -> None:
        """Send the queued statements as one query."""
        if not self._text:
            return
        text, sent = ";\n".join(self._text), ";\n".join(self._sent)
        self._text, self._sent = [], []
        try:
            self.dbapi.cursor().execute(text)
        except self._error as exc:
            raise self._failure(sent, exc) from exc  # a query of several statements: it names them all

    @contextlib.contextmanager
    def batch(self, commit: bool = False) -> Iterator[DriverWriter]:
        """Group writes: on PostgreSQL (psycopg 3) they travel as one query, sent when the block
        ends without an error (a block that raises sends nothing: its transaction is rolled back
        anyway); elsewhere this is a plain block. ``commit``: the COMMIT travels in that query too
        (the caller's ``Transaction.commit()`` then finds the driver idle and sends nothing)."""
        rules = rules_for(self.conn.dialect.name)
        if self._text is not None or not rules.text_batches(self.dbapi):
            yield self
            return
        self._literal, self._text = rules.sql_literal, []
        try:
            yield self
            if commit:
                self.execute("COMMIT")
            self._flush()
        finally:
            self._literal, self._text, self._sent = None, None, []

    def _failure(self, sql: str, exc: Exception) -> sa.exc.StatementError:
        """The driver's error as Core would raise it (invalidating a connection that is gone)."""
        note_driver_error(self.conn, exc)
        return sa.exc.DBAPIError.instance(sql, None, exc, self._error)
