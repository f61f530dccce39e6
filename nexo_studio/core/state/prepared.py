"""The bookkeeping writes of a deploy, compiled once by Core and run on the driver's cursor.

Every migration writes its state row, a history row and the history tail inside its own
transaction. Through ``Connection.execute`` each of those costs about 0.1 ms of Python (cache
key, event dispatch, result set-up) and, on PostgreSQL, one network round trip: as much as the
migration's own DDL on a fast database (see ``benchmarks/engine.py``). So here SQLAlchemy Core
still writes the SQL (compiled for the connection's dialect, with its paramstyle and its type
processors); we keep the string and run it on the DBAPI cursor of the same connection, inside
the same transaction. On PostgreSQL a ``batch`` sends its writes in one round trip (psycopg's
pipeline mode).

Driver errors are wrapped in SQLAlchemy's ``DBAPIError``, so callers see what Core would raise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from .disconnect import note_driver_error


class Prepared:
    """One statement compiled for one dialect; ``params`` turns a dict into driver parameters."""

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

    def params(self, values: Mapping[str, Any]) -> tuple | dict:
        processed = dict(values)
        for name, process in self._processors.items():
            if name in processed:
                processed[name] = process(processed[name])
        if self._positional is not None:
            return tuple(processed.get(name) for name in self._positional)
        return {escaped: processed.get(name) for name, escaped in self._names.items()}


class DriverWriter:
    """Runs Prepared statements (and plain SQL) on a Connection's DBAPI connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # a Connection in use has its DBAPI connection
        self.dbapi = dbapi
        self._error = conn.dialect.loaded_dbapi.Error
        self._pipeline = None
        self._sent: list[str] = []  # statements of the open pipeline, for its error message

    def execute(self, prepared: Prepared | str, values: Mapping[str, Any] | None = None) -> Any:
        """Execute; return the cursor (its ``rowcount`` is valid once ``sync`` has run)."""
        sql = prepared if isinstance(prepared, str) else prepared.sql
        cursor = self.dbapi.cursor()
        if self._pipeline is not None:
            self._sent.append(sql)
        with self._wrapped(sql):
            if values is None:
                cursor.execute(sql)
            elif isinstance(prepared, str):
                raise TypeError("values need a Prepared statement, not SQL text")
            else:
                cursor.execute(sql, prepared.params(values))
        return cursor

    def rowcount(self, cursor: Any) -> int:
        self.sync()
        return cursor.rowcount

    def sync(self) -> None:
        if self._pipeline is not None:
            with self._wrapped(None):
                self._pipeline.sync()

    @contextlib.contextmanager
    def batch(self, commit: bool = False) -> Iterator[DriverWriter]:
        """Group writes: on PostgreSQL (psycopg 3 pipeline mode) they travel together and the
        first error is raised when the batch ends; elsewhere this is a plain block. ``commit``:
        a block that ends without an error ends with COMMIT in the same round trip (pipeline
        only; the caller's ``Transaction.commit()`` then finds the driver idle and sends nothing)."""
        enter = getattr(self.dbapi, "pipeline", None)
        if enter is None or self._pipeline is not None:
            yield self
            return
        try:
            # _wrapped outside: the pipeline's closing sync may raise, naming what was _sent
            with self._wrapped(None), enter() as self._pipeline:
                yield self
                if commit:
                    self.execute("COMMIT")
        finally:
            self._pipeline = None
            self._sent = []

    @contextlib.contextmanager
    def _wrapped(self, sql: str | None) -> Iterator[None]:
        try:
            yield
        except self._error as exc:
            note_driver_error(self.conn, exc)
            if self._sent:  # a pipeline reports an error later than the statement that caused it
                sql = ";\n".join(self._sent)
            raise sa.exc.DBAPIError.instance(sql, None, exc, self._error) from exc
