"""MySQL / MariaDB: ``mariadb-dump`` (or ``mysqldump``) and the ``mariadb`` (or ``mysql``) client.

The dump covers the one database of the URL, without ``--databases`` (so it names no database
and can be restored into any), with routines, triggers and events, in one consistent snapshot
(``--single-transaction``, InnoDB). The password reaches the tools only through a temporary
``--defaults-extra-file`` (mode 0600, deleted right after), never the command line.

Restore, exactly:
1. The file is checked before anything changes: a mysqldump/mariadb-dump header, the
   ``-- Dump completed`` trailer (a truncated file is refused), and no ``USE`` / ``CREATE
   DATABASE`` near the top (a ``--databases`` dump would write into another database).
2. On one short-lived connection (``lock_wait_timeout`` bounded; when other sessions hold
   locks it fails cleanly naming them): read the database's default character set and
   collation, ``DROP DATABASE``, ``CREATE DATABASE`` with that character set and collation.
   Closed before the client runs. Objects created after the backup are gone with the old one.
3. The file is fed to the client on stdin (``--binary-mode``, stops at the first error), through
   a pipe that defers the check options of views to the end (``mysql_load.py``). DDL
   is not transactional here: a failure leaves the database partly restored, and the error
   says so -- unless the restore went through ``set_aside`` (what the engine does): a safety
   dump of the database is taken first, and ``put_back`` restores it after a failure.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, Cancelled

from .mysql_load import piped_dump
from .tools import CancelCheck, atomic_output, find_tool, run_tool, scrub

PACKAGE = "mariadb-client"

_HEAD_BYTES = 1024 * 1024
_TAIL_BYTES = 4096
_NAMES_DATABASE = re.compile(rb"^(USE\s|CREATE\s+DATABASE\b)", re.IGNORECASE | re.MULTILINE)
_LOCK_WAIT_TIMEOUT = 1205
_NO_PARAMS = {"no_parameters": True}


def option_value(value: str) -> str:
    """A value for a MySQL option file: double-quoted, with the file format's escapes."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def quote_ident(name: str) -> str:
    """```name``` with backticks doubled (sent verbatim, so no driver ``%`` escaping)."""
    return "`" + name.replace("`", "``") + "`"


@contextmanager
def client_options(url: URL) -> Iterator[tuple[list[str], list[str]]]:
    """(leading command-line options, secrets) for a MySQL client tool; cleans up after.

    Host, port, user and TLS files go on the command line; the password goes into a temporary
    option file (0600) passed as ``--defaults-extra-file`` — which must come first.
    """
    args: list[str] = []
    secrets: list[str] = []
    option_file: str | None = None
    try:
        if url.password is not None:
            password = str(url.password)
            fd, option_file = tempfile.mkstemp(prefix="nexo-", suffix=".cnf")  # mode 0600
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"[client]\npassword={option_value(password)}\n")
            args.append(f"--defaults-extra-file={option_file}")
            secrets.append(password)
        socket = url.query.get("unix_socket")
        if socket:
            args += ["--protocol=SOCKET", f"--socket={socket}"]
        else:
            args += ["--protocol=TCP", f"--host={url.host or 'localhost'}", f"--port={url.port or 3306}"]
        if url.username:
            args.append(f"--user={url.username}")
        for key in ("ssl_ca", "ssl_cert", "ssl_key"):
            if url.query.get(key):
                args.append(f"--{key.replace('_', '-')}={url.query[key]}")
        yield args, secrets
    finally:
        if option_file:
            try:
                os.unlink(option_file)
            except OSError:
                pass


@functools.lru_cache(maxsize=8)
def _oracle_major(tool: str) -> int | None:
    """Major version of an Oracle MySQL ``mysqldump``; None for MariaDB's (or when unknown)."""
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "mariadb" in out.lower():
        return None
    match = re.search(r"Ver (\d+)\.", out)
    return int(match.group(1)) if match else None


