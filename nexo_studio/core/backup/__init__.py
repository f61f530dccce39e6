"""Backups and restores: one provider per dialect behind one protocol, plus sidecar checks.

- ``provider_for(url)`` picks the provider by the URL's backend (``mariadb`` -> the MySQL one).
- A provider's ``backup`` writes exactly ``out`` (through ``out.partial`` and a rename, so a
  failed backup never leaves a file that looks good); ``restore`` leaves the database exactly as
  in the backup. Both take an optional ``cancel`` check (see ``tools.CancelCheck``); a restore
  honours it only until the first destructive step.
- ``FILE.json`` (the *sidecar*) records size and SHA-256 of ``FILE``; ``check_backup`` refuses a
  file that does not match it.
- ``create_backup`` / ``restore_backup`` are the one-call versions the engine uses: tools check,
  backup, sidecar; sidecar check, dialect check, restore.

The caller closes its own pooled connections first and writes the history rows; nothing here
touches the tool's state tables. Provider modules are imported lazily (start-up time).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import URL, make_url

from nexo_studio.errors import BackupError, BackupUnreadable

from .tools import CancelCheck, fsync_dir, private_text

__all__ = [
    "BackupProvider",
    "CancelCheck",
    "SIDECAR_FORMAT",
    "check_backup",
    "create_backup",
    "provider_for",
    "read_sidecar",
    "restore_backup",
    "sha256_file",
    "sidecar_path",
    "write_sidecar",
]

#: Version of the sidecar's JSON layout.
SIDECAR_FORMAT = 1

_CHUNK = 1024 * 1024


@runtime_checkable
class BackupProvider(Protocol):
    dialect: str  # "sqlite" | "postgresql" | "mysql" | "mssql"
    suffix: str  # ".sqlite3", ".dump", ".sql", ".bak"
    #: True when the database server itself writes the file (SQL Server): ``out`` is a path on
    #: the server and may not be visible here.
    server_side: bool

    def check_tools(self) -> None:
        """Raise ToolMissing(tool, debian_package) if a needed client tool is absent."""

    def backup(self, url: URL, out: Path, *, cancel: CancelCheck | None = None) -> None: ...

    def restore(self, url: URL, path: Path, *, cancel: CancelCheck | None = None) -> None: ...


@runtime_checkable
class StagedRestore(BackupProvider, Protocol):
    """A server provider whose restore goes in the steps of ``recovery.py`` (set the database
    aside, run the client, put it back or drop what was set aside): PostgreSQL, MySQL/MariaDB."""

    def prepare(self, url: URL | str, path: Path) -> dict: ...

    def set_aside(self, url: URL | str, path: Path, plan: dict) -> None: ...

    def run_client(self, url: URL | str, path: Path, on_start: Callable[[int], None] | None = None,
                   plan: dict | None = None) -> None: ...

    def put_back(self, url: URL | str, path: Path, plan: dict) -> bool: ...

    def drop_aside(self, url: URL | str, path: Path, plan: dict) -> None: ...


def _as_url(url: URL | str) -> URL:
    return url if isinstance(url, URL) else make_url(url)


def provider_for(url: URL | str) -> BackupProvider:
    """The provider for the URL's backend; BackupError for a backend without one."""
    from ..dialects import rules_for

    return rules_for(_as_url(url).get_backend_name()).backup_provider()


# --- files, checksums, sidecars ---------------------------------------------------------------


