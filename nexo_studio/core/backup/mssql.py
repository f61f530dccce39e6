"""SQL Server: ``BACKUP DATABASE … WITH COPY_ONLY`` and ``RESTORE DATABASE … WITH REPLACE``.

The server writes and reads the file, so ``out``/``path`` are paths *on the database server*
(no ``.partial`` rename is possible; ``INIT, FORMAT`` overwrite the file, and ``RESTORE
VERIFYONLY … WITH CHECKSUM`` checks it right after). A ``COPY_ONLY`` backup does not disturb
the server's own backup chain.

Restore, exactly, on one autocommit connection to ``master``: ``ALTER DATABASE … SET
SINGLE_USER WITH ROLLBACK IMMEDIATE`` (other sessions are disconnected, their transactions
rolled back), ``RESTORE DATABASE … WITH REPLACE, CHECKSUM`` (the whole database is replaced by
the backup's), and always — also after a failed RESTORE — ``SET MULTI_USER``.

The SQL is built by ``backup_sql`` / ``restore_sql`` (names quoted as ``[…]`` with ``]``
doubled, paths as ``N'…'`` with ``'`` doubled) and run statement by statement, each result set
drained (``nextset``) so the driver waits for BACKUP/RESTORE to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, Cancelled

from .tools import CancelCheck, scrub

#: Opens a session on the server for a URL and yields a function that runs one statement.
Runner = Callable[[URL], AbstractContextManager[Callable[[str], None]]]


def quote_name(name: str) -> str:
    """``[name]`` with ``]`` doubled."""
    if not name or "\x00" in name:
        raise BackupError(f"invalid SQL Server database name {name!r}")
    return "[" + name.replace("]", "]]") + "]"


def quote_string(text: str) -> str:
    """``N'text'`` with ``'`` doubled."""
    if "\x00" in text:
        raise BackupError(f"invalid path {text!r}")
    return "N'" + text.replace("'", "''") + "'"


def backup_sql(database: str, path: str | Path) -> list[str]:
    name, disk = quote_name(database), quote_string(str(path))
    return [
        f"BACKUP DATABASE {name} TO DISK = {disk} WITH COPY_ONLY, CHECKSUM, INIT, FORMAT",
        f"RESTORE VERIFYONLY FROM DISK = {disk} WITH CHECKSUM",
    ]


def restore_sql(database: str, path: str | Path) -> list[str]:
    """[single-user, restore, multi-user]; the last one must run even if the restore fails."""
    name, disk = quote_name(database), quote_string(str(path))
    return [
        f"ALTER DATABASE {name} SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
        f"RESTORE DATABASE {name} FROM DISK = {disk} WITH REPLACE, CHECKSUM",
        f"ALTER DATABASE {name} SET MULTI_USER",
    ]


@contextmanager
def sqlalchemy_runner(url: URL) -> Iterator[Callable[[str], None]]:
    """The real runner: an autocommit connection to ``master`` through the URL's driver."""
    engine = sa.create_engine(
        url.set(database="master"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            dbapi = conn.connection  # the pool's proxy: cursor() is the DBAPI connection's

            def run(sql: str) -> None:
                cursor = dbapi.cursor()
                try:
                    cursor.execute(sql)
                    while cursor.nextset():  # BACKUP/RESTORE report progress as result sets
                        pass
                finally:
                    cursor.close()

            yield run
    finally:
        engine.dispose()


class MssqlBackup:
    dialect = "mssql"
    suffix = ".bak"
    server_side = True

    def __init__(self, runner: Runner | None = None) -> None:
        self._runner: Runner = runner or sqlalchemy_runner

    def check_tools(self) -> None:
        """Nothing to check: the server does the work."""

    def backup(self, url: URL | str, out: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        database = self._database(url, out)
        self._run(url, out, backup_sql(database, out), always=[])

    def restore(self, url: URL | str, path: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        database = self._database(url, path)
        if cancel is not None and cancel():
            raise Cancelled("restore")
        single, restore, multi = restore_sql(database, path)
        self._run(url, path, [single, restore], always=[multi])

    @staticmethod
    def _database(url: URL, path: Path) -> str:
        if not url.database:
            raise BackupError("the database URL names no database", Path(path))
        return url.database

    def _run(self, url: URL, path: Path, statements: list[str], *, always: list[str]) -> None:
        """Run ``statements`` in order; once the first succeeded, run ``always`` whatever happens.

        The first error wins (an error in ``always`` after a failed statement is noted on it).
        """
        secrets = [str(url.password)] if url.password else []
        try:
            with self._runner(url) as run:
                error: BaseException | None = None
                first_done = False
                try:
                    for sql in statements:
                        run(sql)
                        first_done = True
                except Exception as exc:
                    error = exc
                if first_done:
                    for sql in always:
                        try:
                            run(sql)
                        except Exception as exc:
                            if error is None:
                                error = exc
                            else:
                                error.add_note(f"also failed afterwards: {sql}: {exc}")
                if error is not None:
                    raise error
        except BackupError:
            raise
        except Exception as exc:  # SQLAlchemy-wrapped or raw driver errors (pyodbc.Error)
            orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
            detail = scrub(str(orig).strip(), secrets)
            notes = [scrub(n, secrets) for n in getattr(exc, "__notes__", [])]
            raise BackupError("; ".join([detail, *notes]), Path(path)) from exc