def _engine(url: URL) -> sa.Engine:
    """An unpooled autocommit engine; PyMySQL when the URL's own driver is not installed."""
    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    except ImportError:
        return sa.create_engine(
            url.set(drivername="mysql+pymysql"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
        )


class MysqlBackup:
    dialect = "mysql"
    suffix = ".sql"
    server_side = False

    def __init__(self, *, lock_timeout: float = 30.0) -> None:
        #: Seconds DROP DATABASE waits for other sessions' metadata locks.
        self.lock_timeout = lock_timeout

    # -- tools ---------------------------------------------------------------------------------

    def _dump_tool(self) -> str:
        return find_tool(("mariadb-dump", "mysqldump"), "NEXO_MYSQLDUMP", PACKAGE)

    def _client_tool(self) -> str:
        return find_tool(("mariadb", "mysql"), "NEXO_MYSQL", PACKAGE)

    def check_tools(self) -> None:
        self._dump_tool()
        self._client_tool()

    # -- backup --------------------------------------------------------------------------------

    def backup(self, url: URL | str, out: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        tool = self._dump_tool()
        out = Path(out)
        if not url.database:
            raise BackupError("the database URL names no database", out)
        extra: list[str] = []
        major = _oracle_major(tool)
        if major is not None:
            extra.append("--set-gtid-purged=OFF")  # a GTID_PURGED line fails on restore
            if major >= 8:
                extra.append("--column-statistics=0")  # absent on MariaDB servers
        with client_options(url) as (options, secrets), atomic_output(out) as partial:
            run_tool(
                [tool, *options, "--single-transaction", "--routines", "--triggers", "--events",
                 "--hex-blob", "--no-tablespaces", "--default-character-set=utf8mb4", *extra,
                 f"--result-file={partial}", "--", url.database],
                secrets=secrets, path=out, cancel=cancel, what="backup",
            )  # fmt: skip

    # -- restore -------------------------------------------------------------------------------

    def restore(self, url: URL | str, path: Path, *, cancel: CancelCheck | None = None) -> None:
        """Re-create the database and feed the dump (no safety copy: see ``set_aside``)."""
        url = make_url(url)
        plan = self.prepare(url, path)
        if cancel is not None and cancel():
            raise Cancelled("restore")
        self.recreate(url, path)
        try:
            self.run_client(url, path)
        except BackupError as exc:
            raise BackupError(
                f"{exc.reason} (the database {url.database} was re-created and is partly "
                "restored; fix the cause and restore again)",
                path,
            ) from exc
        del plan

    def prepare(self, url: URL | str, path: Path) -> dict:
        """Step 1 (nothing changes): the file is a complete single-database dump."""
        url = make_url(url)
        self._client_tool()
        path = Path(path)
        if not url.database:
            raise BackupError("the database URL names no database", path)
        self.check_dump(path, url.database)
        return {}

    def set_aside(self, url: URL | str, path: Path, plan: dict) -> None:
        """A safety dump to ``plan["safety"]`` (written through ``.partial`` and fsynced: it
        exists only when complete), then step 2."""
        url = make_url(url)
        self.backup(url, Path(plan["safety"]))
        self.recreate(url, path)

    def recreate(self, url: URL | str, path: Path) -> None:
        url = make_url(url)
        with client_options(url) as (_options, secrets):
            self._recreate_database(url, Path(path), secrets)

    def run_client(self, url: URL | str, path: Path, on_start=None, plan: dict | None = None) -> None:
        """Step 3: the dump fed to the client through a pipe, its views made order-safe
        (``mysql_load.py``)."""
        url = make_url(url)
        client = self._client_tool()
        with client_options(url) as (options, secrets), piped_dump(Path(path)) as (dump, started):
            def begun(pid: int) -> None:
                started()
                if on_start is not None:
                    on_start(pid)

            run_tool(
                [client, *options, "--binary-mode", "--default-character-set=utf8mb4",
                 f"--database={url.database}"],
                stdin=dump, secrets=secrets, path=Path(path), on_start=begun,
            )  # fmt: skip

    def put_back(self, url: URL | str, path: Path, plan: dict) -> bool:
        """Undo: the safety dump restored over the database. False when there is none (then
        the database was never dropped)."""
        safety = Path(plan["safety"])
        if not safety.is_file():
            return False
        url = make_url(url)
        self.recreate(url, safety)
        self.run_client(url, safety)
        return True

    def drop_aside(self, url: URL | str, path: Path, plan: dict) -> None:
        Path(plan["safety"]).unlink(missing_ok=True)

    @staticmethod
    def check_dump(path: Path, database: str) -> None:
        """Refuse a file that is not a complete single-database dump (see the module doc)."""
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                head = fh.read(_HEAD_BYTES)
                fh.seek(max(0, size - _TAIL_BYTES))
                tail = fh.read()
        except FileNotFoundError:
            raise BackupError("backup file not found", path) from None
        except OSError as exc:
            raise BackupError(f"cannot read the backup: {exc.strerror or exc}", path) from exc
        first_lines = b"\n".join(head.splitlines()[:5])
        if b"-- MariaDB dump" not in first_lines and b"-- MySQL dump" not in first_lines:
            raise BackupError("not a mariadb-dump/mysqldump file", path)
        if b"-- Dump completed" not in tail:
            raise BackupError("the dump is incomplete (no '-- Dump completed' trailer)", path)
        if _NAMES_DATABASE.search(head):
            raise BackupError(
                f"the dump names its database (made with --databases?); refusing to restore it "
                f"into {database}",
                path,
            )

    def _recreate_database(self, url: URL, path: Path, secrets: list[str]) -> None:
        """Step 2 of the restore, on a connection closed before returning."""
        name = url.database
        if not name:  # prepare() refused it already
            raise BackupError("the database URL names no database", path)
        engine = _engine(url.set(database=None))
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(
                    f"SET SESSION lock_wait_timeout = {max(1, int(self.lock_timeout))}",
                    execution_options=_NO_PARAMS,
                )
                row = conn.execute(
                    sa.text(
                        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
                        " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"
                    ),
                    {"name": name},
                ).first()
                create = f"CREATE DATABASE {quote_ident(name)}"
                if row and all(v and re.fullmatch(r"\w+", v) for v in row):
                    create += f" CHARACTER SET {row[0]} COLLATE {row[1]}"
                conn.exec_driver_sql(
                    f"DROP DATABASE IF EXISTS {quote_ident(name)}", execution_options=_NO_PARAMS
                )
                conn.exec_driver_sql(create, execution_options=_NO_PARAMS)
        except sa.exc.DBAPIError as exc:
            raise self._prepare_error(engine, url, path, exc, secrets) from exc
        finally:
            engine.dispose()

    @staticmethod
    def _prepare_error(
        engine: sa.Engine, url: URL, path: Path, exc: sa.exc.DBAPIError, secrets: list[str]
    ) -> BackupError:
        orig = exc.orig
        code = orig.args[0] if orig is not None and orig.args else None
        if code == _LOCK_WAIT_TIMEOUT:
            others = ""
            try:
                with engine.connect() as conn:
                    rows = conn.execute(
                        sa.text(
                            "SELECT ID, USER, COMMAND, STATE FROM information_schema.PROCESSLIST"
                            " WHERE DB = :name AND ID <> CONNECTION_ID() ORDER BY ID LIMIT 10"
                        ),
                        {"name": url.database},
                    ).all()
                others = "; other sessions: " + ", ".join(
                    f"id {pid} ({user}, {command}{', ' + state if state else ''})"
                    for pid, user, command, state in rows
                )
            except sa.exc.DBAPIError:
                pass
            return BackupError(
                f"nothing restored: {url.database} is in use by other sessions{others}", path
            )
        where = f"{url.host or 'localhost'}:{url.port or 3306}/{url.database}"
        detail = scrub(str(orig).strip(), secrets)
        return BackupError(f"cannot re-create {where} for the restore: {detail}", path)
