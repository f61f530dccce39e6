"""PostgreSQL: ``pg_dump -Fc`` and ``pg_restore``.

The connection reaches the tools only through libpq environment variables (PGHOST, PGPORT,
PGUSER, PGDATABASE, PGPASSWORD, and PGSSLMODE & co. from the URL's query), never the command
line; ``-w`` makes sure no tool ever waits for a password prompt.

Restore, exactly (each step a method, so the engine can journal between them):
1. ``prepare``: ``pg_restore -l FILE`` reads the archive's table of contents (an unreadable
   archive is refused here, before anything changes) and names what step 2 sets aside.
2. ``set_aside``, one transaction (``lock_timeout`` bounded, so a session holding locks makes it
   fail cleanly, naming the other sessions): every non-system schema (all but ``pg_*`` and
   ``information_schema``), event trigger (disabled first) and publication is renamed to
   ``__nexo_restore_old_N``; nothing is dropped. Then ``public`` is re-created as initdb makes
   it (owner ``pg_database_owner``, ``USAGE`` for PUBLIC on PostgreSQL 15+, comment ``standard
   public schema``): pg_restore never creates ``public`` and pg_dump only records how it differs
   from that default (comment, ACL). Extensions of the renamed schemas that the archive creates
   again are moved to the schema the archive puts them in (``pg_extensions.py``).
3. ``run_client``: ``pg_restore --no-owner --exit-on-error --single-transaction``: the whole
   archive goes in or nothing does.
4. ``drop_aside`` after success drops what step 2 renamed; ``put_back`` after a failure moves
   the extensions back, drops what the restore created and renames everything back (one
   transaction): the database is
   exactly as it was. Large objects are not set aside (nor removed): a restore that brings
   large objects with the same OIDs fails and is put back.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, Cancelled

from . import pg_extensions
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


#: Prefix of what a restore sets aside (``__`` names are the tool's own, SPEC §3).
ASIDE = "__nexo_restore_old_"
_ENABLE = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def _user_schemas(run: Callable) -> list[str]:
    """Schemas a restore replaces: all but the system ones and what a restore set aside."""
    return [n for n in run("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_'"
                           " AND nspname <> 'information_schema' ORDER BY 1").scalars().all()
            if not n.startswith(ASIDE)]


def aside_plan(run: Callable) -> dict:
    """What set_aside renames, to which ``__nexo_restore_old_N`` name (short: names stop at 63
    bytes). Refuses when something is still set aside from an earlier restore."""
    left = [n for n in run("SELECT nspname FROM pg_namespace").scalars().all() if n.startswith(ASIDE)]
    if left:
        raise BackupError(f"schema {left[0]} is left from an earlier restore; nothing restored "
                          "(run any nexo command to finish or undo that restore first)")
    schemas = [[n, f"{ASIDE}{i}"] for i, n in enumerate(_user_schemas(run), 1)]
    triggers = [[n, f"{ASIDE}{i}", e] for i, (n, e) in
                enumerate(run("SELECT evtname, evtenabled FROM pg_event_trigger ORDER BY 1").all(), 1)]
    pubs = [[n, f"{ASIDE}{i}"] for i, (n,) in enumerate(run("SELECT pubname FROM pg_publication ORDER BY 1").all(), 1)]
    return {"schemas": schemas, "event_triggers": triggers, "publications": pubs}


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


class _Run:
    """``run(sql)``: the SQL verbatim (no parameters) on ``run.conn``."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def __call__(self, sql: str) -> sa.CursorResult:
        return self.conn.exec_driver_sql(sql, execution_options=_NO_PARAMS)


@contextmanager
def _use_list(text: str, at: Path | None = None) -> Iterator[str]:
    """A ``--use-list`` file for pg_restore, removed after: ``at`` (beside the restore journal,
    so a killed restore's is removed by the recovery's ``drop_aside``) or a temporary file."""
    if at is None:
        fd, name = tempfile.mkstemp(prefix="nexo-", suffix=".list")
    else:
        name = str(at)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        yield name
    finally:
        Path(name).unlink(missing_ok=True)


