"""The base class of the per-dialect rules: the defaults a dialect without special needs gets."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

if TYPE_CHECKING:
    from ..backup import BackupProvider
    from ..model import Migration
    from ..events import CancelToken
    from ..state.locks import DatabaseLock


class DialectRules:
    #: the dialect's name as migration files and the state tables spell it
    name = ""
    #: the product name shown with the server version
    display = ""
    #: DDL runs inside transactions (a failed migration leaves nothing behind)
    transactional_ddl = False
    #: the server's default port (to tell one database from another)
    default_port: int | None = None
    #: the query answering the connection's default schema (None: the dialect has none)
    current_schema_sql: str | None = None
    #: the names of the ordinary tables in schema ``:s``: what SQLAlchemy's
    #: ``Inspector.get_table_names(s)`` answers, in one plain query (None: ask the Inspector)
    table_names_sql: str | None = None
    #: sent after every migration so its session settings do not leak into the next
    reset_session_sql: tuple[str, ...] = ()
    #: sent first in a read transaction that must see one state of the database
    snapshot_isolation_sql: str | None = None
    #: the state store writes its rows through the driver (verified against a live server)
    driver_writes = False
    #: the tool watches whether a Python migration ended the transaction it was given
    watch_transaction = False
    #: the isolation level a report reads in (None: the connection's default already sees one state)
    report_isolation_level: str | None = None
    #: the history chain's canonical JSON can be built in SQL (see state/chainscan.py)
    canonical_json_in_sql = False
    #: one text naming the database as the server knows it, whatever URL reached it (the restore
    #: journal records it: another spelling of the URL must still find an interrupted restore)
    server_identity_sql: str | None = None

    def timestamp_type(self) -> TypeEngine:
        """The state tables' timestamps: microseconds, so a value read back hashes as written."""
        return sa.DateTime()

    def long_text_type(self) -> TypeEngine:
        """The state tables' unbounded text (an error message or a statement may be long)."""
        return sa.Text()

    def engine_url(self, url: sa.URL, kwargs: dict[str, Any]) -> sa.URL:
        """The URL to create the engine with; per-dialect engine options go into ``kwargs``."""
        return url

    def prepare_engine(self, engine: sa.Engine) -> None:
        """Event hooks the engine relies on, once the engine exists."""

    def server_version(self, conn: sa.Connection) -> str:
        info = conn.dialect.server_version_info
        return f"{self.display} {'.'.join(str(p) for p in info or ())}"

    def interrupter(self, engine: sa.Engine, conn: sa.Connection, cancel: CancelToken) -> Callable[[], None]:
        """Wire Cancel to interrupting the statement running on ``conn`` (from any thread);
        returns the function that unwires it."""
        return lambda: None

    def estimated_size(self, url: sa.URL, conn: sa.Connection) -> int | None:
        """About how many bytes a backup of the database needs (None: unknown)."""
        return None

    def lock(self, engine: sa.Engine) -> DatabaseLock:
        from ..state.locks import NoLock

        return NoLock()

    def backup_provider(self) -> BackupProvider:
        from ...errors import BackupError

        raise BackupError(f"no backup provider for the {self.name!r} dialect")

    def reflector(self) -> ModuleType:
        """The module that reflects this dialect's live schema (``core/schema/NAME.py``)."""
        from ...errors import SchemaReflectionUnsupported

        raise SchemaReflectionUnsupported(self.name)

    def row_estimates(self, conn: sa.Connection, names: list[str]) -> dict[str, int]:
        """Estimated rows of each of the tables ``names`` (lower case) that exists, read-only, from
        the server's statistics where it keeps them (the lint's size levels, SPEC §11)."""
        return {}

    def is_local_file(self) -> bool:
        """The database is a file on this machine (its identity is the file's path)."""
        return False

    def transaction_id(self, conn: sa.Connection) -> Any:
        """An id of the driver's current transaction (None: the dialect tells none)."""
        return None

    def transaction_ended(self, conn: sa.Connection, xid: Any) -> bool:
        """The driver says the transaction ``xid`` (from ``transaction_id``) is no longer open."""
        return False

    def session_reset(self, conn: sa.Connection, m: Migration) -> tuple[str, ...]:
        """What to send after migration ``m`` (in its transaction when it has one) so that what
        it set in the session does not reach the next migration or the tool's writes."""
        return self.reset_session_sql

    def may_change_session(self, m: Migration, kind: str) -> bool:
        """Whether section ``kind`` of ``m`` can change its session (a setting, the current
        database, a lock, a temporary table) -- then, where the dialect has no session reset, it
        runs on a connection of its own."""
        return True

    def transaction_open(self, conn: sa.Connection) -> bool:
        """The session has a transaction open that the driver did not start (on a connection in
        autocommit mode: the migration's own ``BEGIN``, MySQL ``SET autocommit = 0``)."""
        return False

    def text_batches(self, raw: Any) -> bool:
        """The bookkeeping writes of one step may travel as one query of literal SQL on this
        driver connection (see state/prepared.py)."""
        return False

    def sql_literal(self, value: Any) -> str | None:
        """``value`` as an SQL literal of this dialect; None: it has none here (send it as a
        parameter)."""
        return None

    def streaming_cursor(self, raw: Any) -> Any:
        """A driver cursor that streams rows instead of holding them all."""
        return raw.cursor()


#: where a server keeps no row estimate, rows are counted, but never more than this many per table
ROW_COUNT_CAP = 1_000_000


def capped_count(conn: sa.Connection, quoted: str) -> int:
    """``COUNT(*)`` of the table ``quoted`` (an SQL name, quoted), stopping at ROW_COUNT_CAP."""
    return int(conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quoted} LIMIT {ROW_COUNT_CAP}) AS t").scalar_one())


def estimates_query(conn: sa.Connection, sql: str, names: list[str]) -> dict[str, int]:
    """{table: rows} from ``sql`` answering (lower-case name, rows) for the tables in ``:names``."""
    stmt = sa.text(sql).bindparams(sa.bindparam("names", expanding=True))
    return {name: int(rows) for name, rows in conn.execute(stmt, {"names": names})}
