"""PostgreSQL: ``pg_dump -Fc`` and ``pg_restore``.

The connection reaches the tools only through libpq environment variables (PGHOST, PGPORT,
PGUSER, PGDATABASE, PGPASSWORD, and PGSSLMODE & co. from the URL's query), never the command
line; ``-w`` makes sure no tool ever waits for a password prompt.

Restore, exactly:
1. ``pg_restore -l FILE`` reads the archive's table of contents. An unreadable archive is refused
   here, before anything changes.
2. On one short-lived connection, in one transaction (``lock_timeout`` bounded, so a session
   holding locks makes it fail cleanly instead of waiting forever, naming the other sessions):
   drop event triggers and publications, unlink large objects, and ``DROP SCHEMA … CASCADE``
   every non-system schema (all but ``pg_*`` and ``information_schema``) — objects created after
   the backup, including whole new schemas, are gone. Then re-create ``public`` as initdb makes
   it (owner ``pg_database_owner``, ``USAGE`` for PUBLIC on PostgreSQL 15+, comment ``standard
   public schema``): pg_restore never creates ``public`` and pg_dump only records how it differs
   from that default (comment, ACL). The connection is closed.
3. ``pg_restore --no-owner --exit-on-error --single-transaction`` into the database: the whole
   archive goes in or nothing does (a failure then leaves the database with no user schemas,
   and the error says so).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, Cancelled

from .tools import CancelCheck, atomic_output, capture_tool, find_tool, run_tool, scrub

PACKAGE = "postgresql-client"

#: URL query keys that libpq also reads from the environment.
_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "sslpassword": "PGSSLPASSWORD",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "krbsrvname": "PGKRBSRVNAME",
}
_SECRET_QUERY = ("sslpassword",)

#: ``pg_restore -l`` line of the archive's entry for schema public (then it is not initdb's).
_PUBLIC_ENTRY = re.compile(r"^\d+; \d+ \d+ SCHEMA - public(?: (?P<owner>\S+))?$", re.MULTILINE)
_LOCK_NOT_AVAILABLE = "55P03"
#: Statements are sent verbatim: ``%`` in a schema name is not a parameter marker.
_NO_PARAMS = {"no_parameters": True}


def libpq_env(url: URL) -> tuple[dict[str, str], list[str]]:
    """(environment for a libpq tool, secrets to scrub from its messages)."""
    env = dict(os.environ)
    secrets: list[str] = []
    if url.host:
        env["PGHOST"] = url.host
        env.pop("PGHOSTADDR", None)
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.database:
        env["PGDATABASE"] = url.database
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
        secrets.append(str(url.password))
    for key, value in url.query.items():
        var = _QUERY_ENV.get(key)
        if var is None:
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        env[var] = text
        if key in _SECRET_QUERY:
            secrets.append(text)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    env.setdefault("PGAPPNAME", "nexo-studio")
    return env, secrets


def quote_ident(name: str) -> str:
    """``"name"`` with ``"`` doubled (sent verbatim, so no driver ``%`` escaping)."""
    return '"' + name.replace('"', '""') + '"'