def _list_path(plan: dict) -> Path | None:
    return Path(plan["safety"]).with_suffix(".list") if plan.get("safety") else None


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
        """Set the schemas aside, restore, drop what was set aside; on failure put it back."""
        url = make_url(url)
        plan = self.prepare(url, path)
        if cancel is not None and cancel():
            raise Cancelled("restore")
        self.set_aside(url, path, plan)
        try:
            self.run_client(url, path, plan=plan)
        except BaseException:
            self.put_back(url, path, plan)
            raise
        self.drop_aside(url, path, plan)

    def prepare(self, url: URL | str, path: Path) -> dict:
        """Step 1 (nothing changes): read the archive, name what step 2 will set aside."""
        url = make_url(url)
        pg_restore = self._pg_restore()
        path = Path(path)
        if not path.is_file():
            raise BackupError("backup file not found", path)
        if not url.database:
            raise BackupError("the database URL names no database", path)
        env, secrets = libpq_env(url)
        toc = capture_tool([pg_restore, "--list", str(path)], env=env, secrets=secrets, path=path)
        entry = _PUBLIC_ENTRY.search(toc)
        plan: dict[str, Any] = {"default_public": entry is None or entry.group("owner") == "pg_database_owner"}
        in_archive = self._archive_extensions(toc, env, secrets, path)
        with self._transaction(url, path, secrets) as run:
            plan.update(aside_plan(run))
            plan.update(pg_extensions.plan_moves(run, toc, in_archive, dict(plan["schemas"]), path))
        return plan

    def _archive_extensions(self, toc: str, env: dict, secrets: list[str], path: Path) -> dict[str, str]:
        """Each extension the archive creates -> its schema (read from the archive's SQL)."""
        if not pg_extensions.needs_archive_sql(toc):
            return {}
        with _use_list(pg_extensions.extension_list(toc)) as listing:
            sql = capture_tool([self._pg_restore(), f"--use-list={listing}", "--file=-", str(path)],
                               env=env, secrets=secrets, path=path)
        return pg_extensions.archive_extensions(sql)

    def set_aside(self, url: URL | str, path: Path, plan: dict) -> None:
        """Step 2, one transaction: rename every user schema (and event trigger, publication) to
        its ``__nexo_restore_old_N`` name, then re-create ``public`` as initdb makes it."""
        url = make_url(url)
        _env, secrets = libpq_env(url)
        with self._transaction(url, path, secrets) as run:
            conn = run.conn
            for name, aside, _enabled in plan["event_triggers"]:
                run(f"ALTER EVENT TRIGGER {quote_ident(name)} DISABLE")
                run(f"ALTER EVENT TRIGGER {quote_ident(name)} RENAME TO {quote_ident(aside)}")
            for name, aside in plan["publications"]:
                run(f"ALTER PUBLICATION {quote_ident(name)} RENAME TO {quote_ident(aside)}")
            for name, aside in plan["schemas"]:
                run(f"ALTER SCHEMA {quote_ident(name)} RENAME TO {quote_ident(aside)}")
            self._create_public(run, conn, default_owner=plan["default_public"])
            pg_extensions.move_along(run, plan)

    def run_client(self, url: URL | str, path: Path, on_start=None, plan: dict | None = None) -> None:
        """Step 3: ``pg_restore --single-transaction``: all of the archive or nothing (less the
        ``CREATE SCHEMA`` entries set_aside already made for the extensions it moved)."""
        url = make_url(url)
        if not url.database:  # prepare() refused it already
            raise BackupError("the database URL names no database", path)
        env, secrets = libpq_env(url)
        argv = [self._pg_restore(), "-w", "--no-owner", "--exit-on-error"]
        if self.single_transaction:
            argv.append("--single-transaction")
        argv += [f"--dbname={conninfo_dbname(url.database)}", str(path)]
        if not plan or not plan.get("skip_entries"):
            run_tool(argv, env=env, secrets=secrets, path=Path(path), on_start=on_start)
            return
        toc = capture_tool([self._pg_restore(), "--list", str(path)], env=env, secrets=secrets, path=Path(path))
        with _use_list(pg_extensions.use_list(toc, plan["skip_entries"]), _list_path(plan)) as listing:
            argv.insert(-1, f"--use-list={listing}")
            run_tool(argv, env=env, secrets=secrets, path=Path(path), on_start=on_start)

    def put_back(self, url: URL | str, path: Path, plan: dict) -> bool:
        """Undo step 2 (and 3) in one transaction: drop what the restore created, rename what
        was set aside back. False (nothing done) when nothing was set aside."""
        url = make_url(url)
        _env, secrets = libpq_env(url)
        with self._transaction(url, path, secrets) as run:
            present = set(run("SELECT nspname FROM pg_namespace").scalars().all())
            if not any(aside in present for _n, aside in plan["schemas"]):
                return False
            pg_extensions.move_back(run, plan)
            for name in _user_schemas(run):
                run(f"DROP SCHEMA {quote_ident(name)} CASCADE")
            for (name,) in run("SELECT evtname FROM pg_event_trigger ORDER BY 1").all():
                if not name.startswith(ASIDE):
                    run(f"DROP EVENT TRIGGER {quote_ident(name)}")
            for (name,) in run("SELECT pubname FROM pg_publication ORDER BY 1").all():
                if not name.startswith(ASIDE):
                    run(f"DROP PUBLICATION {quote_ident(name)}")
            for name, aside in plan["schemas"]:
                run(f"ALTER SCHEMA {quote_ident(aside)} RENAME TO {quote_ident(name)}")
            for name, aside in plan["publications"]:
                run(f"ALTER PUBLICATION {quote_ident(aside)} RENAME TO {quote_ident(name)}")
            for name, aside, enabled in plan["event_triggers"]:
                run(f"ALTER EVENT TRIGGER {quote_ident(aside)} RENAME TO {quote_ident(name)}")
                run(f"ALTER EVENT TRIGGER {quote_ident(name)} {_ENABLE[enabled]}")
        return True

    def drop_aside(self, url: URL | str, path: Path, plan: dict) -> None:
        """After a restore that succeeded: drop what step 2 set aside (one transaction)."""
        url = make_url(url)
        listing = _list_path(plan)
        if listing is not None:  # left by a killed restore
            listing.unlink(missing_ok=True)
        _env, secrets = libpq_env(url)
        with self._transaction(url, path, secrets) as run:
            for (name,) in run("SELECT evtname FROM pg_event_trigger ORDER BY 1").all():
                if name.startswith(ASIDE):
                    run(f"DROP EVENT TRIGGER {quote_ident(name)}")
            for (name,) in run("SELECT pubname FROM pg_publication ORDER BY 1").all():
                if name.startswith(ASIDE):
                    run(f"DROP PUBLICATION {quote_ident(name)}")
            for name in run("SELECT nspname FROM pg_namespace ORDER BY 1").scalars().all():
                if name.startswith(ASIDE):
                    run(f"DROP SCHEMA {quote_ident(name)} CASCADE")

    @contextmanager
    def _transaction(self, url: URL, path: Path, secrets: list[str]) -> Iterator[_Run]:
        """``run(sql)`` on one short-lived connection, in one transaction (lock_timeout bounded)."""
        engine = _engine(url)
        try:
            with engine.begin() as conn:
                run = _Run(conn)
                run(f"SET LOCAL lock_timeout = {max(1, int(self.lock_timeout * 1000))}")
                yield run
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