def sha256_file(path: Path | str) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path: Path | str) -> Path:
    """``FILE.json`` beside ``FILE``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def write_sidecar(path: Path | str, info: dict[str, Any]) -> Path:
    """Write ``info`` as ``FILE.json`` atomically (temp file, fsync, rename); return its path.

    ``size`` and ``sha256`` of ``FILE`` are filled in when absent and the file exists here, so a
    sidecar can always be checked by ``check_backup``.
    """
    path = Path(path)
    data = {"format": SIDECAR_FORMAT, "file": path.name, **info}
    if path.is_file():
        if "size" not in data:
            data["size"] = path.stat().st_size
        if "sha256" not in data:
            data["sha256"] = sha256_file(path)
    target = sidecar_path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with private_text(tmp) as fh:
            json.dump(data, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        reason = f"cannot write the sidecar {target.name}: {exc.strerror or exc}"
        raise BackupError(reason, path) from exc
    return target


def read_sidecar(path: Path | str) -> dict[str, Any] | None:
    """The sidecar of ``FILE`` as a dict, None if there is none; BackupError if unreadable."""
    target = sidecar_path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = f"cannot read the sidecar {target.name}: {exc.strerror or exc}"
        raise BackupError(reason, Path(path)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BackupError(f"the sidecar {target.name} is not valid JSON: {exc}", Path(path)) from exc
    if not isinstance(data, dict):
        raise BackupError(f"the sidecar {target.name} is not a JSON object", Path(path))
    return data


def check_backup(path: Path | str, *, require_sidecar: bool = True) -> dict[str, Any]:
    """Check ``FILE`` against its sidecar (size, then SHA-256); return the sidecar.

    Raises BackupError (its ``path`` is the file, and the message names it) when the file is
    missing, the sidecar is missing (unless ``require_sidecar`` is False: then ``{}`` is
    returned), or size or SHA-256 differ. A server-side backup (SQL Server) that is not visible
    here has no sidecar and is not checked here (``create_backup``/``restore_backup`` know).
    """
    path = Path(path)
    if not path.is_file():
        raise BackupUnreadable("backup file not found" if not path.exists() else "not a file", path)
    if not os.access(path, os.R_OK):
        raise BackupUnreadable("cannot read the backup file (permission denied)", path)
    info = read_sidecar(path)
    if info is None:
        if require_sidecar:
            raise BackupError(
                f"no sidecar {sidecar_path(path).name}: cannot verify the backup", path
            )
        return {}
    expected_size = info.get("size")
    expected_sha = info.get("sha256")
    if expected_size is None or expected_sha is None:
        raise BackupError(f"the sidecar {sidecar_path(path).name} records no size/sha256", path)
    size = path.stat().st_size
    if size != expected_size:
        raise BackupError(
            f"size is {size} bytes but the sidecar records {expected_size}: "
            "the backup is truncated or was changed",
            path,
        )
    actual = sha256_file(path)
    if actual != expected_sha:
        raise BackupError(
            f"SHA-256 {actual[:12]}… differs from the sidecar's {str(expected_sha)[:12]}…: "
            "the backup is corrupted or was changed",
            path,
        )
    return info


# --- one-call operations for the engine -------------------------------------------------------


def create_backup(
    url: URL | str,
    out: Path | str,
    *,
    provider: BackupProvider | None = None,
    cancel: CancelCheck | None = None,
) -> dict[str, Any]:
    """Back up ``url`` to exactly ``out`` and write ``out.json``; return the sidecar data.

    The data (path, size, sha256, dialect, database, host, created_at, duration_ms) is what the
    history row records. No password is ever part of it.
    """
    url = _as_url(url)
    out = Path(out)
    provider = provider or provider_for(url)
    provider.check_tools()
    started = time.monotonic()
    provider.backup(url, out, cancel=cancel)
    info: dict[str, Any] = {
        "dialect": provider.dialect,
        "database": _database_id(url, provider.dialect),
        "host": url.host,
        "port": url.port,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "duration_ms": int((time.monotonic() - started) * 1000),
        "path": str(out if provider.server_side else out.resolve()),
    }
    if provider.server_side and not out.is_file():
        # Written on the database server and not visible here: nothing to checksum or to put a
        # sidecar beside; the server verified it (RESTORE VERIFYONLY … WITH CHECKSUM).
        info["location"] = "server"
        return info
    try:
        write_sidecar(out, info)
    except BackupError:
        # a backup without its sidecar cannot be checked: do not leave it looking finished
        out.unlink(missing_ok=True)
        raise
    return read_sidecar(out) or info


def _database_id(url: URL, dialect: str) -> str | None:
    """The database as the sidecar records it: SQLite's file as an absolute path."""
    from ..dialects import rules_for

    if rules_for(dialect).is_local_file() and url.database and url.database != ":memory:" \
            and not str(url.query.get("uri", "")).lower() in ("true", "1"):
        return os.path.realpath(url.database)
    return url.database


def restore_backup(
    url: URL | str,
    path: Path | str,
    *,
    provider: BackupProvider | None = None,
    verify: bool = True,
    cancel: CancelCheck | None = None,
) -> dict[str, Any]:
    """Check ``path`` against its sidecar, refuse a backup of another dialect, then restore.

    With ``verify=False`` a file without sidecar (e.g. a DBA's own dump) is accepted as is.
    Returns the sidecar data (``{}`` when there is none).
    """
    url = _as_url(url)
    path = Path(path)
    provider = provider or provider_for(url)
    provider.check_tools()
    if provider.server_side and not path.exists():
        info: dict[str, Any] = {}  # on the server: it checks the file itself (WITH CHECKSUM)
    elif verify:
        info = check_backup(path)
    else:
        info = read_sidecar(path) or {}
    made_by = info.get("dialect")
    if made_by and made_by != provider.dialect:
        reason = f"this is a {made_by} backup; it cannot be restored to {provider.dialect}"
        raise BackupError(reason, path)
    provider.restore(url, path, cancel=cancel)
    return info