def conninfo_dbname(name: str) -> str:
    """A libpq conninfo naming only the database (so a name with ``=`` is not misread)."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def _engine(url: URL) -> sa.Engine:
    """An unpooled engine for the URL; psycopg 3 when the URL's own driver is not installed."""
    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except ImportError:
        return sa.create_engine(url.set(drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)


class PostgresBackup:
    dialect = "postgresql"
    suffix = ".dump"
    server_side = False

    def __init__(self, *, lock_timeout: float = 30.0, single_transaction: bool = True) -> None:
        #: Seconds pg_dump and the pre-restore drops wait for other sessions' locks.
        self.lock_timeout = lock_timeout
        #: Restore the archive in one transaction (all or nothing). Databases with many
        #: thousands of objects may need a larger ``max_locks_per_transaction`` for it.
        self.single_transaction = single_transaction

    # -- tools ---------------------------------------------------------------------------------

    def _pg_dump(self) -> str:
        return find_tool(("pg_dump",), "NEXO_PG_DUMP", PACKAGE)

    def _pg_restore(self) -> str:
        return find_tool(("pg_restore",), "NEXO_PG_RESTORE", PACKAGE)

    def check_tools(self) -> None:
        self._pg_dump()
        self._pg_restore()

    # -- backup --------------------------------------------------------------------------------

    def backup(self, url: URL | str, out: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        pg_dump = self._pg_dump()
        out = Path(out)
        if not url.database:
            raise BackupError("the database URL names no database", out)
        env, secrets = libpq_env(url)
        timeout_ms = max(1, int(self.lock_timeout * 1000))
        with atomic_output(out) as partial:
            run_tool(
                [pg_dump, "-w", "--format=custom", "--no-owner",
                 f"--lock-wait-timeout={timeout_ms}", f"--file={partial}"],
                env=env, secrets=secrets, path=out, cancel=cancel, what="backup",
            )  # fmt: skip

    # -- restore -------------------------------------------------------------------------------

    def restore(self, url: URL | str, path: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        pg_restore = self._pg_restore()
        path = Path(path)
        if not path.is_file():
            raise BackupError("backup file not found", path)
        if not url.database:
            raise BackupError("the database URL names no database", path)
        env, secrets = libpq_env(url)
        toc = capture_tool([pg_restore, "--list", str(path)], env=env, secrets=secrets, path=path)
        if cancel is not None and cancel():
            raise Cancelled("restore")
        entry = _PUBLIC_ENTRY.search(toc)
        public_is_default = entry is None or entry.group("owner") == "pg_database_owner"
        self._empty_database(url, path, default_public=public_is_default, secrets=secrets)
        argv = [pg_restore, "-w", "--no-owner", "--exit-on-error"]
        if self.single_transaction:
            argv.append("--single-transaction")
        argv += [f"--dbname={conninfo_dbname(url.database)}", str(path)]
        try:
            run_tool(argv, env=env, secrets=secrets, path=path)
        except BackupError as exc:
            state = "has no user schemas now" if self.single_transaction else "is partly restored"
            raise BackupError(
                f"{exc.reason} (the database {url.database} {state}; fix the cause and restore again)",
                path,
            ) from exc

    def _empty_database(self, url: URL, path: Path, *, default_public: bool, secrets: list[str]) -> None:
        """Step 2 of the restore (see the module doc), on a connection closed before returning."""
        engine = _engine(url)
        try:
            with engine.begin() as conn:
                def run(sql: str) -> sa.CursorResult:
                    return conn.exec_driver_sql(sql, execution_options=_NO_PARAMS)

                run(f"SET LOCAL lock_timeout = {max(1, int(self.lock_timeout * 1000))}")
                for (name,) in run("SELECT evtname FROM pg_event_trigger ORDER BY 1").all():
                    run(f"DROP EVENT TRIGGER {quote_ident(name)}")
                for (name,) in run("SELECT pubname FROM pg_publication ORDER BY 1").all():
                    run(f"DROP PUBLICATION {quote_ident(name)}")
                run("SELECT lo_unlink(oid) FROM pg_largeobject_metadata").all()
                schemas = run(
                    "SELECT nspname FROM pg_namespace"
                    " WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1"
                ).scalars().all()
                for name in schemas:
                    run(f"DROP SCHEMA {quote_ident(name)} CASCADE")
                self._create_public(run, conn, default_owner=default_public)
        except sa.exc.DBAPIError as exc:
            raise self._prepare_error(engine, url, path, exc, secrets) from exc
        finally:
            engine.dispose()

    @staticmethod
    def _create_public(
        run: Callable[[str], object], conn: sa.Connection, *, default_owner: bool
    ) -> None:
        """Schema public as initdb makes it; the archive then applies its differences.

        pg_restore never creates ``public`` ("since initdb creates it"); pg_dump records only
        its comment and ACL relative to initdb's. A public schema the archive lists with another
        owner was re-created by a user: with ``--no-owner`` it belongs to the restoring user,
        like every other object the archive creates.
        """
        version = conn.dialect.server_version_info or (15,)
        created = False
        if default_owner and version >= (14,):
            try:
                with conn.begin_nested():
                    run("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
                created = True
            except sa.exc.DBAPIError:  # not allowed to act as pg_database_owner: own it ourselves
                pass
        if not created:
            run("CREATE SCHEMA public")
        grant = "USAGE" if version >= (15,) else "ALL"
        run(f"GRANT {grant} ON SCHEMA public TO PUBLIC")
        run("COMMENT ON SCHEMA public IS 'standard public schema'")

    @staticmethod
    def _prepare_error(
        engine: sa.Engine, url: URL, path: Path, exc: sa.exc.DBAPIError, secrets: list[str]
    ) -> BackupError:
        orig = exc.orig
        detail = scrub(str(orig).strip(), secrets)
        if getattr(orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            others = ""
            try:
                with engine.connect() as conn:
                    rows = conn.exec_driver_sql(
                        "SELECT pid, usename, application_name, state FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " ORDER BY pid LIMIT 10"
                    ).all()
                others = "; other sessions: " + ", ".join(
                    f"pid {pid} ({user}, {app or 'no application name'}, {state})"
                    for pid, user, app, state in rows
                )
            except sa.exc.DBAPIError:
                pass
            return BackupError(
                f"nothing restored: objects in {url.database} are locked by other sessions{others}",
                path,
            )
        where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
        return BackupError(f"nothing restored: cannot prepare {where} for the restore: {detail}", path)
