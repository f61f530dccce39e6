"""Backup and restore as engine operations: file naming, lock, history rows, listing.

The per-dialect work (sqlite3 backup API, pg_dump, mariadb-dump, BACKUP DATABASE) lives in
this package (``core/backup/``); this module adds what the tool promises around it (SPEC §4): backups are
recorded in ``__MigrationHistory`` with path, size and SHA-256; a restore keeps the audit
trail (history rows written after the backup are put back) and records itself; how a restore
never leaves less than it found, and how an interrupted one is finished, is in ``recovery.py``.
The deploy pipeline runs ``backup_step`` as its stage (3); nothing here imports the pipeline.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Generator
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from ...errors import BackupError
from ..dialects import rules_for
from ..events import BackupCreated, CancelToken, Event, Log, StageFinished, StageStarted
from ..results import StepResult
from ..state.store import new_deployment_id, utcnow
from ..target import Target
from .journal import backup_finished, backup_started
from .tools import PRIVATE_FILE, PRIVATE_FOLDER, describe_os_error, partial_path
from ..kinds import HistoryAction, HistoryStatus, MigrationStatus

__all__ = ["backup", "backup_step", "check_backup", "list_backups", "restore", "backup_name"]


def check_backup(path: Path) -> dict:
    from . import check_backup as _check

    return _check(path)


def backup_name(target: Target, schema_version: str | None, when: datetime | None = None) -> str:
    from . import provider_for

    when = when or datetime.now(timezone.utc)
    db = Path(target.url.database or "memory").stem
    db = re.sub(r"[^A-Za-z0-9_.-]+", "_", db)
    return f"{db}-{when:%Y%m%dT%H%M%S}Z-v{schema_version or '0'}{provider_for(target.url).suffix}"


def _estimated_size(target: Target, conn: sa.Connection) -> int | None:
    try:
        return target.rules.estimated_size(target.url, conn)
    except Exception:
        return None
    finally:
        if conn.in_transaction():
            conn.rollback()


def _schema_version(target: Target, conn: sa.Connection) -> str | None:
    applied = target.store.applied(conn)
    if conn.in_transaction():
        conn.rollback()
    versions = [r.version for r in applied.values() if r.status == MigrationStatus.APPLIED]
    return max(versions) if versions else None


def _take(target: Target, conn: sa.Connection, out: Path | None, backup_dir: Path | None,
          deployment_id: str | None, cancel: CancelToken | None) -> Generator[Event, None, Path]:
    """Back up (the caller holds the lock and has ensured the state tables) and record it."""
    from . import create_backup, provider_for

    started = utcnow()
    where = out or backup_dir
    try:
        # every refusal and failure below is recorded as a failed backup before it is raised
        provider = provider_for(target.url)
        provider.check_tools()
        # an automatic name is reserved below; a local file only (SQL Server writes on the server)
        auto = out is None and not provider.server_side
        if out is None:
            if backup_dir is None:
                from ..config import default_backup_dir

                backup_dir = default_backup_dir(target.url)
            where = backup_dir
            _make_folder(backup_dir)
            out = backup_dir / backup_name(target, _schema_version(target, conn))
        out = where = Path(out)
        _make_folder(out.parent)
        need = _estimated_size(target, conn)
        if need and not provider.server_side:
            free = shutil.disk_usage(out.parent).free
            if free < need:
                raise BackupError(f"not enough free disk: {free:,} bytes free, the database is about {need:,} bytes",
                                  out.parent)
        check = (lambda: cancel.cancelled) if cancel else None
        if auto:
            out = where = _reserve(out, provider.suffix)
        try:
            backup_started(target.url, partial_path(out))
        except BaseException:
            partial_path(out).unlink(missing_ok=True)
            raise
        try:
            info = create_backup(target.url, out, provider=provider, cancel=check)
        finally:
            backup_finished(target.url)
    except (BackupError, OSError) as exc:
        error = exc if isinstance(exc, BackupError) else BackupError(describe_os_error(exc), where and Path(where))
        with conn.begin():
            target.store.append(conn, action=HistoryAction.BACKUP, status=HistoryStatus.FAILED, started_at=started,
                                deployment_id=deployment_id, details={"path": str(where) if where else None},
                                error=str(error))
        if error is exc:
            raise
        raise error from exc
    with conn.begin():
        target.store.append(conn, action=HistoryAction.BACKUP, status=HistoryStatus.OK, started_at=started, deployment_id=deployment_id,
                            details={"path": info.get("path", str(out)), "size": info.get("size"),
                                     "sha256": info.get("sha256"), "dialect": info.get("dialect")})
    yield BackupCreated(out, int(info.get("size") or 0), str(info.get("sha256") or ""))
    return out


def _reserve(out: Path, suffix: str) -> Path:
    """The first of OUT, OUT-2, OUT-3 … (before ``suffix``) that neither a backup nor a backup
    being written has, reserved by creating its ``.partial`` (exclusively): names are to the
    second, so two backups in one second of one database, or of two databases with one name
    sharing a folder (a fleet's ``app.db`` tenants, one ``backup_dir`` for many servers), never
    write, or replace, one file."""
    stem = out.name[: -len(suffix)] if suffix and out.name.endswith(suffix) else out.name
    n = 1
    while True:
        candidate = out if n == 1 else out.with_name(f"{stem}-{n}{suffix}")
        n += 1
        if candidate.exists():
            continue
        try:
            os.close(os.open(partial_path(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            continue
        return candidate


def _make_folder(folder: Path) -> None:
    """Create the backup folder; a path that cannot be one is a BackupError naming it."""
    try:
        folder.mkdir(PRIVATE_FOLDER, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot use it as the backup folder: {describe_os_error(exc)}", folder) from exc


def backup_step(target: Target, conn: sa.Connection, deployment_id: str, backup_dir: Path | None,
                result) -> Generator[Event, None, Path]:
    """Step (3) of the deploy pipeline."""
    t0 = time.perf_counter()
    yield StageStarted("backup")
    try:
        path = yield from _take(target, conn, None, backup_dir, deployment_id, None)
    except BackupError as exc:
        ms = int((time.perf_counter() - t0) * 1000)
        result.steps.append(StepResult("backup", "failed", ms, str(exc)))
        yield StageFinished("backup", "failed", ms, str(exc))
        raise
    ms = int((time.perf_counter() - t0) * 1000)
    result.steps.append(StepResult("backup", "ok", ms, str(path)))
    yield StageFinished("backup", "ok", ms, str(path))
    return path


def backup(target: Target, out: Path | None = None, backup_dir: Path | None = None,
           lock_timeout: float = 30.0, cancel: CancelToken | None = None) -> Generator[Event, None, Path]:
    """`nexo backup`: a backup outside a deployment."""
    with target.connect() as conn, target.locked(lock_timeout):
        target.store.ensure(conn)
        path = yield from _take(target, conn, out, backup_dir, new_deployment_id(), cancel)
        return path


def list_backups(target: Target) -> list[dict]:
    """Backups recorded in history, newest first, with whether the file is still there."""
    out = []
    with target.connect() as conn:
        for h in target.store.history(conn, action=HistoryAction.BACKUP, status=HistoryStatus.OK, newest_first=True):
            d = h.details_dict()
            path = d.get("path")
            out.append({"seq": h.seq, "created_at": h.started_at, "path": path, "size": d.get("size"),
                        "sha256": d.get("sha256"), "deployment_id": h.deployment_id,
                        "exists": bool(path and Path(path).is_file())})
    return out


def restore(target: Target, path: Path, lock_timeout: float = 30.0, cancel: CancelToken | None = None,
            from_other_database: bool = False) -> Generator[Event, None, dict]:
    """`nexo restore`: check the checksum and the source, restore without ever leaving less than
    was there (``backup/recovery.py``), keep every history row, record the restore."""
    from .recovery import restore_safely

    path = Path(path)
    info = check_backup(path)  # refuses a corrupted file before anything changes
    source = check_source(target, path, info, from_other_database)
    yield StageStarted("restore", str(path))
    started = utcnow()
    details = {"path": str(path.resolve()), "sha256": info.get("sha256"), "size": info.get("size"),
               "source": source}
    if from_other_database:
        details["from_other_database"] = True
    check = (lambda: cancel.cancelled) if cancel else None
    with target.locked(lock_timeout):
        kept = restore_safely(target, path, details, started=started, deployment_id=new_deployment_id(),
                              cancel=check)
        target.store.invalidate()
    if kept:
        yield Log("info", f"kept {kept} history row(s) written after the backup")
    yield StageFinished("restore", "ok")
    return info


_LOCAL = {None, "", "localhost", "127.0.0.1", "::1"}


def _where(dialect: str | None, host, port, database) -> str:
    rules = rules_for(dialect or "")
    if rules.is_local_file():
        return f"{dialect} file {database}"
    return f"{dialect} {host or 'localhost'}:{port or rules.default_port or ''}/{database}"


def check_source(target: Target, path: Path, info: dict, from_other: bool) -> str:
    """The database the sidecar says the backup is of; ForeignBackup when that is not the target
    (unless ``from_other``)."""
    from ...errors import ForeignBackup

    url = target.url
    dialect, database = info.get("dialect"), info.get("database")
    source = _where(dialect, info.get("host"), info.get("port"), database)
    here = _where(target.dialect, url.host, url.port, url.database)
    if dialect and dialect != target.dialect:
        raise BackupError(f"this is a {dialect} backup; it cannot be restored to {target.dialect}", path)
    if database is None or from_other:
        return source
    if target.rules.is_local_file():
        theirs, ours = str(database), str(Path(url.database or "").resolve())
        same = theirs == ours if Path(theirs).is_absolute() else Path(theirs).name == Path(ours).name
        here = _where(target.dialect, None, None, ours)
    else:
        default = target.rules.default_port
        same = (database == url.database
                and (info.get("host") in _LOCAL) == (url.host in _LOCAL)
                and (info.get("host") in _LOCAL or info.get("host") == url.host)
                and int(info.get("port") or default or 0) == int(url.port or default or 0))
    if not same:
        raise ForeignBackup(path, source, here)
    return source
