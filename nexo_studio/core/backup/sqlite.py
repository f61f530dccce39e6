"""SQLite: the sqlite3 online-backup API, both ways.

Backup copies the live database (safe while other connections use it) into ``OUT.partial``,
switches the copy to the rollback journal (so the file stands alone, no -wal/-shm), then renames.
Restore runs the same API from the backup file over the database file: every page is replaced in
one step under the destination's write lock, so objects created after the backup are gone and a
failure leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, Cancelled

from .tools import CancelCheck, atomic_output

_MAGIC = b"SQLite format 3\x00"


def _connect(path: str, *, uri: bool = False, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(path, uri=uri, timeout=timeout, isolation_level=None)


class SqliteBackup:
    dialect = "sqlite"
    suffix = ".sqlite3"
    server_side = False

    def __init__(self, *, busy_timeout: float = 30.0) -> None:
        #: Seconds to wait for another connection's write lock before giving up.
        self.busy_timeout = busy_timeout

    def check_tools(self) -> None:
        """Nothing to check: the stdlib sqlite3 module does the work."""

    @staticmethod
    def database_path(url: URL | str) -> tuple[str, bool]:
        """(path or ``file:`` URI, is_uri) of the database a SQLAlchemy SQLite URL names."""
        url = make_url(url) if isinstance(url, str) else url
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in database:
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        is_uri = str(url.query.get("uri", "")).lower() in ("true", "1")
        return database, is_uri

    def backup(self, url: URL | str, out: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        database, is_uri = self.database_path(url)
        out = Path(out)
        if not is_uri and not Path(database).is_file():
            raise BackupError(f"the database file {database} does not exist", out)
        with atomic_output(out, companions=("-journal", "-wal", "-shm")) as partial:
            try:
                src = _connect(database, uri=is_uri, timeout=self.busy_timeout)
                try:
                    dst = _connect(str(partial), timeout=self.busy_timeout)
                    try:
                        src.backup(dst)  # one step: a consistent snapshot
                        dst.execute("PRAGMA journal_mode=DELETE")
                    finally:
                        dst.close()
                finally:
                    src.close()
            except sqlite3.Error as exc:
                raise BackupError(f"SQLite backup failed: {exc}", out) from exc

    def restore(self, url: URL | str, path: Path, *, cancel: CancelCheck | None = None) -> None:
        url = make_url(url)
        database, is_uri = self.database_path(url)
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(_MAGIC))
        except FileNotFoundError:
            raise BackupError("backup file not found", path) from None
        except OSError as exc:
            raise BackupError(f"cannot read the backup: {exc.strerror or exc}", path) from exc
        if head != _MAGIC:
            raise BackupError("not a SQLite database file", path)
        try:
            src = _connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout)
            try:
                src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # readable at all?
                if cancel is not None and cancel():
                    raise Cancelled("restore")
                dst = _connect(database, uri=is_uri, timeout=self.busy_timeout)
                try:
                    src.backup(dst)  # one step, under the destination's write lock
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite restore into {database} failed: {exc}", path) from exc
